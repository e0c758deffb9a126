"""The ingest API: adding a source, running the proposer over it, and reviewing what it proposes.

The seed, the groups with the permissions the migrations grant, and one source
already run through the proposer are set up once for the module; each test runs
and rolls back inside them.
"""

import datetime
from importlib import import_module

import pytest
import yaml
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction

from commitments.choices import ReviewState
from commitments.ingest import services
from commitments.ingest.models import Proposal, ProposedMeeting
from commitments.models import Commitment, Meeting, Mention, SourceDocument
from tests.seed import SEED_FIXTURES
from tests.test_api_hostile import (
    HOSTILE_JSON,
    HOSTILE_LOOKUPS,
    HOSTILE_TEXT,
    UNSTORABLE,
    assert_error_shape,
    post_raw,
)
from tests.test_api_schema import SCHEMA_FILE

pytestmark = pytest.mark.django_db

KZ_TALKS = "2023-04-26-xian-cn-kz-talks"
VISA = "cn-kz-mutual-visa-exemption"
SOURCES = "/api/sources/"

# Paragraphs of seeds/000_44b88345c44fa60a.txt, reworded: a different text, the
# same meeting, and sentences that restate recorded commitments.
TEXT = """Foreign Ministry of China
Qin Gang meets Kazakh foreign minister Murat Nurtleu
April 26, 2023

On April 26, 2023, State Councilor and Foreign Minister Qin Gang held talks in Xi’an with \
Deputy Prime Minister and Minister of Foreign Affairs of Kazakhstan Murat Nurtleu.

The two sides agreed to deepen practical cooperation. China and Kazakhstan will take the \
signing of an agreement on mutual visa exemption as an opportunity to facilitate cross-border \
travel and set up consulates general in Xi’an and Aktobe, respectively. China and Kazakhstan \
will build a joint laboratory for desert agriculture in Almaty.
"""
FLOW_TEXT = """Foreign Ministry of China
Qin Gang meets Kazakh foreign minister Murat Nurtleu in Xi’an
April 26, 2023

On April 26, 2023, State Councilor and Foreign Minister Qin Gang held talks in Xi’an with \
Deputy Prime Minister and Minister of Foreign Affairs of Kazakhstan Murat Nurtleu.

The two sides agreed to deepen practical cooperation. China and Kazakhstan will take the \
signing of an agreement on mutual visa exemption as an opportunity to facilitate cross-border \
travel. China and Kazakhstan will open a joint centre for water conservation in Astana.
"""
NEW_SOURCE = {
    "title": "Qin Gang meets Murat Nurtleu",
    "publisher": "Example News",
    "url": "https://example.org/news/qin-gang-nurtleu",
    "published_on": "2023-04-26",
    "language": "en",
}


@pytest.fixture(scope="module")
def ingested(django_db_setup, django_db_blocker):
    """Load the seed and store TEXT with its proposals, once; return the source's slug."""
    with django_db_blocker.unblock(), transaction.atomic():
        import_module("commitments.migrations.0002_roles").create_groups(apps, None)
        # 0002 sets each group's permissions afresh; add the review ones 0008 grants.
        import_module("commitments.migrations.0008_proposal_permissions").grant(apps, None)
        call_command("loaddata", *SEED_FIXTURES, verbosity=0)
        source = services.add_source(
            text=TEXT,
            title="Qin Gang meets Kazakh foreign minister",
            publisher="Example News",
            published_on=datetime.date(2023, 4, 26),
        )
        services.run_proposer(source)
        yield source.slug
        transaction.set_rollback(True)


@pytest.fixture
def roles(ingested, db):
    """The groups, with the review permissions: set up once for the module by `ingested`."""


@pytest.fixture
def source(ingested, db) -> SourceDocument:
    return SourceDocument.objects.get(slug=ingested)


def proposal_of(source, fragment: str, lead: str | None = None) -> Proposal:
    """Return the source's proposal whose quote holds `fragment` (and whose first party leads)."""
    found = [
        proposal
        for proposal in Proposal.objects.filter(source=source, quote__contains=fragment)
        if lead is None or proposal.parties[0]["country"] == lead
    ]
    assert len(found) == 1, [(p.quote, p.parties) for p in found]
    return found[0]


