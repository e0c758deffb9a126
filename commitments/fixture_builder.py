"""Turn curated annotations of source documents into Django fixtures with natural keys.

The builder reads `annotations.yaml` and the source texts beside it, checks
everything it can (references, vocabularies, dates, and every quote against its
source, character for character) and returns the fixture files as text. It never
touches the database, so a bad annotation leaves nothing half-written.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .choices import Category, MeetingKind, ParticipantRole, PartyRole, Status
from .models import sha256_of

ANNOTATIONS_FILE = "annotations.yaml"
FIXTURE_FILES = ("countries", "officials", "sources", "meetings", "commitments")
SLUG_RE = re.compile(r"^[-a-z0-9]+$")

# Each section's allowed keys; the first set is required, the second optional.
SCHEMA = {
    "source": ({"slug", "file", "title", "publisher", "published_on"}, {"url", "language"}),
    "country": ({"code", "alpha3", "name"}, set()),
    "official": ({"slug", "name"}, {"aliases", "positions"}),
    "position": ({"country", "title"}, {"start_date", "end_date"}),
    "meeting": ({"slug", "title", "kind", "date", "country"}, {"city", "parent", "participants"}),
    "participant": ({"official", "role"}, set()),
    "commitment": (
        {"slug", "title", "category", "meeting", "parties", "mentions"},
        {"description", "due_date"},
    ),
    "party": ({"country", "role"}, set()),
    "mention": ({"quote"}, {"occurrence", "meeting", "source"}),
}


class AnnotationError(Exception):
    """One or more problems in the annotations, each naming its place."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Builder:
    """Accumulate fixture records and the problems found on the way."""

    seeds_dir: Path
    problems: list[str] = field(default_factory=list)
    records: dict[str, list[dict]] = field(
        default_factory=lambda: {name: [] for name in FIXTURE_FILES}
    )

    @property
    def where(self) -> str:
        return f"{self.seeds_dir.name}/{ANNOTATIONS_FILE}"

    def problem(self, place: str, message: str) -> None:
        self.problems.append(f"{self.where}: {place}: {message}")

    def check_keys(self, kind: str, place: str, item) -> bool:
        """Report a non-mapping item, missing required keys and unknown keys."""
        if not isinstance(item, dict):
            self.problem(place, f"expected a mapping, got {type(item).__name__}")
            return False
        if isinstance(item.get("slug"), str) and item["slug"]:
            place = f"{kind} {item['slug']!r}"
        required, optional = SCHEMA[kind]
        missing = sorted(required - item.keys())
        unknown = sorted(item.keys() - required - optional)
        if missing:
            self.problem(place, f"missing {', '.join(missing)}")
        if unknown:
            self.problem(place, f"unknown key {', '.join(unknown)}")
        return not missing

    def text(self, place: str, item: dict, key: str, *, required: bool = True) -> str:
        value = item.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.problem(place, f"{key} must be text, got {value!r}")
            return ""
        if required and not value.strip():
            self.problem(place, f"{key} is empty")
        return value

    def slug(self, place: str, item: dict, seen: set[str]) -> str:
        value = self.text(place, item, "slug")
        if value and not SLUG_RE.match(value):
            self.problem(place, f"slug {value!r} may hold only lowercase letters, digits and -")
        if value in seen:
            self.problem(place, f"duplicate slug {value!r}")
        seen.add(value)
        return value

    def date(self, place: str, item: dict, key: str, *, required: bool = True) -> str | None:
        value = item.get(key)
        if value is None:
            if required:
                self.problem(place, f"{key} is missing")
            return None
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        self.problem(place, f"{key} {value!r} is not a date (YYYY-MM-DD)")
        return None

    def choice(self, place: str, item: dict, key: str, choices) -> str:
        value = item.get(key)
        if value not in choices.values:
            self.problem(place, f"{key} {value!r} is not one of {', '.join(choices.values)}")
        return value

    def items(self, place: str, data: dict, key: str) -> list:
        value = data.get(key) or []
        if not isinstance(value, list):
            self.problem(place, f"{key} must be a list")
            return []
        return value


