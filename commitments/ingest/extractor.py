"""Proposed commitments: the extractor interface, and the rule-based backend.

Any backend (these rules, or a language model behind an HTTP endpoint) returns
`Proposal`s; `verified()` keeps only those whose quote is the text between their
offsets, character for character, so that no paraphrase ever reaches a reviewer.
"""

import re
from dataclasses import dataclass, field
from typing import Protocol

from .meetings import MeetingProposal
from .rules import Gazetteer, compile_phrases
from .text import LIST_MARKER, Span, paragraphs, sentences, strip_span

# "Qin Gang said that ...": the commitment starts after the reporting verb.
REPORTED_SPEECH = re.compile(
    r"^[^.;:]{0,120}?\b(?:(?:said|says|stressed|stresses|noted|notes|pointed out|emphasized|"
    r"emphasised|underlined|added|stated)\s+(?:that\s+)?|(?:believed|believes|agreed|agree|"
    r"expressed)\s+that\s+)",
    re.IGNORECASE,
)
WORK_WITH = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:work|working|cooperate|join hands|partner)\s+with\b", re.I
)
# ", Xi said, adding that ...": a sentence that reports a second statement.
ATTRIBUTION = re.compile(
    r",\s+(?:[A-Z][\w-]*\s+){0,3}(?:said|says|stressed|noted),\s+(?:adding|noting|stressing)\s+that\s+"
    r"|,\s+(?:adding|noting|stressing)\s+that\s+"
)
TRAILING_ATTRIBUTION = re.compile(r",\s+(?:[A-Z][\w-]*\s+){1,3}(?:said|says|added|noted)\.?$")
CLAUSE_BEFORE_SUBJECT = re.compile(r"^.*(?:,\s+(?:and|but|while)\s+(?:that\s+)?|;\s+)", re.S)
HOSTING = re.compile(r"\b(?:in|on)\s+(?:hosting|holding)\b|\bto\s+(?:host|hold)\b", re.I)
RESPECTIVELY = re.compile(r"\brespectively\b", re.I)
EACH_OTHER = re.compile(r"\bin\s+each\s+other[’'`]?s\s+(?:countries|country)\b", re.I)
SUPPORT_VERB = re.compile(r"^\s*(?:[\w,]+\s+){0,4}?(?:support|supports|back|backs)\b", re.I)


@dataclass
class Party:
    country: str
    role: str

    def as_json(self) -> dict:
        return {"country": self.country, "role": self.role}


@dataclass
class Proposal:
    """A proposed commitment: a verbatim span of the text, its meeting and parties."""

    quote: str
    start: int
    end: int
    meeting: int
    parties: list[Party]
    category: str
    title: str
    rule: str
    confidence: float
    matches: list[dict] = field(default_factory=list)

    @property
    def party_codes(self) -> frozenset[str]:
        return frozenset(party.country for party in self.parties)

    def as_json(self) -> dict:
        return {
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "meeting": self.meeting,
            "parties": [party.as_json() for party in self.parties],
            "category": self.category,
            "title": self.title,
            "rule": self.rule,
            "confidence": round(self.confidence, 2),
            "matches": self.matches,
        }


class Extractor(Protocol):
    """A backend that proposes commitments for a text and its meetings."""

    name: str

    def propose(
        self, text: str, meetings: list[MeetingProposal], gazetteer: Gazetteer
    ) -> list[Proposal]: ...


def verified(text: str, proposals: list[Proposal], meeting_count: int) -> list[Proposal]:
    """Keep the proposals whose quote is exactly the text at their offsets."""
    kept = []
    for proposal in proposals:
        if (
            isinstance(proposal.start, int)
            and isinstance(proposal.end, int)
            and 0 <= proposal.start < proposal.end <= len(text)
            and text[proposal.start : proposal.end] == proposal.quote
            and 0 <= proposal.meeting < max(meeting_count, 1)
            and proposal.parties
        ):
            kept.append(proposal)
    return kept


@dataclass
class Mentioned:
    """Countries named in a stretch of text, as codes or a symbolic group."""

    codes: list[str] = field(default_factory=list)
    group: str | None = None  # "participants" or "guests"
    named_group: bool = False  # "the five Central Asian countries", not "A and B"

    def __bool__(self):
        return bool(self.codes or self.group)


