"""Measure the proposer on hand-annotated texts (bench/extraction/).

Each text has an annotations file in the `seeds/annotations.yaml` format (plus
`restates: SLUG` on commitments already recorded in the seed). Figures:

- recall: annotated commitments covered by a proposal that overlaps at least
  half of the annotated quote and names the right meeting (same date and the
  same participating countries, wherever the meeting took place);
- party sets: covered commitments for which a covering proposal has exactly the
  annotated set of party countries;
- proposals per annotated commitment: the review burden;
- meetings: annotated meetings with a proposed meeting of the same date and
  participating countries;
- restatements: annotated restatements whose best covering proposal (exact party
  set first, then largest overlap) offers the restated commitment first.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from .proposer import Extraction, propose
from .rules import read_yaml_file


class EvaluationError(Exception):
    """An annotation file cannot be used; the message names it and the place."""


@dataclass
class Annotated:
    slug: str
    meeting: str
    parties: frozenset[str]
    spans: list[tuple[int, int]]
    restates: str | None


@dataclass
class Score:
    """Counts for one text, or summed over several."""

    commitments: int = 0
    covered: int = 0
    parties_right: int = 0
    proposals: int = 0
    meetings: int = 0
    meetings_right: int = 0
    restatements: int = 0
    restatements_right: int = 0
    missed: list[str] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name in (
            "commitments", "covered", "parties_right", "proposals", "meetings",
            "meetings_right", "restatements", "restatements_right",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict:
        def ratio(part, whole):
            return round(part / whole, 3) if whole else None

        return {
            "annotated_commitments": self.commitments,
            "proposals": self.proposals,
            "recall": ratio(self.covered, self.commitments),
            "party_set_accuracy": ratio(self.parties_right, self.covered),
            "proposals_per_annotated_commitment": ratio(self.proposals, self.commitments),
            "meeting_accuracy": ratio(self.meetings_right, self.meetings),
            "restatement_top1": ratio(self.restatements_right, self.restatements),
            "annotated_meetings": self.meetings,
            "annotated_restatements": self.restatements,
        }


def nth_occurrence(text: str, quote: str, occurrence: int) -> int:
    start = -1
    for _ in range(occurrence):
        start = text.find(quote, start + 1)
        if start == -1:
            return -1
    return start


def load_annotations(
    path: Path, text: str, *, restates_self: bool = False
) -> tuple[dict, list[Annotated]]:
    """Return the annotated meetings (slug -> (date, countries)) and commitments of a file."""
    data = read_yaml_file(path, EvaluationError)
    if not isinstance(data, dict):
        raise EvaluationError(f"{path}: expected a mapping")
    countries_of = {}
    for official in data.get("officials") or []:
        positions = official.get("positions") or []
        if positions:
            countries_of[official["slug"]] = positions[0]["country"]
    commitments = []
    meeting_parties: dict[str, set[str]] = {}
    for item in data.get("commitments") or []:
        slug = item.get("slug", "?")
        spans = []
        for index, mention in enumerate(item.get("mentions") or [], start=1):
            quote = mention.get("quote") or ""
            start = nth_occurrence(text, quote, int(mention.get("occurrence", 1)))
            if not quote or start == -1:
                raise EvaluationError(
                    f"{path}: commitment {slug!r} mention {index}: quote not found in the text"
                )
            spans.append((start, start + len(quote)))
        parties = frozenset(party["country"] for party in item.get("parties") or [])
        meeting_parties.setdefault(item["meeting"], set()).update(parties)
        commitments.append(
            Annotated(
                slug,
                item["meeting"],
                parties,
                spans,
                slug if restates_self else item.get("restates"),
            )
        )
    meetings = {}
    for meeting in data.get("meetings") or []:
        people = {countries_of.get(p["official"]) for p in meeting.get("participants") or []} - {
            None
        }
        countries = people or meeting_parties.get(meeting["slug"], set())
        date = meeting["date"]
        if isinstance(date, str):
            date = datetime.date.fromisoformat(date)
        meetings[meeting["slug"]] = (date, frozenset(countries))
    return meetings, commitments


def overlap(span: tuple[int, int], start: int, end: int) -> int:
    return max(0, min(span[1], end) - max(span[0], start))


def score_text(extraction: Extraction, meetings: dict, commitments: list[Annotated]) -> Score:
    score = Score(commitments=len(commitments), proposals=len(extraction.proposals))
    proposed = [(m.date, frozenset(m.countries)) for m in extraction.meetings]
    score.meetings = len(meetings)
    score.meetings_right = sum(1 for wanted in meetings.values() if wanted in proposed)
    for annotated in commitments:
        wanted_meeting = meetings.get(annotated.meeting)
        covering = []
        for proposal in extraction.proposals:
            if wanted_meeting is not None and proposed[proposal.meeting] != wanted_meeting:
                continue
            best = max(
                (overlap(span, proposal.start, proposal.end) / (span[1] - span[0])
                 for span in annotated.spans),
                default=0,
            )  # fmt: skip
            if best >= 0.5:
                covering.append((proposal.party_codes == annotated.parties, best, proposal))
        if not covering:
            score.missed.append(annotated.slug)
            continue
        score.covered += 1
        covering.sort(key=lambda item: (not item[0], -item[1]))
        if covering[0][0]:
            score.parties_right += 1
        if annotated.restates:
            score.restatements += 1
            first = covering[0][2].matches[:1]
            if first and first[0]["slug"] == annotated.restates:
                score.restatements_right += 1
    for annotated in commitments:
        if annotated.restates and annotated.slug in score.missed:
            score.restatements += 1
    return score


def evaluate(entries: list[dict], folder: Path) -> dict:
    """Score the proposer on each entry of a manifest; return the figures by text and by role."""
    by_text, totals = {}, {}
    for entry in entries:
        text_path = folder / entry["file"]
        try:
            text = text_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise EvaluationError(f"{text_path}: cannot be read: {error}") from None
        annotations = folder / entry.get("annotations", f"{entry['slug']}.yaml")
        meetings, commitments = load_annotations(
            annotations, text, restates_self=entry.get("restates_self", False)
        )
        published_on = entry.get("published_on")
        if isinstance(published_on, str):
            published_on = datetime.date.fromisoformat(published_on)
        extraction = propose(text, published_on=published_on)
        score = score_text(extraction, meetings, commitments)
        by_text[entry["slug"]] = {
            "role": entry["role"],
            "kind": entry.get("kind", ""),
            **score.figures(),
            "missed": score.missed,
        }
        totals.setdefault(entry["role"], Score()).add(score)
        if entry["role"] != "training":
            totals.setdefault("all_but_training", Score()).add(score)
    return {
        "totals": {role: score.figures() for role, score in totals.items()},
        "texts": by_text,
    }
