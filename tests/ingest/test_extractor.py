"""The proposer on the constructions readouts use, and what it must leave alone."""

import datetime
import json
from pathlib import Path

import pytest
from django.conf import settings

from commitments.ingest.extractor import Party, Proposal, verified
from commitments.ingest.proposer import propose
from commitments.ingest.rules import RulesError, build_gazetteer, load_rules

DAY = datetime.date(2023, 4, 26)
SEED_TEXT = (settings.BASE_DIR / "seeds/000_44b88345c44fa60a.txt").read_text(encoding="utf-8")
OPENING = (
    "On May 17, 2024, Chinese Foreign Minister Wang Yi held talks in Beijing with "
    "Kazakh Foreign Minister Murat Nurtleu.\n\n"
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposals_of(seeded_data):
    def run(body: str, opening: str = OPENING, published_on=datetime.date(2024, 5, 17)):
        return propose(opening + body, published_on=published_on)

    return run


def parties_of(proposal) -> set[tuple[str, str]]:
    return {(party.country, party.role) for party in proposal.parties}


def test_it_reads_the_meeting_its_date_place_and_a_new_official(proposals_of):
    extraction = proposals_of("The two sides agreed to expand trade.")
    (meeting,) = extraction.meetings
    assert meeting.date == datetime.date(2024, 5, 17)
    assert meeting.city == "Beijing"
    assert meeting.countries == ["CN", "KZ"]
    assert meeting.existing is None
    wang, nurtleu = meeting.participants
    # Unknown to the database: proposed with the country and title the text gives.
    assert (wang.name, wang.country, wang.official, wang.title) == (
        "Wang Yi",
        "CN",
        None,
        "Foreign Minister",
    )
    assert nurtleu.official == "murat-nurtleu"


def test_an_agreement_of_the_two_sides_binds_both_as_leads(proposals_of):
    (proposal,) = proposals_of("The two sides agreed to expand trade in farm produce.").proposals
    assert parties_of(proposal) == {("CN", "lead"), ("KZ", "lead")}
    assert proposal.rule == "agreement"
    assert proposal.category == "trade"


def test_one_sides_intention_makes_the_other_its_partner(proposals_of):
    (proposal,) = proposals_of("China will open a new visa centre in Almaty.").proposals
    assert parties_of(proposal) == {("CN", "lead"), ("KZ", "partner")}
    assert proposal.category == "visa_regime"


def test_readiness_is_a_commitment(proposals_of):
    (proposal,) = proposals_of("Kazakhstan is ready to increase wheat exports to China.").proposals
    assert proposal.rule == "readiness"
    assert ("KZ", "lead") in parties_of(proposal)


def test_support_for_hosting_makes_the_host_the_lead_and_the_supporter_its_backer(proposals_of):
    (proposal,) = proposals_of(
        "China supports Kazakhstan in hosting the next summit of the SCO."
    ).proposals
    assert parties_of(proposal) == {("KZ", "lead"), ("CN", "supporter")}


def test_the_imperative_items_of_a_list_of_outcomes_are_each_proposed(proposals_of):
    opening = (
        "China and Kazakhstan agreed on a list of outcomes at their summit in Astana on "
        "May 17, 2024.\n\n"
    )
    body = (
        "• Study the feasibility of a second railway crossing.\n\n"
        "• Promote trade in agricultural products.\n\n"
        "• Establish a joint laboratory of artificial intelligence.\n"
    )
    extraction = proposals_of(body, opening=opening)
    assert [p.quote for p in extraction.proposals] == [
        "Study the feasibility of a second railway crossing.",
        "Promote trade in agricultural products.",
        "Establish a joint laboratory of artificial intelligence.",
    ]
    assert [p.category for p in extraction.proposals] == [
        "transport_connectivity",
        "trade",
        "science_innovation",
    ]
    assert all(parties_of(p) == {("CN", "lead"), ("KZ", "lead")} for p in extraction.proposals)


def test_consulates_in_two_cities_respectively_are_one_proposal_per_city(proposals_of):
    proposals = proposals_of(
        "China and Kazakhstan will set up consulates general in Xi’an and Aktobe, respectively."
    ).proposals
    # The consulate in Xi'an is Kazakhstan's; the one in Aktobe is China's.
    assert sorted(sorted(parties_of(p)) for p in proposals) == [
        [("CN", "lead"), ("KZ", "partner")],
        [("CN", "partner"), ("KZ", "lead")],
    ]


def test_centres_in_each_others_countries_are_one_proposal_per_side_and_pair(seeded_data):
    extraction = propose(SEED_TEXT, published_on=DAY)
    centres = [p for p in extraction.proposals if "cultural centers" in p.quote]
    pairs = {
        (extraction.meetings[p.meeting].countries[1], frozenset(parties_of(p))) for p in centres
    }
    assert pairs == {
        (code, frozenset({(lead, "lead"), (partner, "partner")}))
        for code in ("KG", "TJ", "TM")
        for lead, partner in (("CN", code), (code, "CN"))
    }


def test_a_group_subject_is_spread_over_each_members_meeting(seeded_data):
    extraction = propose(SEED_TEXT, published_on=DAY)
    belt_and_road = [
        p for p in extraction.proposals if p.quote == "advance Belt and Road cooperation"
    ]
    assert sorted(extraction.meetings[p.meeting].countries[1] for p in belt_and_road) == [
        "KG",
        "KZ",
        "TJ",
        "TM",
        "UZ",
    ]
    for proposal in belt_and_road:
        guest = extraction.meetings[proposal.meeting].countries[1]
        assert parties_of(proposal) == {(guest, "lead"), ("CN", "partner")}


@pytest.mark.parametrize(
    "sentence",
    [
        "Last year, the two sides signed an agreement on avoiding double taxation.",
        "Kazakhstan said Chinese modernization will bring new opportunities to the region.",
        "They expressed confidence that the summit will be a complete success.",
        "The relationship has become a model of good-neighbourliness.",
        "Wang Yi congratulated Kazakhstan on its national day.",
    ],
)
def test_history_predictions_and_courtesies_are_not_proposed(proposals_of, sentence):
    assert proposals_of(sentence).proposals == []


def test_every_quote_is_the_text_between_its_offsets(seeded_data):
    folder = settings.BASE_DIR / "bench/extraction/texts"
    texts = [SEED_TEXT, *(path.read_text(encoding="utf-8") for path in folder.glob("*.txt"))]
    for text in texts:
        for proposal in propose(text, published_on=DAY).proposals:
            assert text[proposal.start : proposal.end] == proposal.quote


def test_quotes_from_another_backend_that_are_not_verbatim_are_dropped():
    text = "China will build a railway."
    proposal = Proposal(
        quote="China will build a railway.",
        start=0,
        end=27,
        meeting=0,
        parties=[Party("CN", "lead")],
        category="other",
        title="t",
        rule="llm",
        confidence=0.9,
    )
    paraphrased = Proposal(**{**proposal.__dict__, "quote": "China is to build a railway."})
    shifted = Proposal(**{**proposal.__dict__, "start": 1, "end": 28})
    no_meeting = Proposal(**{**proposal.__dict__, "meeting": 3})
    assert verified(text, [proposal, paraphrased, shifted, no_meeting], meeting_count=1) == [
        proposal
    ]


def test_a_run_is_deterministic(seeded_data):
    first = propose(SEED_TEXT, published_on=DAY).as_json()
    second = propose(SEED_TEXT, published_on=DAY).as_json()
    assert json.dumps(first) == json.dumps(second)


def test_the_seed_restated_lands_on_its_recorded_commitments(seeded_data):
    extraction = propose(SEED_TEXT, published_on=DAY)
    assert [m.existing for m in extraction.meetings] == [
        f"2023-04-26-xian-cn-{code}-talks" for code in ("kz", "kg", "tj", "uz", "tm")
    ]
    visa = next(p for p in extraction.proposals if "visa exemption" in p.quote)
    assert visa.matches[0]["slug"] == "cn-kz-mutual-visa-exemption"
    consulates = [p for p in extraction.proposals if "consulates general" in p.quote]
    assert {p.matches[0]["slug"] for p in consulates} == {
        "kz-consulate-general-xian",
        "cn-consulate-general-aktobe",
    }


def test_the_rules_are_data_an_analyst_can_extend(seeded_data, tmp_path):
    rules_text = Path(settings.EXTRACTION_RULES).read_text(encoding="utf-8")
    sentence = "China will open a trade office in Zhambyl."
    text = OPENING + sentence
    before = propose(text, published_on=DAY)
    assert before.proposals[0].category == "trade"
    extended = tmp_path / "rules.yaml"
    extended.write_text(
        rules_text.replace("consular_presence: [", "consular_presence: [trade office, "),
        encoding="utf-8",
    )
    gazetteer = build_gazetteer(load_rules(extended))
    after = propose(text, published_on=DAY, gazetteer=gazetteer)
    assert after.proposals[0].category == "consular_presence"


@pytest.mark.parametrize(
    "change, message",
    [
        (("stopwords: [", "stopwords: [on, "), "stopwords item 1: True is not a non-empty string"),
        (("cues:\n", "cues:\n  - {kind: x, confidence: 0.5, pattern: '('}\n"), "cues item 1"),
        (("categories:\n", "categories:\n  weather: [rain]\n"), "unknown category weather"),
        (("titles: [", "nottitles: ["), "missing section titles"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_place(tmp_path, change, message):
    text = Path(settings.EXTRACTION_RULES).read_text(encoding="utf-8")
    broken = tmp_path / "rules.yaml"
    broken.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(RulesError) as error:
        load_rules(broken)
    assert str(broken) in str(error.value)
    assert message in str(error.value)


def test_an_unknown_official_named_before_the_title_is_proposed_with_it(proposals_of):
    opening = (
        "On December 1, 2024, Wang Yi, member of the Political Bureau, Minister of Foreign "
        "Affairs of the People’s Republic of China, held talks in Chengdu with Murat Nurtleu.\n\n"
    )
    (meeting,) = proposals_of("The two sides agreed to expand trade.", opening=opening).meetings
    wang = meeting.participants[0]
    assert (wang.name, wang.country, wang.official, wang.title) == (
        "Wang Yi",
        "CN",
        None,
        "Minister of Foreign Affairs",
    )
    assert meeting.countries == ["CN", "KZ"]


def test_documents_listed_under_a_colon_are_proposed_and_the_prose_after_them_is_not(
    proposals_of,
):
    body = (
        "Following the talks, a number of documents were signed:\n\n"
        "An agreement on cooperation in the processing industry;\n\n"
        "A memorandum on the establishment of a joint laboratory.\n\n"
        "Development of the region was discussed at length. Both leaders then visited a "
        "museum.\n"
    )
    quotes = [p.quote for p in proposals_of(body).proposals]
    assert quotes == [
        "An agreement on cooperation in the processing industry;",
        "A memorandum on the establishment of a joint laboratory.",
    ]