@dataclass
class Variant:
    """One concrete reading of a commitment: its subject, objects and meeting."""

    subject: Mentioned
    objects: list[tuple[Mentioned, str]]
    meeting: int | None = None
    distributed: bool = False  # one reading of a group spread over its members' meetings


class RuleExtractor:
    """Propose commitments from cue phrases, subjects and the rules' vocabularies."""

    name = "rules"

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.rules = gazetteer.rules
        verbs = sorted(self.rules.action_verbs, key=len, reverse=True)
        verb = "(?:" + "|".join(re.escape(v) for v in verbs) + r")\b"
        self.clause_break = re.compile(rf",\s+(?:and\s+)?(?={verb})|\s+and\s+(?={verb})")
        self.imperative = re.compile(rf"^(?:{verb})", re.I)
        nouns = compile_phrases(self.rules.outcome_nouns)
        self.outcome_item = re.compile(
            rf"^(?:(?:an?|the)\s+)?(?:{nouns.pattern if nouns else '(?!x)x'})", re.I
        )
        self.country_or_group = re.compile(
            "|".join(p.pattern for p in (gazetteer.country_pattern, self.rules.group_pattern) if p)
            or r"(?!x)x"
        )

    # Names ---------------------------------------------------------------

    def mentioned(self, text: str) -> Mentioned:
        """Return the countries and groups a stretch of text names."""
        found = Mentioned()
        gazetteer = self.gazetteer
        spans = []
        if self.rules.group_pattern:
            for match in self.rules.group_pattern.finditer(text):
                members = self.rules.group_members(match.group())
                spans.append((match.start(), match.end()))
                if isinstance(members, str):
                    found.group = found.group or members
                elif members:
                    found.named_group = True
                    for code in members:
                        if code not in found.codes:
                            found.codes.append(code)
        if gazetteer.country_pattern:
            for match in gazetteer.country_pattern.finditer(text):
                if any(start <= match.start() < end for start, end in spans):
                    continue
                code = gazetteer.country_of_phrase(match.group())
                if code and code not in found.codes:
                    found.codes.append(code)
        if gazetteer.official_pattern:
            for match in gazetteer.official_pattern.finditer(text):
                official = gazetteer.official_of_phrase(match.group())
                if official and official.country and official.country not in found.codes:
                    found.codes.append(official.country)
        return found

    def subject_of(self, text: str) -> Mentioned:
        """Return the subject: what the words before the cue name, after the last comma."""
        for piece in reversed(re.split(r",\s+", text)):
            found = self.mentioned(piece)
            if found:
                return found
        return Mentioned()

    # Sentences -----------------------------------------------------------

    def excluded(self, sentence: str, before_cue: str, at_cue: str) -> bool:
        checks = self.rules.not_commitments
        if any(p.search(sentence) for p in checks.get("ceremonial", [])):
            return True
        if any(p.search(sentence) for p in checks.get("reporting", [])):
            return True
        if any(p.search(before_cue) for p in checks.get("history", [])):
            return True
        return any(p.match(at_cue) for p in checks.get("predictions", []))

    def first_cue(self, content: str):
        best = None
        for cue in self.rules.cues:
            match = cue.pattern.search(content)
            if match and (best is None or match.start() < best[1].start()):
                best = (cue, match)
        return best

    def clauses(self, text: str, predicate: Span) -> list[tuple[Span, str]]:
        """Split a predicate into coordinated clauses, merged by category."""
        body = predicate.of(text)
        stop = len(body)
        for marker in self.rules.clause_stops:
            found = body.find(marker)
            if found != -1:
                stop = min(stop, found)
        pieces, start = [], 0
        for match in self.clause_break.finditer(body[:stop]):
            pieces.append((start, match.start()))
            start = match.end()
        pieces.append((start, len(body)))
        merged: list[list] = []
        for start, end in pieces:
            category = self.rules.category_of(body[start:end])
            if merged and category in ("other", merged[-1][2]):
                merged[-1][1] = end
            elif merged and merged[-1][2] == "other":
                merged[-1][1], merged[-1][2] = end, category
            else:
                merged.append([start, end, category])
        return [
            (strip_span(text, predicate.start + start, predicate.start + end), category)
            for start, end, category in merged
        ]

    def propose(
        self, text: str, meetings: list[MeetingProposal], gazetteer: Gazetteer
    ) -> list[Proposal]:
        """Return the proposals of every sentence after the opening's title and dateline."""
        proposals: list[Proposal] = []
        opening = meetings[0].span if meetings else None
        after_colon = False
        for block in paragraphs(text):
            if opening and block.end <= opening.start:
                continue  # the title and dateline
            body = block.of(text)
            block_sentences = sentences(text, block)
            # An item of a list: numbered or bulleted, or one of the one-sentence
            # paragraphs under a line that ends with a colon ("... were signed:").
            in_list = bool(LIST_MARKER.match(body)) or (after_colon and len(block_sentences) == 1)
            after_colon = body.endswith(":") or (after_colon and in_list)
            block_meeting = self.block_meeting(text, block, meetings)
            previous: tuple[str, list[Proposal]] | None = None
            for sentence in block_sentences:
                found, key = self.sentence_proposals(
                    text, sentence, meetings, block_meeting, in_list=in_list
                )
                if (
                    previous
                    and self.continues(previous[0], key)
                    and self.same_parties(previous[1], found)
                ):
                    for earlier in previous[1]:
                        earlier.end = sentence.end
                        earlier.quote = text[earlier.start : earlier.end]
                    continue
                proposals.extend(found)
                previous = (key, found) if found else None
        return proposals

    @staticmethod
    def continues(earlier_key: str | None, later_key: str | None) -> bool:
        """Tell whether a sentence goes on with the last one's stance ("China also supports...")."""
        if not earlier_key or not later_key:
            return False
        subject, _, rule = later_key.rpartition(":")
        return rule in ("support", "opposition") and earlier_key.rpartition(":")[0] == subject

    @staticmethod
    def same_parties(earlier: list[Proposal], later: list[Proposal]) -> bool:
        def shape(proposals):
            return sorted((p.meeting, sorted(p.party_codes)) for p in proposals)

        return bool(later) and shape(earlier) == shape(later)

    def block_meeting(self, text: str, block: Span, meetings: list[MeetingProposal]) -> int | None:
        """Return the one meeting a paragraph is about, when it names exactly one guest."""
        if len(meetings) == 1:
            return 0
        named = self.mentioned(block.of(text)).codes
        indexes = {self.meeting_of(meetings, [code]) for code in named} - {None}
        return indexes.pop() if len(indexes) == 1 else None

    @staticmethod
    def meeting_of(meetings: list[MeetingProposal], codes) -> int | None:
        """Return the first meeting whose guests include one of the codes."""
        if len(meetings) == 1:
            return 0
        for code in codes:
            for index, meeting in enumerate(meetings):
                if code in meeting.countries[1:]:
                    return index
        return None

    def sentence_proposals(
        self,
        text: str,
        sentence: Span,
        meetings: list[MeetingProposal],
        block_meeting: int | None,
        *,
        in_list: bool = False,
    ) -> tuple[list[Proposal], str | None]:
        """Return the proposals of a sentence, each of its reported parts read on its own."""
        proposals, key = [], None
        start = sentence.start
        for match in ATTRIBUTION.finditer(sentence.of(text)):
            segment = Span(start, sentence.start + match.start())
            found, found_key = self.segment_proposals(
                text, segment, meetings, block_meeting, in_list=in_list
            )
            proposals += found
            key = found_key or key
            start = sentence.start + match.end()
        found, found_key = self.segment_proposals(
            text, Span(start, sentence.end), meetings, block_meeting, in_list=in_list
        )
        return proposals + found, found_key or key

    def segment_proposals(
        self,
        text: str,
        sentence: Span,
        meetings: list[MeetingProposal],
        block_meeting: int | None,
        *,
        in_list: bool = False,
    ) -> tuple[list[Proposal], str | None]:
        trailing = TRAILING_ATTRIBUTION.search(sentence.of(text))
        if trailing:
            sentence = Span(sentence.start, sentence.start + trailing.start())
        whole = sentence.of(text)
        reported = REPORTED_SPEECH.match(whole)
        content = Span(sentence.start + (reported.end() if reported else 0), sentence.end)
        marker = LIST_MARKER.match(content.of(text))
        if marker:
            content = Span(content.start + marker.end(), content.end)
        body = content.of(text)
        if not body:
            return [], None
        if self.imperative.match(body) and body[0].isupper() and not reported:
            if self.excluded(whole, "", body):
                return [], None
            rule, confidence = "imperative", 0.7
            subject, predicate = Mentioned(group="participants"), content
        elif in_list and self.outcome_item.match(body):
            # "MoU on cooperation in ...", "Extension of a line of credit ...".
            if self.excluded(whole, "", body):
                return [], None
            rule, confidence = "outcome", 0.65
            subject, predicate = Mentioned(group="participants"), content
        else:
            cue_match = self.first_cue(body)
            if cue_match is None:
                return [], None
            cue, match = cue_match
            if self.excluded(whole, body[: match.start()], body[match.start() :]):
                return [], None
            rule, confidence = cue.kind, cue.confidence
            # "the two countries have similar goals, and China stands ready to ...":
            # the commitment starts with the clause of its subject.
            lead_in = CLAUSE_BEFORE_SUBJECT.match(body[: match.start()])
            if lead_in and self.mentioned(body[lead_in.end() : match.start()]):
                content = Span(content.start + lead_in.end(), content.end)
                body = content.of(text)
                match = cue.pattern.search(body)
            subject = self.subject_of(body[: match.start()])
            if not subject:
                subject, confidence = Mentioned(group="participants"), confidence * 0.8
            predicate = Span(content.start + match.end(), content.end)
            if cue.kind == "support":
                predicate = Span(content.start + match.start(), content.end)
        clauses = self.clauses(text, predicate)
        proposals = []
        for index, (clause, category) in enumerate(clauses):
            start = content.start if index == 0 else clause.start
            end = content.end if index == len(clauses) - 1 else clause.end
            quote_span = strip_span(text, start, end)
            clause_text = clause.of(text)
            for variant in self.variants(clause_text, subject, meetings, block_meeting):
                parties = self.parties(variant, meetings, clause_text, rule)
                if not parties:
                    continue
                spread = 0.9 if len(meetings) > 1 and variant.meeting is not None else 1.0
                for party_set in self.party_sets(clause_text, parties):
                    proposals.append(
                        Proposal(
                            quote=quote_span.of(text),
                            start=quote_span.start,
                            end=quote_span.end,
                            meeting=variant.meeting or 0,
                            parties=party_set,
                            category=category,
                            title=self.title(clause_text, party_set),
                            rule=rule,
                            confidence=min(confidence * spread, 1.0),
                        )
                    )
        return proposals, f"{sorted(subject.codes)}:{subject.group}:{rule}"

    # Parties -------------------------------------------------------------

    def objects_of(self, clause: str, subject: Mentioned, rule: str) -> list[tuple[Mentioned, str]]:
        """Return the countries the clause names besides the subject, with their roles."""
        named = self.mentioned(clause)
        codes = [code for code in named.codes if code not in subject.codes]
        if not codes and not named.group:
            return []
        if WORK_WITH.match(clause):
            role = "lead"
        elif rule == "support" or SUPPORT_VERB.match(clause):
            role = "lead" if HOSTING.search(clause) else "beneficiary"
        else:
            role = "partner"
        group = named.group if named.group != subject.group else None
        return [(Mentioned(codes=codes, group=group), role)]

    def variants(
        self,
        clause: str,
        subject: Mentioned,
        meetings: list[MeetingProposal],
        block_meeting: int | None,
    ) -> list[Variant]:
        """Return one reading per pair, place or group member the clause distributes over."""
        objects = self.objects_of(clause, subject, "")
        several = len(meetings) > 1
        guests = {code for meeting in meetings for code in meeting.countries[1:]}
        # A group subject over several bilateral meetings: one reading per member.
        subject_members = [c for c in subject.codes if c in guests]
        if subject.group == "guests":
            subject_members = sorted(guests, key=lambda c: self.meeting_of(meetings, [c]))
        distributes = subject.named_group or subject.group == "guests"
        if several and distributes and len(subject_members) > 1 and not set(subject.codes) - guests:
            return [
                Variant(Mentioned(codes=[code]), objects, self.meeting_of(meetings, [code]), True)
                for code in subject_members
            ]
        object_codes = [code for mentioned, _ in objects for code in mentioned.codes]
        if (
            objects
            and len(object_codes) > 1
            and (RESPECTIVELY.search(clause) or (several and set(object_codes) <= guests))
        ):
            role = objects[0][1]
            return [
                Variant(
                    subject,
                    [(Mentioned(codes=[code]), role)],
                    self.meeting_of(meetings, [code]),
                    True,
                )
                for code in object_codes
            ]
        codes = [*subject.codes, *object_codes]
        meeting = self.meeting_of(meetings, codes) if codes else None
        if meeting is None and several:
            if block_meeting is not None:
                meeting = block_meeting
            elif subject.group or any(m.group for m, _ in objects):
                return [Variant(subject, objects, index, True) for index in range(len(meetings))]
        return [Variant(subject, objects, meeting)]

    def parties(
        self, variant: Variant, meetings: list[MeetingProposal], clause: str, rule: str
    ) -> list[Party]:
        meeting = meetings[variant.meeting or 0] if meetings else None
        present = meeting.countries if meeting else []
        hosting = HOSTING.search(clause) and (rule == "support" or SUPPORT_VERB.match(clause))
        subject_role = "supporter" if hosting else "lead"
        subject_codes = list(variant.subject.codes)
        if variant.subject.group == "participants":
            subject_codes += [c for c in present if c not in subject_codes]
        elif variant.subject.group == "guests":
            subject_codes += [c for c in present[1:] if c not in subject_codes]
        parties: dict[str, str] = {}
        for code in subject_codes:
            parties.setdefault(code, subject_role)
        for mentioned, role in variant.objects:
            codes = list(mentioned.codes)
            if mentioned.group == "participants":
                codes += [c for c in present if c not in codes]
            elif mentioned.group == "guests":
                codes += [c for c in present[1:] if c not in codes]
            for code in codes:
                if code not in parties:
                    parties[code] = role
        # A group object over several meetings: keep the members at this meeting.
        if variant.distributed:
            parties = {c: r for c, r in parties.items() if c in present} or parties
        # What one side undertakes at a bilateral meeting, it undertakes to the other.
        if len(parties) == 1 and len(present) == 2:
            parties[next(c for c in present if c not in parties)] = "partner"
        return [Party(code, role) for code, role in parties.items()]

    def party_sets(self, clause: str, parties: list[Party]) -> list[list[Party]]:
        """Return one party list per place ("in Xi'an and Aktobe, respectively") or side."""
        if len(parties) != 2:
            return [parties]
        codes = [party.country for party in parties]
        if RESPECTIVELY.search(clause) and self.rules.city_pattern:
            places = [
                self.rules.city_country(m.group()) for m in self.rules.city_pattern.finditer(clause)
            ]
            places = [code for code in dict.fromkeys(places) if code in codes]
            if len(places) == 2:
                # A consulate in Xi'an is Kazakhstan's: the lead is the other side.
                return [
                    [Party(next(c for c in codes if c != place), "lead"), Party(place, "partner")]
                    for place in places
                ]
        facility = self.rules.facility_pattern
        if EACH_OTHER.search(clause) and facility and facility.search(clause):
            first, second = codes
            return [
                [Party(first, "lead"), Party(second, "partner")],
                [Party(second, "lead"), Party(first, "partner")],
            ]
        return [parties]

    def title(self, clause: str, parties: list[Party]) -> str:
        """Return "Leads: what they do", cut at a word boundary."""
        words = clause.strip(" ,.;")
        if len(words) > 110:
            words = words[:110].rsplit(" ", 1)[0] + "…"
        leads = [p.country for p in parties if p.role in ("lead", "supporter")]
        if len(leads) > 2:
            leads = []  # "China and Kazakhstan and ..." says less than the clause itself
        names = " and ".join(self.gazetteer.country_name(code) for code in leads)
        return f"{names}: {words}" if names else words[:1].upper() + words[1:]
