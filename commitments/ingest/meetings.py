"""Who met whom, when and where: the meetings a readout reports."""

import calendar
import datetime
import re
from dataclasses import dataclass, field

from ..choices import MeetingKind
from .rules import Gazetteer, compile_phrases
from .text import Span, paragraphs

MONTHS = {calendar.month_name[n].lower(): n for n in range(1, 13)}
MONTHS.update({calendar.month_abbr[n].lower(): n for n in range(1, 13)}, sept=9)
MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
DATE_PATTERNS = [
    re.compile(
        rf"\b{MONTH}\s+(?P<day>\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?(?:,\s*(?P<year>\d{{4}}))?", re.I
    ),
    re.compile(
        rf"\b(?P<day>\d{{1,2}})(?:\s*[-–]\s*\d{{1,2}})?\s+{MONTH}(?:,?\s+(?P<year>\d{{4}}))?", re.I
    ),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
]
WEEKDAYS = [calendar.day_name[n].lower() for n in range(7)]
WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b", re.I)
# "held talks respectively with A, B and C", "held separate talks with ...".
SEPARATE_MEETINGS = re.compile(
    r"\brespectively\s+with\b|\bseparate(?:ly)?\s+(?:talks|meetings)\b|\bseparately\b", re.I
)
NAME_WORD = r"[A-Z][\w’'.-]*"
NAME_BEFORE_TITLE = re.compile(
    rf"(?:^|[,;]\s+|\band\s+)({NAME_WORD}(?:\s+{NAME_WORD}){{1,3}}),\s+(?:[^,;]{{0,100}},\s+)?$"
)


@dataclass
class Participant:
    name: str
    country: str | None
    official: str | None
    title: str = ""
    role: str = "guest"

    def as_json(self) -> dict:
        return {"name": self.name, "country": self.country, "official": self.official}


@dataclass
class MeetingProposal:
    date: datetime.date | None
    city: str
    country: str | None
    kind: str
    title: str
    participants: list[Participant]
    countries: list[str]
    span: Span
    existing: str | None = None
    existing_candidates: list[str] = field(default_factory=list)

    @property
    def host_country(self) -> str | None:
        return self.countries[0] if self.countries else None

    def as_json(self) -> dict:
        return {
            "date": self.date.isoformat() if self.date else None,
            "city": self.city,
            "existing": self.existing,
            "participants": [participant.as_json() for participant in self.participants],
        }


def find_dates(
    text: str, span: Span, *, default_year: int | None
) -> list[tuple[int, datetime.date]]:
    """Return (offset, date) for every date written in the span."""
    found = []
    body = span.of(text)
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(body):
            month = match["month"]
            month = int(month) if month.isdigit() else MONTHS[month.lower().rstrip(".")]
            year = int(match["year"]) if match["year"] else default_year
            if year is None:
                continue
            try:
                found.append(
                    (span.start + match.start(), datetime.date(year, month, int(match["day"])))
                )
            except ValueError:
                continue
    return sorted(found)


def find_officials(text: str, span: Span, gazetteer: Gazetteer) -> list[tuple[int, Participant]]:
    """Return the officials named in the span: known ones by name or alias, others by title."""
    body = span.of(text)
    found: list[tuple[int, int, Participant]] = []
    if gazetteer.official_pattern:
        for match in gazetteer.official_pattern.finditer(body):
            official = gazetteer.official_of_phrase(match.group())
            found.append(
                (
                    match.start(),
                    match.end(),
                    Participant(official.name, official.country, official.slug, official.title),
                )
            )
    title_pattern = gazetteer.rules.title_pattern
    if title_pattern:
        for match in title_pattern.finditer(body):
            position = match.end()
            country = None
            before = body[max(0, match.start() - 40) : match.start()].rstrip()
            for country_match in (
                gazetteer.country_pattern.finditer(before) if gazetteer.country_pattern else []
            ):
                if country_match.end() == len(before):
                    country = gazetteer.country_of_phrase(country_match.group())
            of = re.match(r"\s+of\s+(?:the\s+)?", body[position:])
            if of and gazetteer.country_pattern:
                country_match = gazetteer.country_pattern.match(body, position + of.end())
                if country_match:
                    country = gazetteer.country_of_phrase(country_match.group())
                    position = country_match.end()
            name = re.match(rf"\s+({NAME_WORD}(?:\s+{NAME_WORD}){{1,3}})", body[position:])
            if name:
                name_start, words = position + name.start(1), name.group(1).split()
            else:
                # "Wang Yi, member of the ..., Minister of Foreign Affairs of China"
                name = NAME_BEFORE_TITLE.search(body[: match.start()])
                if not name:
                    continue
                name_start, words = name.start(1), name.group(1).split()
            if any(start <= name_start < end for start, end, _ in found):
                for start, end, participant in found:
                    if start <= name_start < end and not participant.title:
                        participant.title = match.group()
                continue
            # A name stops before a word that is a country or a verb of a headline.
            kept = []
            for word in words:
                if gazetteer.country_of_phrase(word) or word in gazetteer.rules.not_names:
                    break
                kept.append(word)
            if len(kept) < 2:
                continue
            found.append(
                (
                    name_start,
                    name_start + len(" ".join(kept)),
                    Participant(" ".join(kept), country, None, match.group()),
                )
            )
    found.sort(key=lambda item: item[0])
    result, seen = [], set()
    for start, _, participant in found:
        key = participant.official or participant.name
        if key not in seen:
            seen.add(key)
            result.append((span.start + start, participant))
    return result


