"""One run of the proposer over a text: meetings, commitments and restatements."""

import datetime
from dataclasses import dataclass

from ..models import Meeting
from .extractor import Extractor, Proposal, RuleExtractor, verified
from .matching import attach_matches
from .meetings import MeetingProposal, Participant, find_meetings
from .rules import Gazetteer, build_gazetteer
from .text import Span


@dataclass
class Extraction:
    """What the proposer found in one text."""

    meetings: list[MeetingProposal]
    proposals: list[Proposal]

    def as_json(self) -> dict:
        """Return the documented JSON of `propose_commitments --json`."""
        return {
            "meetings": [meeting.as_json() for meeting in self.meetings],
            "proposals": [
                {
                    **{key: value for key, value in proposal.as_json().items() if key != "rule"},
                    "matches": [
                        {"slug": match["slug"], "score": match["score"]}
                        for match in proposal.matches
                    ],
                }
                for proposal in self.proposals
            ],
        }


def meeting_proposal_of(meeting: Meeting, gazetteer: Gazetteer) -> MeetingProposal:
    """Return a recorded meeting in the shape of a proposed one."""
    participations = meeting.participations.select_related("official").order_by("role", "pk")
    known = {official.slug: official for official in gazetteer.officials}
    participants = []
    for participation in participations:
        official = known.get(participation.official.slug)
        participants.append(
            Participant(
                participation.official.name,
                official.country if official else None,
                participation.official.slug,
                official.title if official else "",
                participation.role,
            )
        )
    participants.sort(key=lambda p: p.role != "host")
    countries = [meeting.country_id]
    for participant in participants:
        if participant.country and participant.country not in countries:
            countries.append(participant.country)
    return MeetingProposal(
        date=meeting.date,
        city=meeting.city,
        country=meeting.country_id,
        kind=meeting.kind,
        title=meeting.title,
        participants=participants,
        countries=countries,
        span=Span(0, 0),
        existing=meeting.slug,
    )


def attach_existing_meetings(meetings: list[MeetingProposal], gazetteer: Gazetteer) -> None:
    """Point each proposed meeting at a recorded one with the same date and participants."""
    dates = {m.date for m in meetings if m.date and not m.existing}
    if not dates:
        return
    recorded = (
        Meeting.objects.filter(date__in=dates)
        .prefetch_related("participations__official")
        .order_by("date", "slug")
    )
    officials = {official.slug: official for official in gazetteer.officials}
    for meeting in meetings:
        if meeting.existing or not meeting.date:
            continue
        wanted_people = {p.official for p in meeting.participants}
        wanted_countries = set(meeting.countries)
        for candidate in recorded:
            if candidate.date != meeting.date:
                continue
            people = {p.official.slug for p in candidate.participations.all()}
            countries = {candidate.country_id} | {
                officials[slug].country
                for slug in people
                if slug in officials and officials[slug].country
            }
            if None not in wanted_people and wanted_people and people == wanted_people:
                meeting.existing = candidate.slug
                break
            if countries == wanted_countries and candidate.slug not in meeting.existing_candidates:
                meeting.existing_candidates.append(candidate.slug)
        if not meeting.existing and len(meeting.existing_candidates) == 1:
            meeting.existing = meeting.existing_candidates[0]


def propose(
    text: str,
    *,
    published_on: datetime.date | None = None,
    meetings: list[Meeting] | None = None,
    extractor: Extractor | None = None,
    gazetteer: Gazetteer | None = None,
) -> Extraction:
    """Propose the meetings and commitments of a text; store nothing.

    With `meetings`, the text is read as reporting those recorded meetings;
    otherwise the meetings and their participants come from the text itself.
    """
    gazetteer = gazetteer or build_gazetteer()
    if meetings:
        proposed_meetings = [meeting_proposal_of(m, gazetteer) for m in meetings]
    else:
        proposed_meetings = find_meetings(text, gazetteer, published_on=published_on)
        attach_existing_meetings(proposed_meetings, gazetteer)
    extractor = extractor or RuleExtractor(gazetteer)
    proposals = verified(
        text, extractor.propose(text, proposed_meetings, gazetteer), len(proposed_meetings)
    )
    attach_matches(proposals, proposed_meetings, published_on=published_on, gazetteer=gazetteer)
    return Extraction(meetings=proposed_meetings, proposals=proposals)
