"""Write what the database holds as annotations: the inverse of the fixture builder.

`export_annotations()` reads the sources, countries, officials, meetings and
commitments and returns the text of `annotations.yaml` and of one file per
source, in the format `fixture_builder.build_fixtures()` reads, so that building
the export gives back the same fixtures. Keys whose value is the one the builder
assumes anyway are left out, so that the file reads like a hand-written one. The
order is the database's (rows by primary key), adjusted only where the builder
needs another, so the same database always gives the same bytes.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db.models import Prefetch

from .fixture_builder import ANNOTATIONS_FILE, AnnotationError, locate_quote, read_yaml
from .models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    MeetingParticipant,
    Mention,
    Official,
    Position,
    SourceDocument,
)

# Wide enough that no quote is ever folded over several lines.
LINE_WIDTH = 1_000_000

HEADER = """\
# Exported from the database by `python manage.py export_annotations`;
# `python manage.py build_fixtures --seeds <this folder>` builds the fixtures from it.
#
# A quote that occurs more than once in its source has `occurrence: N`
# (1 for the first). A mention's meeting defaults to its commitment's meeting,
# its source to the only source when there is one.
"""


class ExportError(Exception):
    """Something in the database that the annotations cannot express."""


@dataclass(frozen=True)
class AnnotationExport:
    """The text of `annotations.yaml` and {file name: text} of the source documents."""

    annotations: str
    source_files: dict[str, str]


class FlowMapping(dict):
    """A mapping written on one line, as the annotations write countries and positions."""


class FlowList(list):
    """A list written on one line, as the annotations write an official's aliases."""


