"""The readout form and the review queue in the admin, as analysts and viewers meet them."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.choices import ReviewState
from commitments.ingest.models import Proposal
from commitments.models import Commitment, SourceDocument
from tests.ingest.texts import READOUT

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/commitments/proposal/add-readout/"
FIELDS = {
    "title": "Wang Yi holds talks with Murat Nurtleu",
    "publisher": "Ministry of Foreign Affairs",
    "published_on": "2024-05-17",
    "language": "en",
}


@pytest.fixture
def analyst_browser(client, analyst, seeded_data):
    analyst.is_staff = True
    analyst.save()
    client.force_login(analyst)
    return client


@pytest.fixture
def queue(analyst_browser):
    response = analyst_browser.post(ADD_URL, {**FIELDS, "text": READOUT})
    assert response.status_code == 302
    return response["Location"]


def errors_of(response) -> str:
    return " ".join(
        re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    )


def test_pasting_a_readout_stores_it_and_opens_its_queue(analyst_browser, queue):
    source = SourceDocument.objects.get(title=FIELDS["title"])
    assert source.text == READOUT
    assert queue == reverse("admin:commitments_review_source", args=[source.pk])
    page = analyst_browser.get(queue).content.decode()
    assert f"<strong>{source.proposals.count()}</strong> pending" in page
    # The quote is shown highlighted in its paragraph.
    assert "<mark>The two sides agreed to expand trade in agricultural products.</mark>" in page


def test_uploading_an_html_page_stores_its_main_text(analyst_browser):
    page = (
        "<html><head><title>Talks in Beijing</title><meta name='date' content='2024-05-17'>"
        "</head><body><nav>Home | News</nav><article>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in READOUT.split("\n\n"))
        + "<script>alert(1)</script></article><footer>Copyright</footer></body></html>"
    )
    upload = SimpleUploadedFile("talks.html", page.encode(), content_type="text/html")
    response = analyst_browser.post(ADD_URL, {"publisher": "MFA", "language": "en", "file": upload})
    assert response.status_code == 302, errors_of(response)
    source = SourceDocument.objects.get(title="Talks in Beijing")
    assert str(source.published_on) == "2024-05-17"
    assert "alert" not in source.text and "Home | News" not in source.text
    assert source.proposals.exists()


def test_the_same_text_twice_names_and_links_the_stored_source(analyst_browser, queue):
    response = analyst_browser.post(ADD_URL, {**FIELDS, "title": "Again", "text": READOUT})
    assert response.status_code == 200
    page = response.content.decode()
    assert "already stored as “Wang Yi holds talks with Murat Nurtleu”" in page
    assert f'href="{queue}"' in page
    assert SourceDocument.objects.filter(title="Again").count() == 0


@pytest.mark.parametrize(
    "data, message",
    [
        ({"text": "   "}, "Paste the readout"),
        ({"text": "a\x00b"}, "Null characters are not allowed"),
        ({"text": READOUT, "title": "x\x00"}, "Null characters are not allowed"),
        ({"text": READOUT, "published_on": "2024-13-45"}, "Enter a valid date"),
        ({"text": READOUT, "published_on": ""}, "Give the date"),
        ({"text": "%(x)s %s %d %%", "title": "%s"}, ""),
    ],
)
def test_bad_input_is_refused_without_storing_anything(analyst_browser, data, message):
    response = analyst_browser.post(ADD_URL, {**FIELDS, **data})
    if not message:
        # Percent signs are text like any other.
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert message in errors_of(response)
    assert SourceDocument.objects.count() == 1  # the seed's


def test_text_and_file_together_are_refused(analyst_browser):
    upload = SimpleUploadedFile("a.txt", b"China will build a road.")
    response = analyst_browser.post(ADD_URL, {**FIELDS, "text": READOUT, "file": upload})
    assert "not both" in errors_of(response)
    assert SourceDocument.objects.count() == 1  # the seed's


def test_viewers_see_queues_but_cannot_add_or_review(client, viewer, analyst_browser, queue):
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    assert client.get(ADD_URL).status_code == 403
    page = client.get(queue)
    assert page.status_code == 200
    assert 'name="op"' not in page.content.decode()
    proposal = Proposal.objects.first()
    assert client.post(queue, {"op": f"accept:{proposal.pk}"}).status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).state == ReviewState.PENDING


def test_the_whole_review_in_the_queue(analyst_browser, queue):
    source = SourceDocument.objects.get(title=FIELDS["title"])
    proposed = source.proposed_meetings.get()
    response = analyst_browser.post(queue, {"op": f"create-meeting:{proposed.pk}"}, follow=True)
    assert "Recorded the meeting" in response.content.decode()

    trade = source.proposals.get(quote__startswith="The two sides agreed")
    visa = source.proposals.get(quote__contains="visa exemption")
    analyst_browser.post(queue, {"op": f"accept:{trade.pk}"})
    analyst_browser.post(queue, {"op": f"mention:{visa.pk}:cn-kz-mutual-visa-exemption"})
    rest = source.proposals.filter(state=ReviewState.PENDING)
    response = analyst_browser.post(
        queue,
        {"op": "bulk-reject", "bulk_reason": "Not a commitment", "selected": [p.pk for p in rest]},
        follow=True,
    )
    page = response.content.decode()
    assert "<strong>0</strong> pending" in page
    assert "<strong>1</strong> accepted as new" in page
    assert "<strong>1</strong> accepted as mentions" in page
    # Both accepted proposals were taken as proposed: 2 of the reviewed ones.
    reviewed = source.proposals.count()
    assert f"2 of {reviewed} reviewed accepted as proposed" in page

    new = Commitment.objects.get(proposals=trade)
    assert new.mentions.get().document == source
    changelist = analyst_browser.get(reverse("admin:commitments_commitment_changelist"))
    assert new.title in changelist.content.decode()
    assert (
        Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
        .mentions.filter(document=source)
        .exists()
    )


def test_a_refused_operation_changes_nothing_and_says_why(analyst_browser, queue):
    source = SourceDocument.objects.get(title=FIELDS["title"])
    trade = source.proposals.get(quote__startswith="The two sides agreed")
    response = analyst_browser.post(queue, {"op": f"accept:{trade.pk}"}, follow=True)
    assert "Nothing was changed: Resolve the proposed meeting first" in response.content.decode()
    response = analyst_browser.post(queue, {"op": f"reject:{trade.pk}"}, follow=True)
    assert "Say why the proposal is rejected" in response.content.decode()
    hostile = [
        "accept:x",
        "accept:99999999999999999999",
        "accept:١٢",
        "explode",
        "mention:1:%00",
        "",
        "create-meeting:99999999999999999999",
        "use-meeting:x:y",
        "reject:1\x00",
    ]
    for op in hostile:
        response = analyst_browser.post(queue, {"op": op})
        assert response.status_code in (302, 404)
    assert not source.proposals.exclude(state=ReviewState.PENDING).exists()


def test_bulk_accept_is_all_or_nothing(analyst_browser, queue):
    source = SourceDocument.objects.get(title=FIELDS["title"])
    chosen = [p.pk for p in source.proposals.all()]
    # The meeting is not resolved, so every accept is refused: none goes through.
    response = analyst_browser.post(queue, {"op": "bulk-accept", "selected": chosen}, follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert not Commitment.objects.filter(proposals__source=source).exists()


def test_merging_opens_an_editable_form_and_records_one_commitment(analyst_browser, queue):
    source = SourceDocument.objects.get(title=FIELDS["title"])
    source.proposed_meetings.get().resolve(by=None)
    first, second = source.proposals.order_by("start")[:2]
    response = analyst_browser.post(queue, {"op": "merge", "selected": [first.pk, second.pk]})
    accept_url = response["Location"]
    assert accept_url.endswith(f"?merge={second.pk}")
    form = analyst_browser.get(accept_url).content.decode()
    assert first.title in form
    response = analyst_browser.post(
        accept_url,
        {
            "title": "Trade and travel",
            "category": "trade",
            "due_date": "",
            "description": "",
            "parties-TOTAL_FORMS": "2",
            "parties-INITIAL_FORMS": "2",
            "parties-0-country": "CN",
            "parties-0-role": "lead",
            "parties-1-country": "KZ",
            "parties-1-role": "partner",
        },
    )
    assert response.status_code == 302
    commitment = Commitment.objects.get(title="Trade and travel")
    assert set(commitment.parties.values_list("country", "role")) == {
        ("CN", "lead"),
        ("KZ", "partner"),
    }
    assert commitment.mentions.count() == 2


def test_the_queue_reads_in_a_constant_number_of_queries(
    analyst_browser, queue, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):
        assert analyst_browser.get(queue).status_code == 200


def test_the_proposal_and_proposed_meeting_pages_open(analyst_browser, queue):
    source = SourceDocument.objects.get(title=FIELDS["title"])
    proposal, proposed = source.proposals.first(), source.proposed_meetings.first()
    for name, pk in (("proposal", proposal.pk), ("proposedmeeting", proposed.pk)):
        changelist = analyst_browser.get(reverse(f"admin:commitments_{name}_changelist"))
        assert changelist.status_code == 200
        assert source.title in changelist.content.decode()
        change = analyst_browser.get(reverse(f"admin:commitments_{name}_change", args=[pk]))
        assert change.status_code == 200