def locate_quote(text: str, quote: str, occurrence: int | None) -> tuple[int | None, str]:
    """Return the quote's start offset in text, or None with the reason it is ambiguous."""
    starts = [match.start() for match in re.finditer(re.escape(quote), text)]
    if not starts:
        return None, "quote not found in source text"
    if occurrence is None:
        if len(starts) > 1:
            return None, (
                f"quote occurs {len(starts)} times in source text; add `occurrence: N` to say which"
            )
        return starts[0], ""
    if not 1 <= occurrence <= len(starts):
        return None, f"occurrence {occurrence} asked, but the quote occurs {len(starts)} time(s)"
    return starts[occurrence - 1], ""


def read_yaml(path: Path, *, where: str):
    """Return the YAML at path, or raise AnnotationError naming `where` and the line at fault."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise AnnotationError([f"{where}: not UTF-8 text ({exc.reason})"]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise AnnotationError([f"{where}: {line}malformed YAML: {reason}"]) from exc


def build_fixtures(seeds_dir: Path) -> dict[str, str]:
    """Return {file name: fixture JSON text} built from seeds_dir, or raise AnnotationError."""
    builder = Builder(seeds_dir=seeds_dir)
    path = seeds_dir / ANNOTATIONS_FILE
    try:
        data = read_yaml(path, where=builder.where)
    except FileNotFoundError as exc:
        raise AnnotationError([f"{builder.where}: file not found"]) from exc
    if not isinstance(data, dict):
        raise AnnotationError([f"{builder.where}: expected a mapping at the top level"])
    unknown = sorted(data.keys() - {"sources", "countries", "officials", "meetings", "commitments"})
    if unknown:
        builder.problem("top level", f"unknown section {', '.join(map(str, unknown))}")

    texts = _build_sources(builder, data)
    countries = _build_countries(builder, data)
    officials = _build_officials(builder, data, countries)
    meetings = _build_meetings(builder, data, countries, officials)
    _build_commitments(builder, data, countries, meetings, texts)

    if builder.problems:
        raise AnnotationError(builder.problems)
    return {
        f"{name}.json": json.dumps(records, indent=2, ensure_ascii=False) + "\n"
        for name, records in builder.records.items()
    }


def _build_sources(builder: Builder, data: dict) -> dict[str, tuple[str, str]]:
    """Return {source slug: (text, published_on)} and record the source documents."""
    texts: dict[str, tuple[str, str]] = {}
    for index, item in enumerate(builder.items("top level", data, "sources")):
        place = f"source #{index + 1}"
        if not builder.check_keys("source", place, item):
            continue
        slug = builder.slug(place, item, set(texts))
        place = f"source {slug!r}"
        file_name = builder.text(place, item, "file")
        source_path = builder.seeds_dir / file_name
        if not file_name or source_path.parent != builder.seeds_dir or not source_path.is_file():
            builder.problem(place, f"file {file_name!r} not found in {builder.seeds_dir.name}/")
            continue
        try:
            text = source_path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            builder.problem(place, f"file {file_name!r} is not UTF-8 text ({exc.reason})")
            continue
        published_on = builder.date(place, item, "published_on")
        url = builder.text(place, item, "url", required=False)
        if url and not re.match(r"^https?://", url):
            builder.problem(place, f"url {url!r} must start with http:// or https://")
        texts[slug] = (text, published_on)
        builder.records["sources"].append(
            {
                "model": "commitments.sourcedocument",
                "fields": {
                    "slug": slug,
                    "title": builder.text(place, item, "title"),
                    "publisher": builder.text(place, item, "publisher"),
                    "url": url,
                    "published_on": published_on,
                    "language": item.get("language") or "en",
                    "text": text,
                    "sha256": sha256_of(text),
                },
            }
        )
    if not texts:
        builder.problem("top level", "no usable source under `sources`")
    return texts


def _build_countries(builder: Builder, data: dict) -> set[str]:
    codes: set[str] = set()
    for index, item in enumerate(builder.items("top level", data, "countries")):
        place = f"country #{index + 1}"
        if not builder.check_keys("country", place, item):
            continue
        code, alpha3 = str(item["code"]), str(item["alpha3"])
        if not re.fullmatch(r"[A-Z]{2}", code):
            builder.problem(place, f"code {code!r} is not an ISO alpha-2 code (two capitals)")
        if not re.fullmatch(r"[A-Z]{3}", alpha3):
            builder.problem(place, f"alpha3 {alpha3!r} is not an ISO alpha-3 code")
        if code in codes:
            builder.problem(place, f"duplicate country code {code!r}")
        codes.add(code)
        builder.records["countries"].append(
            {
                "model": "commitments.country",
                "pk": code,
                "fields": {"alpha3": alpha3, "name": builder.text(place, item, "name")},
            }
        )
    return codes


def _country(builder: Builder, place: str, item: dict, countries: set[str]) -> list[str]:
    code = item.get("country")
    if code not in countries:
        builder.problem(place, f"unknown country code {code!r} (declare it under `countries`)")
    return [code]


def _build_officials(builder: Builder, data: dict, countries: set[str]) -> set[str]:
    slugs: set[str] = set()
    for index, item in enumerate(builder.items("top level", data, "officials")):
        place = f"official #{index + 1}"
        if not builder.check_keys("official", place, item):
            continue
        slug = builder.slug(place, item, slugs)
        place = f"official {slug!r}"
        aliases = item.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            builder.problem(place, "aliases must be a list of names")
            aliases = []
        builder.records["officials"].append(
            {
                "model": "commitments.official",
                "fields": {
                    "slug": slug,
                    "name": builder.text(place, item, "name"),
                    "aliases": aliases,
                },
            }
        )
        titles: set[tuple] = set()
        for position_index, position in enumerate(builder.items(place, item, "positions")):
            position_place = f"{place} position #{position_index + 1}"
            if not builder.check_keys("position", position_place, position):
                continue
            start = builder.date(position_place, position, "start_date", required=False)
            end = builder.date(position_place, position, "end_date", required=False)
            if start and end and end < start:
                builder.problem(position_place, f"end_date {end} is before start_date {start}")
            title = builder.text(position_place, position, "title")
            if (position.get("country"), title) in titles:
                builder.problem(position_place, f"duplicate position {title!r}")
            titles.add((position.get("country"), title))
            builder.records["officials"].append(
                {
                    "model": "commitments.position",
                    "fields": {
                        "official": [slug],
                        "country": _country(builder, position_place, position, countries),
                        "title": title,
                        "start_date": start,
                        "end_date": end,
                    },
                }
            )
    return slugs


def _build_meetings(
    builder: Builder, data: dict, countries: set[str], officials: set[str]
) -> dict[str, str]:
    """Return {meeting slug: date} and record meetings and their participants."""
    meetings: dict[str, str] = {}
    items = builder.items("top level", data, "meetings")
    declared = {item.get("slug") for item in items if isinstance(item, dict)}
    for index, item in enumerate(items):
        place = f"meeting #{index + 1}"
        if not builder.check_keys("meeting", place, item):
            continue
        slug = builder.slug(place, item, set(meetings))
        place = f"meeting {slug!r}"
        meetings[slug] = builder.date(place, item, "date")
        parent = item.get("parent")
        if parent is not None and (parent not in declared or parent == slug):
            builder.problem(place, f"unknown parent meeting {parent!r}")
        elif parent is not None and parent not in meetings:
            builder.problem(place, f"parent meeting {parent!r} must be listed before it")
        builder.records["meetings"].append(
            {
                "model": "commitments.meeting",
                "fields": {
                    "slug": slug,
                    "title": builder.text(place, item, "title"),
                    "kind": builder.choice(place, item, "kind", MeetingKind),
                    "date": meetings[slug],
                    "city": builder.text(place, item, "city", required=False),
                    "country": _country(builder, place, item, countries),
                    "parent": [parent] if parent else None,
                },
            }
        )
        seen: set[str] = set()
        for participant_index, participant in enumerate(builder.items(place, item, "participants")):
            participant_place = f"{place} participant #{participant_index + 1}"
            if not builder.check_keys("participant", participant_place, participant):
                continue
            official = participant["official"]
            if official not in officials:
                builder.problem(participant_place, f"unknown official {official!r}")
            if official in seen:
                builder.problem(participant_place, f"official {official!r} listed twice")
            seen.add(official)
            builder.records["meetings"].append(
                {
                    "model": "commitments.meetingparticipant",
                    "fields": {
                        "meeting": [slug],
                        "official": [official],
                        "role": builder.choice(
                            participant_place, participant, "role", ParticipantRole
                        ),
                    },
                }
            )
    return meetings


def _build_commitments(
    builder: Builder,
    data: dict,
    countries: set[str],
    meetings: dict[str, str],
    texts: dict[str, tuple[str, str]],
) -> None:
    slugs: set[str] = set()
    records = builder.records["commitments"]
    for index, item in enumerate(builder.items("top level", data, "commitments")):
        place = f"commitment #{index + 1}"
        if not builder.check_keys("commitment", place, item):
            continue
        slug = builder.slug(place, item, slugs)
        place = f"commitment {slug!r}"
        meeting = item.get("meeting")
        if meeting not in meetings:
            builder.problem(place, f"unknown meeting {meeting!r}")
        made_on = meetings.get(meeting)
        due_date = builder.date(place, item, "due_date", required=False)
        if due_date and made_on and due_date < made_on:
            builder.problem(place, f"due_date {due_date} is before its meeting ({made_on})")
        mentions = builder.items(place, item, "mentions")
        if not mentions:
            builder.problem(place, "needs at least one mention")
        parties = builder.items(place, item, "parties")
        if not parties:
            builder.problem(place, "needs at least one party")
        # Rows built from a source are dated by the source, so that a rebuild
        # and a reload leave them unchanged.
        first = mentions[0] if mentions and isinstance(mentions[0], dict) else {}
        published = texts.get(first.get("source") or next(iter(texts), ""), (None, None))[1]
        timestamp = f"{published or made_on}T00:00:00Z"
        records.append(
            {
                "model": "commitments.commitment",
                "fields": {
                    "slug": slug,
                    "title": builder.text(place, item, "title"),
                    "description": builder.text(place, item, "description", required=False),
                    "category": builder.choice(place, item, "category", Category),
                    "meeting": [meeting],
                    "due_date": due_date,
                    "status": Status.ANNOUNCED.value,
                    "status_date": made_on,
                    "version": 1,
                    "created_at": timestamp,
                    "updated_at": timestamp,
                },
            }
        )
        seen_countries: set[str] = set()
        for party_index, party in enumerate(parties):
            party_place = f"{place} party #{party_index + 1}"
            if not builder.check_keys("party", party_place, party):
                continue
            country = _country(builder, party_place, party, countries)
            if party["country"] in seen_countries:
                builder.problem(party_place, f"country {party['country']!r} listed twice")
            seen_countries.add(party["country"])
            records.append(
                {
                    "model": "commitments.commitmentparty",
                    "fields": {
                        "commitment": [slug],
                        "country": country,
                        "role": builder.choice(party_place, party, "role", PartyRole),
                    },
                }
            )
        for mention_index, mention in enumerate(mentions):
            _build_mention(builder, place, mention_index, mention, slug, meeting, meetings, texts)


def _build_mention(builder, place, index, mention, slug, meeting, meetings, texts) -> None:
    mention_place = f"{place} mention #{index + 1}"
    if not builder.check_keys("mention", mention_place, mention):
        return
    quote = mention["quote"]
    if not isinstance(quote, str) or not quote:
        builder.problem(mention_place, "quote must be non-empty text")
        return
    source = mention.get("source")
    if source is None and len(texts) == 1:
        source = next(iter(texts))
    if source not in texts:
        builder.problem(mention_place, f"unknown source {source!r}")
        return
    mention_meeting = mention.get("meeting", meeting)
    if mention_meeting not in meetings:
        builder.problem(mention_place, f"unknown meeting {mention_meeting!r}")
    occurrence = mention.get("occurrence")
    if occurrence is not None and (not isinstance(occurrence, int) or occurrence < 1):
        builder.problem(mention_place, f"occurrence {occurrence!r} must be a positive whole number")
        return
    start, reason = locate_quote(texts[source][0], quote, occurrence)
    if start is None:
        shown = quote if len(quote) <= 120 else quote[:117] + "..."
        builder.problem(place, f'{reason}: "{shown}"')
        return
    builder.records["commitments"].append(
        {
            "model": "commitments.mention",
            "fields": {
                "commitment": [slug],
                "document": [source],
                "meeting": [mention_meeting],
                "quote": quote,
                "start": start,
                "end": start + len(quote),
                "is_origin": index == 0,
            },
        }
    )
