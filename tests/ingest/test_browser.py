"""End-to-end: an analyst adds readouts and reviews what the tracker reads in them, in Chromium."""

import datetime
import re
from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.urls import reverse
from playwright.sync_api import expect

from commitments.choices import Status
from commitments.ingest.models import Proposal
from commitments.models import Commitment, Meeting, Mention, Official, SourceDocument
from tests.test_browser import PASSWORD, log_in, screenshot

# serialized_rollback: the flush between tests would drop the groups the
# data migrations created.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VISA = "cn-kz-mutual-visa-exemption"
VISA_TITLE = "China-Kazakhstan mutual visa exemption agreement"
SEED_SOURCE = "mfa-cn-2023-04-26-qin-gang-talks-central-asian-ministers"
ADD_READOUT = "/admin/commitments/proposal/add-readout/"
REVIEW_URL = re.compile(r"/admin/commitments/proposal/source/(\d+)/review/$")

# The seed readout's opening and last paragraphs, reworded, with one promise
# the seed does not have (the direct flight).
RESTATEMENT = """Ministry of Foreign Affairs
Qin Gang Holds Talks with the Foreign Ministers of Five Central Asian Countries in Xi’an
April 26, 2023

On April 26, 2023, State Councilor and Foreign Minister Qin Gang held talks in Xi’an \
respectively with Deputy Prime Minister and Minister of Foreign Affairs of Kazakhstan Murat \
Nurtleu, Minister of Foreign Affairs of Kyrgyzstan Kulubaev Zheenbek Moldokanovich, Minister of \
Foreign Affairs of Tajikistan Sirojiddin Muhriddin, Minister of Foreign Affairs of Uzbekistan \
Saidov Bakhtiyor Odilovich, and Deputy Minister of Foreign Affairs of Turkmenistan Vepa Hajiyev. \
The five ministers came to China for the fourth China-Central Asia Foreign Ministers’ Meeting.

The two sides reached broad common understandings on deepening practical cooperation. China and \
Kazakhstan will take the signing of an agreement on mutual visa exemption as an opportunity to \
facilitate cross-border travel. China and Kazakhstan will open a direct passenger flight between \
Xi’an and Astana. Kyrgyzstan and Uzbekistan will work with China to accelerate the feasibility \
study of the China-Kyrgyzstan-Uzbekistan Railway. China and Turkmenistan will speed up efforts \
to establish a traditional medical center in Turkmenistan.
"""
FLIGHT_TITLE = "China-Kazakhstan direct passenger flight between Xi’an and Astana"

# A made-up meeting the seed does not have, in a page with the usual chrome
# around the article.
READOUT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Wang Yi Holds Talks with Kazakh Foreign Minister Murat Nurtleu</title>
<meta property="article:published_time" content="2024-05-17">
<script>window.dataLayer = [{"page": "readout"}]; document.write("trackingPixel");</script>
<style>nav { display: flex; }</style>
</head>
<body>
<header><nav><ul>
  <li><a href="/">Home</a></li><li><a href="/news/">Press Releases</a></li>
  <li><a href="/about/">About the Ministry</a></li>
