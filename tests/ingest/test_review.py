"""Adding a source, storing proposals, and the one accept method."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from commitments.choices import ReviewState
from commitments.ingest.models import Proposal, merge_proposals
from commitments.ingest.services import (
    DuplicateSource,
    add_source,
    read_upload,
    run_proposer,
)
from commitments.models import Commitment, Meeting, Mention, Official, SourceDocument
from tests.ingest.texts import READOUT

pytestmark = pytest.mark.django_db


def new_source(text=READOUT, **fields):
    return add_source(
        text=text,
        title=fields.pop("title", "Wang Yi holds talks with Murat Nurtleu"),
        publisher="Ministry of Foreign Affairs",
        published_on=datetime.date(2024, 5, 17),
        **fields,
    )


@pytest.fixture
def source(seeded_data):
    source = new_source()
    run_proposer(source)
    return source


@pytest.fixture
def resolved(source, analyst):
    """The source, its meeting recorded as proposed."""
    source.proposed_meetings.get().resolve(by=analyst)
    return source


def proposal_quoting(source, words: str) -> Proposal:
    return source.proposals.get(quote__contains=words)


def test_the_same_text_twice_is_refused_naming_the_stored_source(source):
    with pytest.raises(DuplicateSource) as error:
        new_source(title="Another title")
    assert error.value.existing == source
    assert source.title in error.value.messages[0]
    assert SourceDocument.objects.filter(sha256=source.sha256).count() == 1


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("readout.txt", b"caf\xe9 au lait", "not UTF-8 text: byte 0xe9 at position 3"),
        ("readout.txt", b"  \n\t ", "The text is empty."),
        ("readout.pdf", b"%PDF-1.7", "neither .txt nor .html/.htm"),
        ("readout.txt", b"a\x00b", "NUL character at offset 1"),
        ("page.html", b"<html><body><script>x()</script></body></html>", "No main text"),
    ],
)
def test_unusable_uploads_are_refused_saying_why(name, data, message):
    with pytest.raises(ValidationError) as error:
        read_upload(name, data)
    assert message in " ".join(error.value.messages)


@override_settings(SOURCE_TEXT_MAX_CHARS=100, SOURCE_UPLOAD_MAX_BYTES=150)
def test_oversize_text_and_files_are_refused_with_the_limit(db):
    sources = SourceDocument.objects.count()
    with pytest.raises(ValidationError, match="the limit is 100"):
        new_source(text="x" * 101)
    with pytest.raises(ValidationError, match="the limit is 150"):
        read_upload("readout.txt", b"x" * 151)
    assert SourceDocument.objects.count() == sources


def test_an_html_page_is_reduced_to_its_main_text():
    page = (
        b"<html><head><title>Talks in Beijing</title></head><body><nav>Home | News</nav>"
        b"<article><h1>Talks in Beijing</h1><p>On May 17, 2024, Wang Yi held talks in Beijing.</p>"
        b"<p>The two sides agreed to expand trade.</p><script>alert(1)</script></article>"
        b"<footer>Copyright</footer></body></html>"
    )
    source = read_upload("talks.HTML", page)
    assert "alert" not in source.text and "Copyright" not in source.text
    assert "On May 17, 2024, Wang Yi held talks in Beijing.\n\nThe two sides agreed" in source.text


def test_windows_line_endings_are_stored_as_the_offsets_will_read_them(seeded_data):
    source = new_source(text=READOUT.replace("\n", "\r\n"))
    assert "\r" not in source.text
    run_proposer(source)
    for proposal in source.proposals.all():
        assert source.text[proposal.start : proposal.end] == proposal.quote


def test_a_rerun_is_idempotent_and_leaves_reviewed_proposals_alone(source, analyst):
    before = list(source.proposals.values_list("pk", "start", "end", "parties_key"))
    rejected = before[0][0]
    Proposal.objects.get(pk=rejected).reject(by=analyst, reason="not a commitment")
    run = run_proposer(source)
    assert (run.created, run.dropped, run.reviewed) == (0, 0, 1)
    assert list(source.proposals.values_list("pk", "start", "end", "parties_key")) == before
    assert Proposal.objects.get(pk=rejected).state == ReviewState.REJECTED


def test_accepting_before_the_meeting_is_resolved_says_what_to_do(source, analyst):
    proposal = proposal_quoting(source, "agreed to expand trade")
    with pytest.raises(ValidationError, match="Resolve the proposed meeting first"):
        proposal.accept(by=analyst)
    assert proposal.state == ReviewState.PENDING


def test_resolving_records_the_meeting_and_the_new_official(resolved):
    meeting = resolved.proposed_meetings.get().meeting
    assert (meeting.date, meeting.city, meeting.country_id) == (
        datetime.date(2024, 5, 17),
        "Beijing",
        "CN",
    )
    wang = Official.objects.get(name="Wang Yi")
    assert wang.positions.get().country_id == "CN"
    assert set(meeting.participants.values_list("slug", flat=True)) == {wang.slug, "murat-nurtleu"}


def test_accepting_as_new_creates_the_commitment_parties_and_origin_in_one_step(resolved, analyst):
    proposal = proposal_quoting(resolved, "agreed to expand trade")
    commitment = proposal.accept(by=analyst, title="Expand trade in agricultural products")
    assert commitment.title == "Expand trade in agricultural products"
    assert set(commitment.parties.values_list("country", "role")) == {
        ("CN", "lead"),
        ("KZ", "lead"),
    }
    origin = commitment.mentions.get()
    assert (origin.is_origin, origin.quote, origin.start) == (True, proposal.quote, proposal.start)
    assert commitment.history.get().history_user == analyst
    proposal.refresh_from_db()
    assert (proposal.state, proposal.commitment, proposal.reviewed_by) == (
        ReviewState.ACCEPTED,
        commitment,
        analyst,
    )
    # The title was edited: the proposal was not accepted as it was.
    assert proposal.accepted_as_proposed is False


def test_accepting_a_restatement_adds_a_mention_and_bumps_the_version(resolved, analyst):
    proposal = proposal_quoting(resolved, "visa exemption")
    assert proposal.matches[0]["slug"] == "cn-kz-mutual-visa-exemption"
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    version = visa.version
    proposal.accept(by=analyst, commitment=visa)
    visa.refresh_from_db()
    assert visa.version == version + 1
    mention = visa.mentions.get(document=resolved)
    assert (mention.is_origin, mention.quote) == (False, proposal.quote)
    proposal.refresh_from_db()
    assert (proposal.state, proposal.accepted_as_proposed) == (ReviewState.MENTION, True)


def test_a_proposal_is_reviewed_only_once(resolved, analyst):
    proposal = proposal_quoting(resolved, "agreed to expand trade")
    proposal.accept(by=analyst)
    with pytest.raises(ValidationError, match="already reviewed"):
        proposal.accept(by=analyst)
    with pytest.raises(ValidationError, match="already reviewed"):
        proposal.reject(by=analyst, reason="late")
    assert Commitment.objects.filter(proposals=proposal).count() == 1


def test_a_refused_accept_writes_nothing(resolved, analyst):
    proposal = proposal_quoting(resolved, "agreed to expand trade")
    commitments, mentions = Commitment.objects.count(), Mention.objects.count()
    with pytest.raises(ValidationError, match="Unknown country code"):
        proposal.accept(by=analyst, parties=[{"country": "CN", "role": "lead"},
                                              {"country": "QQ", "role": "partner"}])  # fmt: skip
    assert (Commitment.objects.count(), Mention.objects.count()) == (commitments, mentions)
    proposal.refresh_from_db()
    assert proposal.state == ReviewState.PENDING


def test_rejecting_needs_a_reason(resolved, analyst):
    proposal = proposal_quoting(resolved, "agreed to expand trade")
    with pytest.raises(ValidationError, match="Say why"):
        proposal.reject(by=analyst, reason="  ")
    proposal.reject(by=analyst, reason="A courtesy, not a commitment")
    assert (proposal.state, proposal.reject_reason) == (
        ReviewState.REJECTED,
        "A courtesy, not a commitment",
    )


def test_merging_makes_one_commitment_with_a_mention_per_quote(resolved, analyst):
    first = proposal_quoting(resolved, "agreed to expand trade")
    second = proposal_quoting(resolved, "hosting the next summit")
    commitment = merge_proposals([first, second], by=analyst, title="Trade and the SCO summit")
    assert sorted(commitment.mentions.values_list("start", flat=True)) == [
        first.start,
        second.start,
    ]
    assert set(
        Proposal.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
    ) == {
        ReviewState.ACCEPTED,
        ReviewState.MENTION,
    }


def test_an_existing_meeting_can_be_chosen_instead_of_a_new_one(source, analyst):
    meeting = Meeting.objects.get(slug="2023-04-26-xian-cn-kz-talks")
    meetings = Meeting.objects.count()
    source.proposed_meetings.get().resolve(by=analyst, meeting=meeting)
    assert Meeting.objects.count() == meetings
    commitment = proposal_quoting(source, "agreed to expand trade").accept(by=analyst)
    assert commitment.meeting == meeting


@pytest.mark.parametrize(
    "participants, message",
    [
        ("Wang Yi", "must be a list"),
        ([["Wang Yi"]], "Participant 1 must be a mapping"),
        ([{"name": ""}], "Participant 1 needs a name"),
        ([{"name": "Wang Yi", "country": "XX"}], "unknown country code “XX”"),
        ([{"name": "Wang Yi", "role": "king"}], "role must be one of"),
        ([{"name": "Wang Yi", "age": 70}], "unknown key age"),
        ([{"name": "Wang Yi", "official": 7}], "official must be text"),
    ],
)
def test_an_edited_proposed_meeting_with_unusable_participants_is_refused(
    source, analyst, participants, message
):
    proposed = source.proposed_meetings.get()
    proposed.participants = participants
    with pytest.raises(ValidationError, match=message):
        proposed.full_clean()
    # Stored anyway (not through a form): recording the meeting still refuses it.
    proposed.save()
    meetings = Meeting.objects.count()
    with pytest.raises(ValidationError, match=message):
        proposed.resolve(by=analyst)
    assert Meeting.objects.count() == meetings


def test_a_statement_of_many_parties_is_stored(seeded_data):
    names = ["China", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan", "Turkmenistan",
             "Russia", "India", "Pakistan", "Iran", "Mongolia", "Belarus", "Brazil", "Egypt",
             "Ethiopia", "Indonesia", "Malaysia", "Thailand", "Viet Nam", "Cambodia", "Laos",
             "Nepal", "Sri Lanka", "Bangladesh", "Azerbaijan"]  # fmt: skip
    text = (
        f"On June 20, 2025, {', '.join(names)} held a summit in Astana.\n\n"
        "All parties agreed to strengthen cooperation in trade and connectivity."
    )
    source = new_source(text=text, title="A summit of many")
    run_proposer(source)
    (proposal,) = source.proposals.all()
    assert len(proposal.parties) == len(names)
    # A re-run finds the same proposal by its (fixed-size) party key.
    assert run_proposer(source).created == 0