def meeting_kind(text: str, gazetteer: Gazetteer) -> str | None:
    """Return the kind whose phrase comes first in the text ("held talks", "summit", ...)."""
    earliest = None
    for kind, phrases in gazetteer.rules.meeting_kinds.items():
        pattern = compile_phrases(phrases)
        match = pattern.search(text) if pattern else None
        if match and (earliest is None or match.start() < earliest[0]):
            earliest = (match.start(), kind)
    return earliest[1] if earliest else None


def countries_named(text: str, span: Span, gazetteer: Gazetteer) -> list[str]:
    """Return the codes of the countries named in the span, in order of first mention."""
    codes = []
    if gazetteer.country_pattern:
        for match in gazetteer.country_pattern.finditer(span.of(text)):
            code = gazetteer.country_of_phrase(match.group())
            if code and code not in codes:
                codes.append(code)
    return codes


def find_meetings(
    text: str,
    gazetteer: Gazetteer,
    *,
    published_on: datetime.date | None = None,
) -> list[MeetingProposal]:
    """Return the meetings the text reports: one, or one per part ("respectively with ...")."""
    blocks = paragraphs(text)
    default_year = published_on.year if published_on else None
    opening = None
    for block in blocks:
        body = block.of(text)
        if not re.search(r"[.!?:]\s*$", body):
            continue  # headings and datelines
        if meeting_kind(body, gazetteer) or len(find_officials(text, block, gazetteer)) >= 2:
            opening = block
            break
    if opening is None:
        opening = next((b for b in blocks if re.search(r"[.!?]\s*$", b.of(text))), None)
    if opening is None and blocks:
        opening = blocks[0]  # a list under its title, without a sentence
    if opening is None:
        return []
    body = opening.of(text)
    kind = meeting_kind(body, gazetteer) or MeetingKind.OTHER
    dates = find_dates(text, opening, default_year=default_year)
    weekday = WEEKDAY.search(body)
    if dates:
        date = dates[0][1]
    elif weekday and published_on:
        # "... on Friday": the last such day on or before publication.
        wanted = WEEKDAYS.index(weekday.group(1).lower())
        date = published_on - datetime.timedelta(days=(published_on.weekday() - wanted) % 7)
    else:
        dates = find_dates(text, Span(0, len(text)), default_year=default_year)
        date = dates[0][1] if dates else published_on
    city = ""
    if gazetteer.rules.city_pattern:
        match = gazetteer.rules.city_pattern.search(body)
        if match:
            city = match.group()
    officials = [participant for _, participant in find_officials(text, opening, gazetteer)]
    if len(officials) < 2:
        # "... held separate talks with senior diplomats." then "The diplomats included A, B ..."
        following = [b for b in blocks if b.start > opening.end][:1]
        for block in following:
            known = {p.official or p.name for p in officials}
            for _, participant in find_officials(text, block, gazetteer):
                if (participant.official or participant.name) not in known:
                    officials.append(participant)
    if officials:
        officials[0].role = "host"
    city_country = gazetteer.rules.city_country(city) if city else None
    if officials and officials[0].country is None and officials[0].official is None:
        # A host the database does not know, at home: "Wang Yi held talks in Beijing".
        officials[0].country = city_country
    host_country = (officials[0].country if officials else None) or city_country
    countries = []
    for code in [host_country, city_country, *(p.country for p in officials)]:
        if code and code not in countries:
            countries.append(code)
    if len(countries) < 2:
        header = Span(0, opening.end)
        named = countries_named(text, header, gazetteer)
        rules = gazetteer.rules
        for match in rules.group_pattern.finditer(header.of(text)) if rules.group_pattern else []:
            members = rules.group_members(match.group())
            if isinstance(members, list):
                named += members
        for code in named:
            if code not in countries:
                countries.append(code)
    meeting_country = city_country or host_country
    host, guests = (officials[0], officials[1:]) if officials else (None, [])
    if host and len(guests) >= 2 and SEPARATE_MEETINGS.search(body):
        meetings = []
        for guest in guests:
            pair = [c for c in dict.fromkeys([host.country, guest.country]) if c]
            meetings.append(
                MeetingProposal(
                    date=date,
                    city=city,
                    country=meeting_country,
                    kind=MeetingKind.BILATERAL_TALKS if kind == MeetingKind.OTHER else kind,
                    title=meeting_title(host, [guest], pair, gazetteer),
                    participants=[host, guest],
                    countries=pair,
                    span=opening,
                )
            )
        return meetings
    return [
        MeetingProposal(
            date=date,
            city=city,
            country=meeting_country,
            kind=kind,
            title=meeting_title(host, guests, countries, gazetteer, kind=kind),
            participants=officials,
            countries=countries,
            span=opening,
        )
    ]


def meeting_title(host, guests, countries, gazetteer: Gazetteer, *, kind=None) -> str:
    """Return a title in the form the seed uses: host, guests, the kind and the countries."""
    names = " – ".join(p.name for p in [host, *guests] if p)
    places = "–".join(gazetteer.country_name(code) for code in countries)
    label = {
        MeetingKind.PHONE_CALL: "phone call",
        MeetingKind.SUMMIT: "summit",
        MeetingKind.STATE_VISIT: "state visit",
        MeetingKind.MULTILATERAL_MINISTERIAL: "ministerial meeting",
    }.get(kind, "talks")
    if names:
        return f"{names} {label} ({places})" if places else f"{names} {label}"
    return f"{places} {label}".strip() or "Meeting"