</ul></nav></header>
<main>
<article>
<h1>Wang Yi Holds Talks with Kazakh Foreign Minister Murat Nurtleu</h1>
<p class="dateline">2024-05-17</p>
<p>On May 17, 2024, Foreign Minister Wang Yi held talks in Beijing with Deputy Prime Minister and
Minister of Foreign Affairs of Kazakhstan Murat Nurtleu.</p>
<p>Wang Yi said that China and Kazakhstan are permanent comprehensive strategic partners, and
that the two sides should keep up close high-level exchanges.</p>
<p>The two sides agreed to deepen cooperation in trade, energy and connectivity. China and
Kazakhstan will open a second railway freight line across the Khorgos border crossing by 2026.
China will increase imports of Kazakh agricultural products. Kazakhstan will host the next
meeting of the China-Kazakhstan Cooperation Committee in Astana.</p>
</article>
</main>
<footer><p>Copyright © Ministry of Foreign Affairs. All rights reserved.</p>
<p><a href="/sitemap/">Sitemap</a> · <a href="/contact/">Contact us</a></p></footer>
<script src="/static/analytics.js"></script>
</body>
</html>
"""


@pytest.fixture
def ana(live_server, seed_data):
    """Add the analyst who reviews, over the seed data."""
    # The `roles` fixture rebuilds the Analysts group as 0002 left it, without
    # the review permissions 0008 added. The serialized rollback happens to put
    # them back; grant them as migrating does rather than rely on fixture order.
    import_module("commitments.migrations.0008_proposal_permissions").grant(apps, None)
    user = User.objects.create_user("ana", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Analysts"))
    return user


def log_in_watched(browser, live_server, request):
    """Log the analyst in; collect what a user would not see go wrong in `page.problems`.

    Console errors include the browser's Content-Security-Policy refusals.
    """
    page = log_in(browser, live_server, "ana")
    # Closed even when the test fails: an open page keeps the live server's
    # connections, and PostgreSQL then refuses to drop the test database.
    request.addfinalizer(page.context.close)
    page.problems = []
    page.on(
        "console",
        lambda message: (
            page.problems.append(f"{page.url}: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: page.problems.append(f"{page.url}: {error}"))
    page.on(
        "response",
        lambda response: (
            page.problems.append(f"{response.status} {response.url}")
            if response.status >= 500
            else None
        ),
    )
    return page


def proposal_quoting(page, words: str):
    """Return the queue's proposal whose highlighted quote contains these words."""
    return page.locator(".proposal").filter(has=page.locator("mark", has_text=words))


def get_json(page, live_server, path: str) -> dict:
    response = page.request.get(f"{live_server.url}{path}")
    assert response.ok, f"{path}: {response.status}"
    return response.json()