def resolve_to_recorded(source) -> ProposedMeeting:
    proposed = source.proposed_meetings.get()
    proposed.resolve(by=None, meeting=Meeting.objects.get(slug=KZ_TALKS))
    return proposed


def the_one(proposals: list[dict], fragment: str) -> dict:
    """Return the one proposal (as the API shows it) whose quote holds `fragment`."""
    found = [proposal for proposal in proposals if fragment in proposal["quote"]]
    assert len(found) == 1, [proposal["quote"] for proposal in proposals]
    return found[0]


def upload(name: str, content: bytes, **fields):
    return {**fields, "file": SimpleUploadedFile(name, content)}


# The whole flow


def test_a_source_goes_from_text_to_commitments_through_the_api(analyst_client):
    created = analyst_client.post(SOURCES, {**NEW_SOURCE, "text": FLOW_TEXT}, format="json")
    assert created.status_code == 201, created.content
    source = created.json()
    assert source["title"] == NEW_SOURCE["title"]
    assert source["source_url"] == NEW_SOURCE["url"]
    assert source["text"] == FLOW_TEXT
    assert source["slug"] == "2023-04-26-qin-gang-meets-murat-nurtleu"
    assert source["url"] == f"http://testserver/api/sources/{source['id']}/"
    assert created["Location"] == source["url"]
    assert source["proposals"] == f"http://testserver/api/sources/{source['slug']}/proposals/"
    # The source reads back as every other source does.
    assert analyst_client.get(source["url"]).json()["sha256"] == source["sha256"]

    run = analyst_client.post(source["proposals"])
    assert run.status_code == 200, run.content
    body = run.json()
    assert body["run"] == {
        "meetings": 1,
        "created": len(body["proposals"]),
        "refreshed": 0,
        "dropped": 0,
        "reviewed": 0,
    }
    (meeting,) = body["proposed_meetings"]
    assert (meeting["existing"], meeting["meeting"], meeting["date"]) == (
        KZ_TALKS,
        None,
        "2023-04-26",
    )
    cooperation, visa, centre = (
        the_one(body["proposals"], fragment)
        for fragment in ("practical cooperation", "visa exemption", "water conservation")
    )
    assert visa["matches"][0]["slug"] == VISA
    assert {p["state"] for p in body["proposals"]} == {"pending"}

    resolved = analyst_client.post(
        meeting["url"] + "resolve/", {"meeting": KZ_TALKS}, format="json"
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["meeting"] == KZ_TALKS

    mention = analyst_client.post(
        visa["url"] + "accept/", {"commitment": visa["matches"][0]["slug"]}, format="json"
    )
    assert mention.status_code == 200, mention.content
    assert {
        key: mention.json()[key]
        for key in ("state", "commitment", "accepted_as_proposed", "reviewed_by")
    } == {
        "state": "mention",
        "commitment": VISA,
        "accepted_as_proposed": True,
        "reviewed_by": "analyst",
    }

    new = analyst_client.post(
        centre["url"] + "accept/",
        {"title": "China-Kazakhstan water conservation centre in Astana", "due_date": "2026-12-31"},
        format="json",
    )
    assert new.status_code == 200, new.content
    assert new.json()["state"] == "accepted"
    assert new.json()["accepted_as_proposed"] is False
    slug = new.json()["commitment"]

    rejected = analyst_client.post(
        cooperation["url"] + "reject/", {"reason": "Too vague to track."}, format="json"
    )
    assert rejected.status_code == 200, rejected.content
    assert (rejected.json()["state"], rejected.json()["reject_reason"]) == (
        "rejected",
        "Too vague to track.",
    )

    commitment = analyst_client.get(f"/api/commitments/{slug}/").json()
    assert commitment["title"] == "China-Kazakhstan water conservation centre in Astana"
    assert commitment["due_date"] == "2026-12-31"
    assert commitment["meeting"]["slug"] == KZ_TALKS
    assert commitment["parties"] == [
        {"country": "CN", "role": "lead"},
        {"country": "KZ", "role": "lead"},
    ]
    assert commitment["origin"]["document"] == source["id"]
    assert commitment["origin"]["quote"] == centre["quote"]
    assert FLOW_TEXT[centre["start"] : centre["end"]] == centre["quote"]
    assert analyst_client.get(f"/api/commitments/{VISA}/").json()["mentions_count"] == 2
    listed = analyst_client.get("/api/commitments/", {"meeting": KZ_TALKS}).json()["results"]
    assert slug in [row["slug"] for row in listed]

    reviewed = analyst_client.get(source["proposals"], {"state": "accepted,mention"}).json()
    assert sorted(p["id"] for p in reviewed["results"]) == sorted([visa["id"], centre["id"]])
    pending = analyst_client.get(source["proposals"], {"state": "pending"}).json()
    assert pending["count"] == 0


def test_rerunning_the_proposer_creates_nothing_and_keeps_reviews(analyst_client, source):
    resolve_to_recorded(source)
    lab = proposal_of(source, "laboratory")
    lab.reject(by=None, reason="Not a commitment of these talks.")
    before = {p.pk: (p.state, p.quote) for p in Proposal.objects.filter(source=source)}

    response = analyst_client.post(f"/api/sources/{source.slug}/proposals/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["run"] == {
        "meetings": 1,
        "created": 0,
        "refreshed": len(before) - 1,
        "dropped": 0,
        "reviewed": 1,
    }
    assert {p["id"]: (p["state"], p["quote"]) for p in body["proposals"]} == before
    assert body["proposed_meetings"][0]["meeting"] == KZ_TALKS


def test_a_source_is_found_by_its_id_when_no_slug_is_those_digits(analyst_client, source):
    by_id = analyst_client.get(f"/api/sources/{source.pk}/proposals/").json()
    by_slug = analyst_client.get(f"/api/sources/{source.slug}/proposals/").json()
    assert by_id == by_slug
    assert by_id["count"] == Proposal.objects.filter(source=source).count() > 0


def test_an_unknown_source_is_404(analyst_client, source):
    for lookup in ("no-such-source", "999999"):
        response = analyst_client.get(f"/api/sources/{lookup}/proposals/")
        assert assert_error_shape(response, [404])["errors"][0]["code"] == "not_found"


def test_a_proposal_reads_with_its_source_meeting_and_matches(viewer_client, source):
    visa = proposal_of(source, "visa exemption")
    body = viewer_client.get(f"/api/proposals/{visa.pk}/").json()
    assert body["source"] == source.slug
    assert body["proposed_meeting"] == visa.proposed_meeting_id
    assert body["matches"][0]["slug"] == VISA
    assert set(body["matches"][0]) == {"slug", "score", "title", "text"}
    assert (body["state"], body["commitment"], body["reviewed_by"]) == ("pending", None, None)
    meeting = viewer_client.get(f"/api/proposed-meetings/{visa.proposed_meeting_id}/").json()
    assert meeting["existing"] == KZ_TALKS
    assert [p["official"] for p in meeting["participants"]] == ["qin-gang", "murat-nurtleu"]


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_the_proposal_list_runs_a_constant_number_of_queries(
    analyst_client, source, django_assert_num_queries, limit
):
    # Reviewed proposals read their commitment and reviewer too, through the same join.
    resolve_to_recorded(source)
    proposal_of(source, "visa exemption").accept(
        by=None, commitment=Commitment.objects.get(slug=VISA)
    )
    # The data generation, the token, the analyst's two permission reads, the
    # source, the count and the page.
    with django_assert_num_queries(7):
        response = analyst_client.get(f"/api/sources/{source.slug}/proposals/", {"limit": limit})
    assert len(response.json()["results"]) == limit


# Adding sources


def test_a_text_file_is_stored_with_unix_line_endings(analyst_client):
    response = analyst_client.post(
        SOURCES,
        upload("readout.txt", FLOW_TEXT.replace("\n", "\r\n").encode(), **NEW_SOURCE),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["text"] == FLOW_TEXT


HTML = """<!DOCTYPE html>
<html><head>
<title>Qin Gang Holds Talks with Murat Nurtleu</title>
<meta property="article:published_time" content="2023-04-26T22:16:00+08:00">
</head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<article>
<h1>Qin Gang Holds Talks with Murat Nurtleu</h1>
<p>On April 26, 2023, State Councilor and Foreign Minister Qin Gang held talks in Xi’an with
Deputy Prime Minister and Minister of Foreign Affairs of Kazakhstan Murat Nurtleu.</p>
<p>China and Kazakhstan will open a joint centre for water conservation in Astana, the two
ministers said after their talks, and will hold its first meeting before the end of the year.</p>
</article>
<footer>Copyright Example News</footer>
</body></html>
"""


def test_an_html_page_gives_its_main_text_and_its_own_title_and_date(analyst_client):
    response = analyst_client.post(
        SOURCES,
        upload("readout.html", HTML.encode(), publisher="Example News"),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Qin Gang Holds Talks with Murat Nurtleu"
    assert body["published_on"] == "2023-04-26"
    assert "joint centre for water conservation" in body["text"]
    assert "Copyright" not in body["text"] and "<p>" not in body["text"]


def test_title_and_date_sent_with_an_html_page_win_over_its_own(analyst_client):
    response = analyst_client.post(
        SOURCES,
        upload("readout.htm", HTML.encode(), **NEW_SOURCE),
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["title"], response.json()["published_on"]) == (
        NEW_SOURCE["title"],
        NEW_SOURCE["published_on"],
    )


def test_the_same_text_again_is_409_naming_the_stored_source(analyst_client, source):
    for body, form, field in (
        ({**NEW_SOURCE, "text": TEXT}, "json", "text"),
        (upload("again.txt", TEXT.encode(), **NEW_SOURCE), "multipart", "file"),
    ):
        response = analyst_client.post(SOURCES, body, format=form)
        error = assert_error_shape(response, [409])["errors"][0]
        assert (error["code"], error["attr"]) == ("duplicate", field)
        assert f"source {source.pk}, slug “{source.slug}”" in error["detail"]
        assert f"http://testserver/api/sources/{source.pk}/" in error["detail"]
    assert SourceDocument.objects.filter(sha256=source.sha256).count() == 1


LATIN_1 = "Qin Gang sprach mit Murat Nurtleu über Visa.".encode("latin-1")


@pytest.mark.parametrize(
    ("body", "form", "field", "fragment"),
    [
        ({"text": ""}, "json", "text", "may not be blank"),
        ({"text": " \n\n "}, "json", "text", "The text is empty"),
        ({"text": "a\x00b"}, "json", "text", "NUL"),
        ({"text": "x" * 1001}, "json", "text", "the limit is 1,000"),
        ({"text": None}, "json", "text", "may not be null"),
        ({"published_on": "26/04/2023", "text": "Words."}, "json", "published_on", "YYYY-MM-DD"),
        ({"published_on": "20230426", "text": "Words."}, "json", "published_on", "YYYY-MM-DD"),
        ({"url": "not a url", "text": "Words."}, "json", "url", "valid URL"),
        ({"title": "x" * 301, "text": "Words."}, "json", "title", "no more than 300"),
        ({}, "json", "text", "required"),
        (upload("readout.pdf", b"%PDF-1.7"), "multipart", "file", "neither .txt nor .html"),
        (upload("readout", b"Words."), "multipart", "file", "neither .txt nor .html"),
        (upload("readout.txt", LATIN_1), "multipart", "file", "not UTF-8 text: byte 0xfc"),
        (upload("readout.txt", b""), "multipart", "file", "empty"),
        (upload("readout.txt", b"   \n"), "multipart", "file", "The text is empty"),
        (upload("readout.txt", b"a\x00b"), "multipart", "file", "NUL character at offset 1"),
        (upload("readout.html", b"<p>a\x00b</p>"), "multipart", "file", "NUL"),
        (upload("readout.html", b"<html></html>"), "multipart", "file", "No main text"),
        (upload("readout.txt", b"x" * 2049), "multipart", "file", "the limit is 2,048"),
        (upload("readout.txt", b"x" * 1001), "multipart", "file", "the limit is 1,000"),
        ({"file": "Words."}, "json", "file", "not a file"),
        ({"file": "Words.", "text": "Words."}, "json", "non_field_errors", "not both"),
    ],
)
def test_bad_sources_are_400_naming_the_field_and_write_nothing(
    analyst_client, source, settings, body, form, field, fragment
):
    settings.SOURCE_TEXT_MAX_CHARS = 1000
    settings.SOURCE_UPLOAD_MAX_BYTES = 2048
    before = SourceDocument.objects.count()
    response = analyst_client.post(SOURCES, {**NEW_SOURCE, **body}, format=form)
    errors = assert_error_shape(response, [400])["errors"]
    assert fragment in next(e["detail"] for e in errors if e["attr"] == field), errors
    assert SourceDocument.objects.count() == before


def test_a_text_file_without_title_or_date_is_400_naming_both(analyst_client, source):
    response = analyst_client.post(
        SOURCES, upload("readout.txt", b"Words.", publisher="Example"), format="multipart"
    )
    errors = assert_error_shape(response, [400])["errors"]
    assert {e["attr"] for e in errors} == {"title", "published_on"}


# Permissions


@pytest.mark.parametrize(
    ("method", "path", "for_anonymous", "for_viewer"),
    [
        ("post", SOURCES, 401, 403),
        ("get", "/api/sources/{source}/proposals/", 401, 200),
        ("post", "/api/sources/{source}/proposals/", 401, 403),
        ("get", "/api/proposals/{proposal}/", 401, 200),
        ("post", "/api/proposals/{proposal}/accept/", 401, 403),
        ("post", "/api/proposals/{proposal}/reject/", 401, 403),
        ("post", "/api/proposals/merge/", 401, 403),
        ("get", "/api/proposed-meetings/{meeting}/", 401, 200),
        ("post", "/api/proposed-meetings/{meeting}/resolve/", 401, 403),
    ],
)
def test_reading_needs_the_view_permission_and_writing_an_analyst(
    api_client, viewer_client, source, method, path, for_anonymous, for_viewer
):
    proposal = proposal_of(source, "laboratory")
    path = path.format(
        source=source.slug, proposal=proposal.pk, meeting=proposal.proposed_meeting_id
    )
    for client, expected in ((api_client, for_anonymous), (viewer_client, for_viewer)):
        response = getattr(client, method)(path, {"reason": "x"} if method == "post" else None)
        assert response.status_code == expected, (path, response.content)
        if expected != 200:
            assert_error_shape(response)
    # Nothing was reviewed, resolved or added.
    assert Proposal.objects.filter(source=source).exclude(state="pending").count() == 0
    assert not ProposedMeeting.objects.filter(source=source, meeting__isnull=False).exists()


def test_the_unlisted_proposal_collections_are_404(analyst_client, source):
    for path in ("/api/proposals/", "/api/proposed-meetings/"):
        assert_error_shape(analyst_client.get(path), [404])


# Reviewing


def test_a_proposal_reviewed_already_is_409(analyst_client, source):
    resolve_to_recorded(source)
    lab, visa = proposal_of(source, "laboratory"), proposal_of(source, "visa exemption")
    lab.reject(by=None, reason="Not a commitment.")
    for path, body in (
        (f"/api/proposals/{lab.pk}/accept/", {}),
        (f"/api/proposals/{lab.pk}/reject/", {"reason": "Again."}),
        ("/api/proposals/merge/", {"proposals": [visa.pk, lab.pk]}),
    ):
        error = assert_error_shape(analyst_client.post(path, body, format="json"), [409])
        assert error["errors"][0]["code"] == "already_reviewed"
        assert f"{lab.pk}: rejected" in error["errors"][0]["detail"]
    lab.refresh_from_db()
    assert (lab.state, lab.reject_reason) == (ReviewState.REJECTED, "Not a commitment.")
    # The merge wrote nothing either.
    assert Proposal.objects.get(pk=visa.pk).state == ReviewState.PENDING


def test_a_meeting_resolved_already_is_409(analyst_client, source):
    proposed = resolve_to_recorded(source)
    response = analyst_client.post(
        f"/api/proposed-meetings/{proposed.pk}/resolve/", {}, format="json"
    )
    error = assert_error_shape(response, [409])["errors"][0]
    assert (error["code"], error["detail"]) == (
        "already_resolved",
        f"Already resolved to the meeting “{KZ_TALKS}”.",
    )


def test_resolving_with_no_meeting_records_it_as_proposed(analyst_client, source):
    proposed = source.proposed_meetings.get()
    response = analyst_client.post(
        f"/api/proposed-meetings/{proposed.pk}/resolve/", {}, format="json"
    )
    assert response.status_code == 200, response.content
    meeting = Meeting.objects.get(slug=response.json()["meeting"])
    assert (meeting.date, meeting.country_id, meeting.city) == (
        datetime.date(2023, 4, 26),
        "CN",
        "Xi’an",
    )
    assert sorted(meeting.participations.values_list("official__slug", flat=True)) == [
        "murat-nurtleu",
        "qin-gang",
    ]


def test_resolving_to_an_unknown_meeting_is_400_naming_it(analyst_client, source):
    proposed = source.proposed_meetings.get()
    response = analyst_client.post(
        f"/api/proposed-meetings/{proposed.pk}/resolve/", {"meeting": "nowhere"}, format="json"
    )
    error = assert_error_shape(response, [400])["errors"][0]
    assert (error["attr"], error["detail"]) == ("meeting", "No meeting has the slug “nowhere”.")


def test_accepting_before_the_meeting_is_resolved_is_400_with_the_models_message(
    analyst_client, source
):
    lab = proposal_of(source, "laboratory")
    response = analyst_client.post(f"/api/proposals/{lab.pk}/accept/", {}, format="json")
    error = assert_error_shape(response, [400])["errors"][0]
    assert error["attr"] == "non_field_errors"
    assert error["detail"].startswith("Resolve the proposed meeting first")
    assert Proposal.objects.get(pk=lab.pk).state == ReviewState.PENDING


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"commitment": "no-such-commitment"}, "commitment", "No commitment has the slug"),
        ({"commitment": VISA, "title": "A title"}, "commitment", "not both; got also title"),
        ({"parties": [{"country": "kz", "role": "lead"}]}, "parties.0.country", "capitals"),
        ({"parties": [{"country": "ZZ", "role": "lead"}]}, "parties.0.country", "Unknown"),
        ({"parties": [{"country": "KZ", "role": "boss"}]}, "parties.0.role", "valid choice"),
        ({"parties": []}, "parties", "at least one party"),
        (
            {"parties": [{"country": "KZ", "role": "lead"}, {"country": "KZ", "role": "partner"}]},
            "parties",
            "only once",
        ),
        ({"slug": VISA}, "slug", "already exists"),
        ({"slug": "Not a slug!"}, "slug", "valid"),
        ({"category": "miracles"}, "category", "valid choice"),
        ({"due_date": "2026-13-01"}, "due_date", "YYYY-MM-DD"),
        ({"title": ""}, "title", "blank"),
    ],
)
def test_bad_acceptances_are_400_naming_the_field_and_change_nothing(
    analyst_client, source, body, field, fragment
):
    resolve_to_recorded(source)
    lab = proposal_of(source, "laboratory")
    commitments = Commitment.objects.count()
    response = analyst_client.post(f"/api/proposals/{lab.pk}/accept/", body, format="json")
    errors = assert_error_shape(response, [400])["errors"]
    assert fragment in next(e["detail"] for e in errors if e["attr"] == field), errors
    assert Proposal.objects.get(pk=lab.pk).state == ReviewState.PENDING
    assert Commitment.objects.count() == commitments