class AnnotationDumper(yaml.SafeDumper):
    """Write annotations: short items on one line, every string read back unchanged."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # PyYAML writes NEL, LS and PS unescaped inside plain or single-quoted
    # scalars, where a reader takes them for line breaks; escape them instead.
    style = '"' if any(char in value for char in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


AnnotationDumper.add_representer(str, _represent_str)
AnnotationDumper.add_representer(
    FlowMapping,
    lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True),
)
AnnotationDumper.add_representer(
    FlowList,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True),
)


def export_annotations(*, known_files: dict[str, str] | None = None) -> AnnotationExport:
    """Return the annotations and source texts of everything in the database.

    `known_files` maps source slugs to the file names an earlier
    `annotations.yaml` gave them; those names are kept, and any other source
    is written to `<slug>.txt`. Raise ExportError for what cannot be expressed.
    """
    sources = list(SourceDocument.objects.order_by("pk"))
    file_names = source_file_names([source.slug for source in sources], known_files or {})
    officials = list(
        Official.objects.order_by("pk").prefetch_related(
            Prefetch("positions", Position.objects.order_by("pk"))
        )
    )
    meetings = parents_first(
        list(
            Meeting.objects.order_by("pk").prefetch_related(
                Prefetch("participations", MeetingParticipant.objects.order_by("pk"))
            )
        )
    )
    commitments = list(
        Commitment.objects.order_by("pk").prefetch_related(
            Prefetch("parties", CommitmentParty.objects.order_by("pk")),
            # The origin first: the builder takes the first mention for it.
            Prefetch("mentions", Mention.objects.order_by("-is_origin", "pk")),
        )
    )
    official_slugs = {official.pk: official.slug for official in officials}
    meeting_slugs = {meeting.pk: meeting.slug for meeting in meetings}
    documents = {source.pk: source for source in sources}

    sections = {
        "sources": [
            {
                "slug": source.slug,
                "file": file_names[source.slug],
                "title": source.title,
                "publisher": source.publisher,
                # Written even when empty or the default, so that a reader sees
                # which sources lack a URL.
                "url": source.url,
                "published_on": source.published_on,
                "language": source.language,
            }
            for source in sources
        ],
        "countries": [
            FlowMapping(code=country.code, alpha3=country.alpha3, name=country.name)
            for country in countries_in_order_of_reference(
                Country.objects.all(), officials, meetings, commitments
            )
        ],
        "officials": [official_annotation(official) for official in officials],
        "meetings": [
            meeting_annotation(meeting, meeting_slugs, official_slugs) for meeting in meetings
        ],
        "commitments": [
            commitment_annotation(commitment, meeting_slugs, documents)
            for commitment in commitments
        ],
    }
    return AnnotationExport(
        annotations=dump_annotations(sections),
        source_files={file_names[source.slug]: source.text for source in sources},
    )


def known_file_names(path: Path) -> dict[str, str]:
    """Return {source slug: file name} read from an existing annotations file, if readable."""
    try:
        data = read_yaml(path, where=str(path))
    except (OSError, AnnotationError):  # A missing or broken file has no names to keep.
        return {}
    sources = data.get("sources") if isinstance(data, dict) else None
    return {
        item["slug"]: item["file"]
        for item in (sources if isinstance(sources, list) else [])
        if isinstance(item, dict)
        and isinstance(item.get("slug"), str)
        and isinstance(item.get("file"), str)
    }


def source_file_names(slugs: list[str], known_files: dict[str, str]) -> dict[str, str]:
    """Return {slug: file name}: the known name when usable, else `<slug>.txt`, never twice."""
    names: dict[str, str] = {}
    for slug in slugs:
        known = known_files.get(slug, "")
        # The builder reads only plain file names in the annotations' own folder.
        if is_plain_file_name(known) and known not in names.values():
            names[slug] = known
    for slug in slugs:
        if slug in names:
            continue
        name, number = f"{slug}.txt", 1
        while name in names.values():
            number += 1
            name = f"{slug}-{number}.txt"
        names[slug] = name
    return names


def is_plain_file_name(name: str) -> bool:
    """Return whether name can be a source file beside the annotations."""
    return bool(name) and name == Path(name).name and name[0] != "." and name != ANNOTATIONS_FILE


def parents_first(meetings: list[Meeting]) -> list[Meeting]:
    """Return meetings in their order, each moved after its parent where it came first.

    The builder wants a parent meeting listed before its children.
    """
    by_pk = {meeting.pk: meeting for meeting in meetings}
    ordered: dict[int, Meeting] = {}
    for meeting in meetings:
        chain = []
        current: Meeting | None = meeting
        while current is not None and current.pk not in ordered:
            if current in chain:
                raise ExportError(f"meeting {current.slug!r}: its parents form a cycle")
            chain.append(current)
            current = by_pk.get(current.parent_id)
        for ancestor in reversed(chain):
            ordered[ancestor.pk] = ancestor
    return list(ordered.values())


def countries_in_order_of_reference(countries, officials, meetings, commitments) -> list[Country]:
    """Return the countries in the order the rest of the data first names them.

    A country has no order of its own (its key is its code); this is the order
    an annotator introduces them in, through positions, hosts, then parties.
    Countries nothing refers to come last, by code.
    """
    by_code = {country.code: country for country in countries}
    referred = [
        *(position.country_id for official in officials for position in official.positions.all()),
        *(meeting.country_id for meeting in meetings),
        *(party.country_id for commitment in commitments for party in commitment.parties.all()),
    ]
    order = dict.fromkeys([*referred, *sorted(by_code)])
    return [by_code[code] for code in order if code in by_code]


def official_annotation(official: Official) -> dict:
    """Return an official as the annotations write it."""
    item: dict = {"slug": official.slug, "name": official.name}
    if official.aliases:
        item["aliases"] = FlowList(official.aliases)
    positions = []
    for position in official.positions.all():
        entry = FlowMapping(country=position.country_id, title=position.title)
        if position.start_date:
            entry["start_date"] = position.start_date
        if position.end_date:
            entry["end_date"] = position.end_date
        positions.append(entry)
    if positions:
        item["positions"] = positions
    return item


def meeting_annotation(
    meeting: Meeting, meeting_slugs: dict[int, str], official_slugs: dict[int, str]
) -> dict:
    """Return a meeting with its participants as the annotations write it."""
    item: dict = {
        "slug": meeting.slug,
        "title": meeting.title,
        "kind": meeting.kind,
        "date": meeting.date,
    }
    if meeting.city:
        item["city"] = meeting.city
    item["country"] = meeting.country_id
    if meeting.parent_id:
        item["parent"] = meeting_slugs[meeting.parent_id]
    participants = [
        FlowMapping(official=official_slugs[participant.official_id], role=participant.role)
        for participant in meeting.participations.all()
    ]
    if participants:
        item["participants"] = participants
    return item


def commitment_annotation(
    commitment: Commitment, meeting_slugs: dict[int, str], documents: dict[int, SourceDocument]
) -> dict:
    """Return a commitment with its parties and mentions as the annotations write it."""
    item: dict = {"slug": commitment.slug, "title": commitment.title}
    if commitment.description:
        item["description"] = commitment.description
    item["category"] = commitment.category
    item["meeting"] = meeting_slugs[commitment.meeting_id]
    if commitment.due_date:
        item["due_date"] = commitment.due_date
    item["parties"] = [
        {"country": party.country_id, "role": party.role} for party in commitment.parties.all()
    ]
    item["mentions"] = []
    for mention in commitment.mentions.all():
        document = documents[mention.document_id]
        entry: dict = {"quote": mention.quote}
        try:
            occurrence = occurrence_of(document.text, mention.quote, mention.start)
        except ValueError as exc:
            raise ExportError(
                f"commitment {commitment.slug!r}: the mention at offset {mention.start} of "
                f"source {document.slug!r} {exc}"
            ) from exc
        if occurrence is not None:
            entry["occurrence"] = occurrence
        if len(documents) > 1:
            entry["source"] = document.slug
        if mention.meeting_id != commitment.meeting_id:
            entry["meeting"] = meeting_slugs[mention.meeting_id]
        item["mentions"].append(entry)
    return item


def occurrence_of(text: str, quote: str, start: int) -> int | None:
    """Return N such that the quote at start is its Nth occurrence, None when it is the only one.

    Raise ValueError, saying why, when `occurrence: N` cannot point at start.
    """
    if text[start : start + len(quote)] != quote:
        raise ValueError("does not quote the source's text there")
    # Counted as the builder counts them: without overlap.
    starts = [match.start() for match in re.finditer(re.escape(quote), text)]
    occurrence = starts.index(start) + 1 if start in starts and len(starts) > 1 else None
    # Ask the builder itself, so that the two can never disagree.
    if start not in starts or locate_quote(text, quote, occurrence)[0] != start:
        raise ValueError(
            "overlaps an earlier occurrence of its own quote, which `occurrence: N` cannot point at"
        )
    return occurrence


def dump_annotations(sections: dict[str, list]) -> str:
    """Return the annotations' YAML text: a header, then each section after a blank line."""
    parts = [HEADER]
    for name, items in sections.items():
        parts.append(
            yaml.dump(
                {name: items},
                Dumper=AnnotationDumper,
                allow_unicode=True,
                sort_keys=False,
                default_flow_style=False,
                width=LINE_WIDTH,
            )
        )
    text = "\n".join(parts)
    # A last guard against a scalar PyYAML would write in a way it reads back
    # differently: the file must say exactly what the database holds.
    if yaml.safe_load(text) != sections:
        raise ExportError("the YAML writer changed a value; nothing was written")
    return text