def test_analyst_reviews_a_pasted_readout_that_restates_recorded_commitments(
    browser, live_server, ana, request
):
    page = log_in_watched(browser, live_server, request)
    total = Commitment.objects.count()
    announced = Commitment.objects.filter(status=Status.ANNOUNCED).count()
    visa_before = get_json(page, live_server, f"/api/commitments/{VISA}/")
    mentions_before = Mention.objects.filter(commitment__slug=VISA).count()
    meetings_before = Meeting.objects.count()

    page.get_by_role("link", name=re.compile(r"^Add a readout")).click()
    page.get_by_label("Title").fill("Qin Gang holds talks with five Central Asian ministers")
    page.get_by_label("Publisher").fill("Ministry of Foreign Affairs of the PRC")
    page.get_by_label("URL").fill("https://example.org/mfa/2023-04-26-xian-talks")
    page.get_by_label("Published on").fill("2023-04-26")
    page.get_by_label("Text").fill(RESTATEMENT)
    page.get_by_role("button", name="Add and propose").click()
    expect(page).to_have_url(REVIEW_URL)
    expect(page.locator(".messagelist .success")).to_contain_text("proposals to review")

    # One bilateral meeting per minister, each already recorded from the seed.
    meetings = page.locator(".proposed-meeting")
    count = meetings.count()
    assert count == 5
    for index in range(count):
        expect(meetings.nth(index)).to_contain_text("2023-04-26, Xi’an")
    proposals = page.locator(".proposal")
    total_proposals = proposals.count()
    assert total_proposals >= 4
    expect(page.locator(".queue-progress")).to_have_text(
        f"{total_proposals} pending · 0 accepted as new · 0 accepted as mentions · 0 rejected"
    )

    # Accepting before the meeting is resolved is refused, saying what to do.
    visa = proposal_quoting(page, "mutual visa exemption")
    first_match = visa.locator("ul.matches li").first
    expect(first_match).to_contain_text(VISA)
    first_match.get_by_role("button", name=f"Mention of “{VISA_TITLE}”").click()
    expect(page.locator(".messagelist .error")).to_contain_text(
        "Resolve the proposed meeting first"
    )
    assert Mention.objects.filter(commitment__slug=VISA).count() == mentions_before

    for resolved in range(1, count + 1):
        page.get_by_role("button", name=re.compile(r"^Use the recorded meeting")).first.click()
        expect(page.locator(".proposed-meeting .resolved")).to_have_count(resolved)
    expect(page.get_by_role("button", name="Record it as a new meeting")).to_have_count(0)
    assert Meeting.objects.count() == meetings_before

    # The visa sentence restates a recorded commitment: one click on its first match.
    first_match.get_by_role("button", name=f"Mention of “{VISA_TITLE}”").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Added the quote as a mention of “{VISA_TITLE}”."
    )
    expect(visa.locator(".review-outcome")).to_contain_text(f"Accepted as a mention: {VISA_TITLE}")

    # The direct flight is new; its proposed title is reworded before accepting.
    flight = proposal_quoting(page, "direct passenger flight")
    flight.get_by_role("link", name="Edit, then accept…").click()
    expect(page.locator("blockquote.origin-context mark")).to_have_text(
        "China and Kazakhstan will open a direct passenger flight between Xi’an and Astana."
    )
    page.get_by_label("Title").fill(FLIGHT_TITLE)
    page.get_by_label("Category").select_option("transport_connectivity")
    page.get_by_role("button", name="Record the commitment").click()
    expect(page).to_have_url(REVIEW_URL)
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Recorded the commitment “{FLIGHT_TITLE}”."
    )
    expect(flight.locator(".review-outcome")).to_contain_text(
        f"Accepted as a new commitment: {FLIGHT_TITLE}"
    )
    pending = total_proposals - 2
    # One of the two reviewed was accepted as proposed: the mention of the first match.
    expect(page.locator(".queue-progress")).to_have_text(
        f"{pending} pending · 1 accepted as new · 1 accepted as mentions · 0 rejected"
        " · 1 of 2 reviewed accepted as proposed (50 %)"
    )
    # The others restate what the seed records: rejected together, with one reason.
    boxes = page.locator("input[type=checkbox][name=selected]")
    expect(boxes).to_have_count(pending)
    for box in boxes.all():
        box.check()
    page.locator("input[name=bulk_reason]").fill("already recorded from the seed readout")
    page.get_by_role("button", name="Reject selected").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Rejected {pending} proposal{'' if pending == 1 else 's'}."
    )
    expect(page.locator(".state-rejected .review-outcome")).to_have_count(pending)
    expect(page.locator(".state-rejected .review-outcome").first).to_contain_text(
        "Rejected — already recorded from the seed readout"
    )
    expect(page.locator(".queue-progress")).to_have_text(
        f"0 pending · 1 accepted as new · 1 accepted as mentions · {pending} rejected"
        f" · 1 of {total_proposals} reviewed accepted as proposed"
        f" ({round(100 / total_proposals)} %)"
    )
    source = SourceDocument.objects.get(pk=REVIEW_URL.search(page.url).group(1))

    # The mention: on the commitment's page and in the API.
    visa_pk = Commitment.objects.get(slug=VISA).pk
    page.goto(f"{live_server.url}/admin/commitments/commitment/{visa_pk}/change/")
    mentions = page.locator("#mentions-group .inline-related:not(.empty-form)")
    expect(mentions).to_have_count(mentions_before + 1)
    new_mention = mentions.filter(has=page.locator(f"option[selected]:text-is('{source.title}')"))
    expect(new_mention).to_have_count(1)
    quote = Proposal.objects.get(source=source, commitment__slug=VISA).quote
    assert quote.startswith("China and Kazakhstan will take the signing of an agreement")
    expect(new_mention.locator("textarea[name$='-quote']")).to_have_value(quote)
    visa_after = get_json(page, live_server, f"/api/commitments/{VISA}/")
    assert visa_after["mentions_count"] == visa_before["mentions_count"] + 1
    assert visa_after["version"] > visa_before["version"]

    # The new commitment: in the changelist, the API and the dashboard totals.
    page.goto(f"{live_server.url}/admin/commitments/commitment/?q=Astana")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list tbody tr")).to_contain_text(FLIGHT_TITLE)
    listed = get_json(page, live_server, "/api/commitments/?search=direct+passenger+flight")
    assert [c["title"] for c in listed["results"]] == [FLIGHT_TITLE]
    flight_api = listed["results"][0]
    assert flight_api["category"] == "transport_connectivity"
    assert flight_api["status"] == "announced"
    assert {p["country"] for p in flight_api["parties"]} == {"CN", "KZ"}
    assert flight_api["meeting"]["slug"] == visa_after["meeting"]["slug"]
    assert flight_api["origin"]["document"] == source.pk
    page.goto(f"{live_server.url}{reverse('admin:commitments_dashboard')}")
    expect(page.locator("#content p", has_text="tracked.")).to_have_text(
        f"{total + 1} commitments tracked."
    )
    expect(page.locator("#by-status svg rect title").filter(has_text="Announced:")).to_have_text(
        f"Announced: {announced + 1}"
    )
    assert page.problems == []