def test_a_new_commitment_may_take_other_parties_and_a_slug(analyst_client, source):
    resolve_to_recorded(source)
    lab = proposal_of(source, "laboratory")
    response = analyst_client.post(
        f"/api/proposals/{lab.pk}/accept/",
        {
            "slug": "cn-kz-desert-agriculture-lab",
            "category": "science_innovation",
            "parties": [{"country": "KZ", "role": "lead"}, {"country": "CN", "role": "partner"}],
            "description": "A joint laboratory in Almaty.",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["commitment"] == "cn-kz-desert-agriculture-lab"
    commitment = Commitment.objects.get(slug="cn-kz-desert-agriculture-lab")
    assert commitment.category == "science_innovation"
    assert list(commitment.parties.values_list("country_id", "role")) == [
        ("KZ", "lead"),
        ("CN", "partner"),
    ]


def test_a_mention_of_another_commitment_than_suggested_is_not_as_proposed(analyst_client, source):
    resolve_to_recorded(source)
    visa = proposal_of(source, "visa exemption")
    response = analyst_client.post(
        f"/api/proposals/{visa.pk}/accept/",
        {"commitment": "cn-kz-practical-cooperation"},
        format="json",
    )
    assert (response.json()["state"], response.json()["accepted_as_proposed"]) == (
        "mention",
        False,
    )
    assert Mention.objects.filter(
        commitment__slug="cn-kz-practical-cooperation", document=source
    ).exists()


def test_a_rejection_needs_a_reason(analyst_client, source):
    lab = proposal_of(source, "laboratory")
    for body, fragment in (
        ({}, "required"),
        ({"reason": "  "}, "blank"),
        ({"reason": "x" * 301}, "300"),
    ):
        response = analyst_client.post(f"/api/proposals/{lab.pk}/reject/", body, format="json")
        error = assert_error_shape(response, [400])["errors"][0]
        assert error["attr"] == "reason" and fragment in error["detail"], error
    assert Proposal.objects.get(pk=lab.pk).state == ReviewState.PENDING


def test_merging_accepts_the_first_as_new_and_the_others_as_its_mentions(analyst_client, source):
    resolve_to_recorded(source)
    to_aktobe = proposal_of(source, "consulates general", lead="CN")
    to_xian = proposal_of(source, "consulates general", lead="KZ")
    response = analyst_client.post(
        "/api/proposals/merge/",
        {
            "proposals": [to_aktobe.pk, to_xian.pk],
            "title": "China and Kazakhstan open consulates general in Xi’an and Aktobe",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(p["id"], p["state"]) for p in body["proposals"]] == [
        (to_aktobe.pk, "accepted"),
        (to_xian.pk, "mention"),
    ]
    assert {p["commitment"] for p in body["proposals"]} == {body["commitment"]}
    commitment = Commitment.objects.get(slug=body["commitment"])
    assert commitment.title == "China and Kazakhstan open consulates general in Xi’an and Aktobe"
    # Both proposals quote the same span: one mention.
    assert commitment.mentions.count() == 1


@pytest.mark.parametrize(
    ("proposals", "fragment"),
    [
        ([1], "at least 2"),
        ([], "at least 2"),
        ("1,2", "list"),
        ([1, 1], "listed twice"),
        ([999998, 999999], "No proposal has the id 999998, 999999"),
        ([1, "x"], "positive whole number"),
        ([1, 1.5], "positive whole number"),
        ([1, True], "positive whole number"),
        ([1, 10**30], "positive whole number"),
    ],
)
def test_a_bad_merge_is_400_naming_the_proposals(analyst_client, source, proposals, fragment):
    response = analyst_client.post("/api/proposals/merge/", {"proposals": proposals}, format="json")
    errors = assert_error_shape(response, [400])["errors"]
    assert all(e["attr"].startswith("proposals") for e in errors), errors
    assert any(fragment in e["detail"] for e in errors), errors


def test_the_schema_documents_the_conflicts():
    paths = yaml.safe_load(SCHEMA_FILE.read_text())["paths"]
    for path in (
        "/api/sources/",
        "/api/proposals/{id}/accept/",
        "/api/proposals/{id}/reject/",
        "/api/proposals/merge/",
        "/api/proposed-meetings/{id}/resolve/",
    ):
        assert "409" in paths[path]["post"]["responses"], path
    assert {"multipart/form-data", "application/json"} == set(
        paths["/api/sources/"]["post"]["requestBody"]["content"]
    )
    # The review queue is not public.
    assert {} not in paths["/api/sources/{source}/proposals/"]["get"]["security"]


# Hostile input


def raw_object(fields: dict) -> str:
    return "{" + ",".join(f'"{key}": {value}' for key, value in fields.items()) + "}"


@pytest.mark.parametrize("field", ["title", "publisher", "url", "published_on", "language", "text"])
def test_hostile_source_fields_write_nothing(analyst_client, source, field):
    for number, value in enumerate(HOSTILE_JSON):
        fields = {
            "title": '"A readout"',
            "publisher": '"Example"',
            "published_on": '"2023-04-26"',
            # A text of its own each time, so that none is refused as a duplicate.
            "text": f'"Readout {field} {number}: the two sides agreed to cooperate."',
        }
        fields[field] = value
        before = SourceDocument.objects.count()
        response = post_raw(analyst_client, SOURCES, raw_object(fields))
        if response.status_code == 201:
            assert value not in UNSTORABLE, (value, response.content)
            continue
        assert_error_shape(response)
        assert SourceDocument.objects.count() == before, value


def test_hostile_multipart_fields_are_400_naming_them(analyst_client, source):
    for field in ("title", "publisher", "url", "published_on", "language"):
        response = analyst_client.post(
            SOURCES,
            upload("readout.txt", b"Words.", **{**NEW_SOURCE, field: "a\x00b"}),
            format="multipart",
        )
        assert assert_error_shape(response, [400])["errors"][0]["attr"] == field


@pytest.mark.parametrize(
    ("action", "fields", "base"),
    [
        (
            "accept",
            ["commitment", "title", "category", "parties", "due_date", "slug", "description"],
            {},
        ),
        ("reject", ["reason"], {}),
        ("merge", ["proposals", "title", "parties", "due_date"], {"proposals": "MERGED"}),
    ],
)
def test_hostile_review_fields_change_nothing(analyst_client, source, action, fields, base):
    resolve_to_recorded(source)
    lab = proposal_of(source, "laboratory")
    visa = proposal_of(source, "visa exemption")
    path = f"/api/proposals/{lab.pk}/{action}/"
    if action == "merge":
        path, base = "/api/proposals/merge/", {"proposals": f"[{lab.pk}, {visa.pk}]"}
    for field in fields:
        for value in HOSTILE_JSON:
            # Each try in a savepoint of its own: one that is accepted is undone.
            with transaction.atomic():
                response = post_raw(analyst_client, path, raw_object({**base, field: value}))
                if response.status_code == 200:
                    assert value not in UNSTORABLE, (field, value, response.content)
                else:
                    assert_error_shape(response)
                    assert Proposal.objects.get(pk=lab.pk).state == ReviewState.PENDING
                transaction.set_rollback(True)


def test_hostile_meeting_values_resolve_nothing(analyst_client, source):
    proposed = source.proposed_meetings.get()
    for value in HOSTILE_JSON:
        response = post_raw(
            analyst_client,
            f"/api/proposed-meetings/{proposed.pk}/resolve/",
            raw_object({"meeting": value}),
        )
        assert_error_shape(response)
        assert ProposedMeeting.objects.get(pk=proposed.pk).meeting_id is None, value


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/api/sources/{}/proposals/"),
        ("post", "/api/sources/{}/proposals/"),
        ("get", "/api/proposals/{}/"),
        ("post", "/api/proposals/{}/accept/"),
        ("post", "/api/proposals/{}/reject/"),
        ("get", "/api/proposed-meetings/{}/"),
        ("post", "/api/proposed-meetings/{}/resolve/"),
    ],
)
def test_hostile_path_lookups_are_4xx_in_the_error_shape(analyst_client, source, method, template):
    for lookup in HOSTILE_LOOKUPS:
        response = getattr(analyst_client, method)(template.format(lookup))
        assert_error_shape(response, [400, 404])


@pytest.mark.parametrize("name", ["state", "limit", "offset"])
def test_hostile_list_parameters_are_400_naming_them(analyst_client, source, name):
    for value in HOSTILE_TEXT:
        response = analyst_client.get(f"/api/sources/{source.slug}/proposals/", {name: value})
        body = assert_error_shape(response, [400])
        assert name in [error["attr"] for error in body["errors"]], (value, body)


@pytest.mark.parametrize(
    "path",
    [
        SOURCES,
        "/api/proposals/{proposal}/accept/",
        "/api/proposals/{proposal}/reject/",
        "/api/proposals/merge/",
        "/api/proposed-meetings/{meeting}/resolve/",
    ],
)
def test_hostile_whole_bodies_are_refused(analyst_client, source, path):
    resolve_to_recorded(source)
    lab = proposal_of(source, "laboratory")
    path = path.format(proposal=lab.pk, meeting=lab.proposed_meeting_id)
    sources = SourceDocument.objects.count()
    for value in HOSTILE_JSON:
        with transaction.atomic():
            response = post_raw(analyst_client, path, value)
            if response.status_code == 200:
                # Only an empty object may pass: it accepts the proposal as proposed.
                assert (value, path.rsplit("/", 2)[-2]) == ("{}", "accept"), response.content
            else:
                assert_error_shape(response)
                assert Proposal.objects.get(pk=lab.pk).state == ReviewState.PENDING, value
            transaction.set_rollback(True)
    assert SourceDocument.objects.count() == sources