def test_analyst_uploads_a_readout_page_of_a_new_meeting(
    browser, live_server, ana, tmp_path, request
):
    page = log_in_watched(browser, live_server, request)
    upload = tmp_path / "wang-yi-nurtleu-talks.html"
    upload.write_text(READOUT_PAGE, encoding="utf-8")
    officials = Official.objects.count()

    page.goto(f"{live_server.url}{ADD_READOUT}")
    # Title and date are left empty: the page says them.
    page.get_by_label("Publisher").fill("Ministry of Foreign Affairs of the PRC")
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Add and propose").click()
    expect(page).to_have_url(REVIEW_URL)
    expect(page.locator(".source-line")).to_contain_text(
        "Ministry of Foreign Affairs of the PRC, 2024-05-17"
    )

    source = SourceDocument.objects.get(pk=REVIEW_URL.search(page.url).group(1))
    assert source.title == "Wang Yi Holds Talks with Kazakh Foreign Minister Murat Nurtleu"
    assert source.published_on == datetime.date(2024, 5, 17)
    assert "On May 17, 2024, Foreign Minister Wang Yi held talks in Beijing" in source.text
    assert "Kazakhstan will host the next meeting" in source.text
    for chrome in ["dataLayer", "trackingPixel", "display: flex", "Press Releases", "Sitemap"]:
        assert chrome not in source.text, chrome

    meeting = page.locator(".proposed-meeting")
    expect(meeting).to_have_count(1)
    expect(meeting).to_contain_text("2024-05-17, Beijing")
    wang_yi = meeting.locator(".participants li", has_text="Wang Yi")
    expect(wang_yi.locator(".new-official")).to_have_text("new official")
    nurtleu = meeting.locator(".participants li", has_text="Murat Nurtleu")
    expect(nurtleu).to_contain_text("(KZ)")
    expect(nurtleu.locator(".new-official")).to_have_count(0)
    # One meeting and the first proposals fit in the screenshot's viewport.
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "review-queue")
    quote_size = page.locator(".proposal blockquote.origin-context").first.evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    # No recorded meeting matches: the only way on is to record it.
    expect(page.get_by_role("button", name=re.compile(r"^Use the recorded meeting"))).to_have_count(
        0
    )
    page.get_by_role("button", name="Record it as a new meeting").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Recorded the meeting")
    expect(meeting.locator(".resolved a")).to_be_visible()

    recorded = Meeting.objects.get(proposals_resolved__source=source)
    assert (recorded.date, recorded.city, recorded.country_id) == (
        datetime.date(2024, 5, 17),
        "Beijing",
        "CN",
    )
    names = set(recorded.participants.values_list("name", flat=True))
    assert names == {"Wang Yi", "Murat Nurtleu"}
    # Wang Yi is new; Murat Nurtleu is the recorded official, not a copy.
    assert Official.objects.count() == officials + 1
    assert Official.objects.filter(name="Murat Nurtleu").count() == 1

    railway = proposal_quoting(page, "Khorgos")
    title = railway.locator(".proposal-head strong").inner_text()
    railway.get_by_role("button", name="Accept as new").click()
    expect(page.locator(".messagelist .success")).to_have_text(
        f"Recorded the commitment “{title}”."
    )
    expect(railway.locator(".review-outcome")).to_contain_text("Accepted as a new commitment")

    page.goto(f"{live_server.url}/admin/commitments/commitment/?q=Khorgos")
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(title)
    assert Commitment.objects.get(title=title).meeting == recorded
    assert page.problems == []
    # The quote under review is what the analyst judges: it reads at body size,
    # as the origin quote does on the commitment page (tests/test_browser.py).
    assert quote_size >= 13, f"the quote in context is {quote_size}px in the review queue"


def test_a_readout_already_stored_or_empty_is_refused_with_what_to_do(
    browser, live_server, ana, request
):
    page = log_in_watched(browser, live_server, request)
    readout = (
        "On May 20, 2024, Foreign Minister Wang Yi held talks in Astana with Deputy Prime "
        "Minister and Minister of Foreign Affairs of Kazakhstan Murat Nurtleu.\n\n"
        "China and Kazakhstan will expand the Khorgos dry port."
    )
    add_readout = f"{live_server.url}{ADD_READOUT}"

    # Nothing typed at all: each missing field says so.
    page.goto(add_readout)
    page.get_by_role("button", name="Add and propose").click()
    expect(page.locator(".errornote")).to_have_text(
        "Nothing was stored. Please correct the errors below."
    )
    expect(page.locator(".field-text .errorlist")).to_have_text(
        "Paste the readout's text or upload a file."
    )
    expect(page.locator(".field-publisher .errorlist")).to_have_text("This field is required.")

    # Metadata typed, text forgotten: the error says what is missing, and keeps the rest.
    page.get_by_label("Title").fill("Wang Yi meets Murat Nurtleu in Astana")
    page.get_by_label("Publisher").fill("Ministry of Foreign Affairs of the PRC")
    page.get_by_label("Published on").fill("2024-05-20")
    page.get_by_role("button", name="Add and propose").click()
    expect(page.locator(".errornote")).to_have_text(
        "Nothing was stored. Please correct the error below."
    )
    expect(page.locator(".field-text .errorlist")).to_have_text(
        "Paste the readout's text or upload a file."
    )
    expect(page.get_by_label("Title")).to_have_value("Wang Yi meets Murat Nurtleu in Astana")
    assert not SourceDocument.objects.filter(published_on="2024-05-20").exists()

    page.get_by_label("Text").fill(readout)
    page.get_by_role("button", name="Add and propose").click()
    expect(page).to_have_url(REVIEW_URL)
    first_queue = page.url
    sources, proposals = SourceDocument.objects.count(), Proposal.objects.count()

    # The same text again, under another title: refused, naming the stored one.
    page.goto(add_readout)
    page.get_by_label("Title").fill("Wang Yi and Nurtleu talks (copy)")
    page.get_by_label("Publisher").fill("Xinhua")
    page.get_by_label("Published on").fill("2024-05-21")
    page.get_by_label("Text").fill(readout)
    page.get_by_role("button", name="Add and propose").click()
    expect(page.locator(".errorlist.nonfield")).to_contain_text(
        "This text is already stored as “Wang Yi meets Murat Nurtleu in Astana”"
    )
    assert (SourceDocument.objects.count(), Proposal.objects.count()) == (sources, proposals)
    page.get_by_role("link", name="Wang Yi meets Murat Nurtleu in Astana").click()
    expect(page).to_have_url(first_queue)

    # The seed readout pasted as is (the browser sends CRLF line ends) is the stored one too.
    seed = SourceDocument.objects.get(slug=SEED_SOURCE)
    page.goto(add_readout)
    page.get_by_label("Title").fill("Qin Gang talks with Central Asian ministers")
    page.get_by_label("Publisher").fill("Ministry of Foreign Affairs of the PRC")
    page.get_by_label("Published on").fill("2023-04-26")
    page.get_by_label("Text").fill(seed.text)
    page.get_by_role("button", name="Add and propose").click()
    expect(page.locator(".errorlist.nonfield")).to_contain_text(
        f"This text is already stored as “{seed.title}”"
    )
    expect(page.locator(".duplicate-source a")).to_have_text(seed.title)
    assert SourceDocument.objects.count() == sources
    assert page.problems == []
