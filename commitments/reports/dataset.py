"""The open-data release: the database as a Frictionless Data Package, and back.

`write_dataset()` writes `datapackage.json` (a Table Schema per resource, with
types, constraints, primary and foreign keys, the vocabularies as enums and a
description of every field), one CSV per table, a README and the licence.
Rows are keyed by the natural keys the fixtures use (country codes, slugs, a
status update's UUID), never by database ids, and written in key order, so the
same data always gives the same files. Each table is read in one query.

`load_dataset()` reads such a package into an empty database through the
models; exporting that database again gives the same CSV files.
"""

import csv
import datetime
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from ..choices import Category, MeetingKind, ParticipantRole, PartyRole, Status
from ..models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    MeetingParticipant,
    Mention,
    Official,
    Position,
    SourceDocument,
    StatusUpdate,
)

PACKAGE_NAME = "commitment-tracker"
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}


class DatasetError(ValueError):
    """A package that cannot be written or read back, with the file and row at fault."""


@dataclass
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    constraints: dict = field(default_factory=dict)
    format: str | None = None

    def schema(self) -> dict:
        schema = {"name": self.name, "type": self.type, "description": self.description}
        if self.format:
            schema["format"] = self.format
        constraints = dict(self.constraints)
        if self.required:
            constraints["required"] = True
        if constraints:
            schema["constraints"] = constraints
        return schema


def enum(choices) -> dict:
    return {"enum": list(choices.values)}


def text(name: str, description: str, **kwargs) -> Column:
    return Column(name, "string", description, **kwargs)


def day(name: str, description: str, **kwargs) -> Column:
    return Column(name, "date", description, **kwargs)


@dataclass
class Table:
    """One resource of the package: its columns, keys and how to read its rows."""

    name: str
    title: str
    description: str
    columns: list[Column]
    primary_key: list[str]
    foreign_keys: list[tuple[list[str], str, list[str]]]
    rows: Callable[["Selection"], Iterable[tuple]]

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    def resource(self) -> dict:
        return {
            "name": self.name,
            "path": self.path,
            "title": self.title,
            "description": self.description,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
            "schema": {
                "fields": [column.schema() for column in self.columns],
                "primaryKey": self.primary_key,
                "foreignKeys": [
                    {"fields": fields, "reference": {"resource": resource, "fields": keys}}
                    for fields, resource, keys in self.foreign_keys
                ],
                "missingValues": [""],
            },
        }


@dataclass
class Selection:
    """Which rows an export holds: everything, or the state as of a day."""

    as_of: datetime.date | None = None

    def meetings(self):
        if self.as_of is None:
            return Meeting.objects.all()
        # A meeting held by then, and the series it belongs to (even if dated later).
        held = set(Meeting.objects.filter(date__lte=self.as_of).values_list("parent_id", flat=True))
        return Meeting.objects.filter(Q(date__lte=self.as_of) | Q(pk__in=held - {None}))

    def commitments(self):
        if self.as_of is None:
            return Commitment.objects.with_status()
        return Commitment.objects.with_status(self.as_of)

    def status_updates(self):
        updates = StatusUpdate.objects.all()
        if self.as_of is not None:
            updates = updates.filter(
                effective_date__lte=self.as_of, commitment__meeting__date__lte=self.as_of
            )
        return updates

    def sources(self):
        if self.as_of is None:
            return SourceDocument.objects.all()
        evidence = self.status_updates().filter(evidence_document__isnull=False)
        return SourceDocument.objects.filter(
            Q(published_on__lte=self.as_of) | Q(pk__in=evidence.values("evidence_document_id"))
        )

    def mentions(self):
        mentions = Mention.objects.all()
        if self.as_of is not None:
            mentions = mentions.filter(
                commitment__meeting__date__lte=self.as_of,
                document__in=self.sources(),
                meeting__in=self.meetings(),
            )
        return mentions


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _aliases(row: tuple) -> tuple:
    slug, name, aliases = row
    return slug, name, json.dumps(aliases, ensure_ascii=False)


TABLES = [
    Table(
        "countries",
        "Countries",
        "The states that take part in meetings or in commitments.",
        [
            text("code", "ISO 3166-1 alpha-2 code.", required=True,
                 constraints={"pattern": "[A-Z]{2}"}),
            text("alpha3", "ISO 3166-1 alpha-3 code.", required=True,
                 constraints={"pattern": "[A-Z]{3}", "unique": True}),
            text("name", "The country's short English name.", required=True,
                 constraints={"unique": True}),
        ],
        ["code"],
        [],
        lambda selection: Country.objects.order_by("code").values_list("code", "alpha3", "name"),
    ),
    Table(
        "officials",
        "Officials",
        "People who speak or act for a state.",
        [
            text("slug", "The official's key.", required=True),
            text("name", "The name as most sources write it.", required=True),
            Column("aliases", "array", "Other spellings of the name, as a JSON array.",
                   required=True),
        ],
        ["slug"],
        [],
        lambda selection: map(
            _aliases, Official.objects.order_by("slug").values_list("slug", "name", "aliases")
        ),
    ),
    Table(
        "positions",
        "Positions",
        "Offices an official holds for a country, with optional start and end dates.",
        [
            text("official", "The official (officials.slug).", required=True),
            text("country", "The country of the office (countries.code).", required=True),
            text("title", "The office, e.g. Minister of Foreign Affairs.", required=True),
            day("start_date", "When the official took the office, if known."),
            day("end_date", "When the official left the office, if known."),
        ],
        ["official", "country", "title"],
        [
            (["official"], "officials", ["slug"]),
            (["country"], "countries", ["code"]),
        ],
        lambda selection: Position.objects.order_by("official__slug", "country_id", "title")
        .values_list("official__slug", "country_id", "title", "start_date", "end_date"),
    ),
    Table(
        "meetings",
        "Meetings",
        "Diplomatic encounters at which commitments are made.",
        [
            text("slug", "The meeting's key.", required=True),
            text("title", "The meeting's name.", required=True),
            text("kind", "The diplomatic format.", required=True, constraints=enum(MeetingKind)),
            day("date", "The day of the meeting (its first day).", required=True),
            text("city", "Where it was held."),
            text("country", "The host country (countries.code).", required=True),
            text("parent", "The series or larger meeting it belongs to (meetings.slug)."),
        ],
        ["slug"],
        [
            (["country"], "countries", ["code"]),
            (["parent"], "", ["slug"]),
        ],
        lambda selection: selection.meetings()
        .order_by("slug")
        .values_list("slug", "title", "kind", "date", "city", "country_id", "parent__slug"),
    ),
    Table(
        "participants",
        "Meeting participants",
        "Which officials took part in which meeting, and how.",
        [
            text("meeting", "The meeting (meetings.slug).", required=True),
            text("official", "The official (officials.slug).", required=True),
            text("role", "The official's part in the meeting.", required=True,
                 constraints=enum(ParticipantRole)),
        ],
        ["meeting", "official"],
        [
            (["meeting"], "meetings", ["slug"]),
            (["official"], "officials", ["slug"]),
        ],
        lambda selection: MeetingParticipant.objects.filter(meeting__in=selection.meetings())
        .order_by("meeting__slug", "official__slug")
        .values_list("meeting__slug", "official__slug", "role"),
    ),
    Table(
        "sources",
        "Source documents",
        "Readouts, statements and articles, with their full text and its SHA-256.",
        [
            text("slug", "The source's key.", required=True),
            text("title", "The document's title.", required=True),
            text("publisher", "Who published it.", required=True),
            text("url", "Where it was published.", format="uri"),
            day("published_on", "The day it was published.", required=True),
            text("language", "A BCP 47 language tag.", required=True),
            text("sha256", "The SHA-256 of the text encoded as UTF-8, in hex.", required=True,
                 constraints={"pattern": "[0-9a-f]{64}", "unique": True}),
            text("text", "The full text; mentions' offsets count its characters.",
                 required=True),
        ],
        ["slug"],
        [],
        lambda selection: selection.sources()
        .order_by("slug")
        .values_list(
            "slug", "title", "publisher", "url", "published_on", "language", "sha256", "text"
        ),
    ),
    Table(
        "commitments",
        "Commitments",
        "Promises made at meetings, with their status as of the export.",
        [
            text("slug", "The commitment's key.", required=True),
            text("title", "A short title.", required=True),
            text("description", "A longer description, if any."),
            text("category", "What the commitment is about.", required=True,
                 constraints=enum(Category)),
            text("meeting", "The meeting where it was made (meetings.slug).", required=True),
            day("due_date", "When it is due, if a date was given."),
            text("status", "Where it stands, read from status_updates (latest effective date).",
                 required=True, constraints=enum(Status)),
            day("status_date", "Since when it has had that status.", required=True),
        ],
        ["slug"],
        [(["meeting"], "meetings", ["slug"])],
        lambda selection: selection.commitments()
        .order_by("slug")
        .values_list(
            "slug",
            "title",
            "description",
            "category",
            "meeting__slug",
            "due_date",
            "effective_status",
            "effective_status_date",
        ),
    ),
    Table(
        "parties",
        "Commitment parties",
        "The countries party to each commitment and their roles, in recorded order.",
        [
            text("commitment", "The commitment (commitments.slug).", required=True),
            text("country", "The party (countries.code).", required=True),
            text("role", "What the country does in the commitment.", required=True,
                 constraints=enum(PartyRole)),
        ],
        ["commitment", "country"],
        [
            (["commitment"], "commitments", ["slug"]),
            (["country"], "countries", ["code"]),
        ],
        lambda selection: CommitmentParty.objects.filter(
            commitment__in=selection.commitments().values("pk")
        )
        .order_by("commitment__slug", "id")
        .values_list("commitment__slug", "country_id", "role"),
    ),
    Table(
        "mentions",
        "Mentions",
        "Where a source states a commitment: the verbatim quote and its character offsets.",
        [
            text("commitment", "The commitment (commitments.slug).", required=True),
            text("source", "The source document (sources.slug).", required=True),
            text("meeting", "The meeting the passage reports (meetings.slug).", required=True),
            text("quote", "The verbatim quote: the source's text from start to end.",
                 required=True),
            Column("start", "integer", "Offset of the quote's first character in the text.",
                   required=True, constraints={"minimum": 0}),
            Column("end", "integer", "Offset just past the quote's last character.",
                   required=True, constraints={"minimum": 1}),
            Column("is_origin", "boolean", "Whether this is the first statement of the "
                   "commitment (one per commitment).", required=True),
        ],
        ["commitment", "source", "start"],
        [
            (["commitment"], "commitments", ["slug"]),
            (["source"], "sources", ["slug"]),
            (["meeting"], "meetings", ["slug"]),
        ],
        lambda selection: selection.mentions()
        .order_by("commitment__slug", "document__slug", "start")
        .values_list(
            "commitment__slug", "document__slug", "meeting__slug", "quote", "start", "end",
            "is_origin",
        ),
    ),
    Table(
        "status_updates",
        "Status updates",
        "Each commitment's append-only timeline: dated statuses with their evidence.",
        [
            text("uuid", "The update's key.", required=True, format="uuid"),
            text("commitment", "The commitment (commitments.slug).", required=True),
            text("status", "The status from the effective date on.", required=True,
                 constraints=enum(Status)),
            day("effective_date", "The day the status became true in the world.",
                required=True),
            text("evidence_url", "A public page that shows it.", format="uri"),
            text("evidence_title", "The page's title."),
            text("evidence_publisher", "Who published the page."),
            text("evidence_excerpt", "A short verbatim excerpt of the page."),
            text("evidence_document", "A stored source that shows it (sources.slug)."),
            text("note", "The analyst's note."),
            Column("recorded_at", "datetime", "When the update was recorded (UTC).",
                   required=True, format="%Y-%m-%dT%H:%M:%S.%fZ"),
        ],
        ["uuid"],
        [
            (["commitment"], "commitments", ["slug"]),
            (["evidence_document"], "sources", ["slug"]),
        ],
        lambda selection: selection.status_updates()
        .order_by("commitment__slug", "effective_date", "recorded_at", "uuid")
        .values_list(
            "uuid",
            "commitment__slug",
            "status",
            "effective_date",
            "evidence_url",
            "evidence_title",
            "evidence_publisher",
            "evidence_excerpt",
            "evidence_document__slug",
            "note",
            "recorded_at",
        ),
    ),
]  # fmt: skip


MODELS = [
    Country,
    Official,
    Position,
    Meeting,
    MeetingParticipant,
    SourceDocument,
    Commitment,
    CommitmentParty,
    Mention,
    StatusUpdate,
]


def descriptor(*, as_of: datetime.date | None, version: str) -> dict:
    """Return the package's datapackage.json."""
    state = f"as of {as_of:%Y-%m-%d}" if as_of else "as recorded"
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Commitment tracker: what governments promised at meetings, and what became of it",
        "description": (
            "Commitments made at diplomatic meetings, each with the verbatim quote of the "
            "source that states it, its parties and their roles, and a dated, evidenced "
            f"timeline of its status ({state}). See README.md."
        ),
        "version": version,
        "licenses": [LICENCE],
        "keywords": ["diplomacy", "commitments", "compliance", "foreign policy"],
        "resources": [table.resource() for table in TABLES],
    }


def write_dataset(
    folder: Path, *, as_of: datetime.date | None = None, version: str | None = None
) -> dict[str, int]:
    """Write the package into `folder` (created if needed); return the rows per table.

    `version` defaults to the export's date (or the as-of date): the same data
    exported on the same day gives the same files.
    """
    folder.mkdir(parents=True, exist_ok=True)
    selection = Selection(as_of)
    version = version or f"{(as_of or timezone.localdate()):%Y.%m.%d}"
    counts = {}
    for table in TABLES:
        with open(folder / table.path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([column.name for column in table.columns])
            n = 0
            for row in table.rows(selection):
                writer.writerow([_iso(value) for value in row])
                n += 1
        counts[table.name] = n
    package = descriptor(as_of=as_of, version=version)
    (folder / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    context = {"package": package, "tables": TABLES, "counts": counts, "as_of": as_of}
    (folder / "README.md").write_text(
        render_to_string("reports/dataset_readme.md", context), encoding="utf-8"
    )
    (folder / "LICENSE.md").write_text(
        render_to_string("reports/dataset_licence.md", context), encoding="utf-8"
    )
    return counts


def _read(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def load_dataset(folder: Path) -> dict[str, int]:
    """Read a package written by write_dataset() into an empty database; return rows per table.

    Rows go through the models (their validation and save logic); each
    commitment's status is then recomputed from its imported timeline by
    `Commitment.refresh_status()`, the method that keeps it.
    """
    if Commitment.objects.exists() or Country.objects.exists():
        raise DatasetError("load_dataset: the database is not empty; load into an empty one.")
    countries = {row["code"]: Country.objects.create(**row) for row in _read(folder, "countries")}
    officials = {
        row["slug"]: Official.objects.create(
            slug=row["slug"], name=row["name"], aliases=json.loads(row["aliases"])
        )
        for row in _read(folder, "officials")
    }
    for row in _read(folder, "positions"):
        Position.objects.create(
            official=officials[row["official"]],
            country=countries[row["country"]],
            title=row["title"],
            start_date=_date(row["start_date"]),
            end_date=_date(row["end_date"]),
        )
    meeting_rows = _read(folder, "meetings")
    meetings = {
        row["slug"]: Meeting.objects.create(
            slug=row["slug"],
            title=row["title"],
            kind=row["kind"],
            date=_date(row["date"]),
            city=row["city"],
            country=countries[row["country"]],
        )
        for row in meeting_rows
    }
    for row in meeting_rows:
        if row["parent"]:
            meeting = meetings[row["slug"]]
            meeting.parent = meetings[row["parent"]]
            meeting.save(update_fields=["parent"])
    for row in _read(folder, "participants"):
        MeetingParticipant.objects.create(
            meeting=meetings[row["meeting"]], official=officials[row["official"]], role=row["role"]
        )
    sources = {}
    for number, row in enumerate(_read(folder, "sources"), start=2):
        source = SourceDocument(
            slug=row["slug"],
            title=row["title"],
            publisher=row["publisher"],
            url=row["url"],
            published_on=_date(row["published_on"]),
            language=row["language"],
            text=row["text"],
        )
        source.save()
        if source.sha256 != row["sha256"]:
            raise DatasetError(
                f"sources.csv: row {number} ({row['slug']!r}): the text's SHA-256 is "
                f"{source.sha256}, not {row['sha256']}."
            )
        sources[row["slug"]] = source
    commitments = {
        row["slug"]: Commitment.objects.create(
            slug=row["slug"],
            title=row["title"],
            description=row["description"],
            category=row["category"],
            meeting=meetings[row["meeting"]],
            due_date=_date(row["due_date"]),
        )
        for row in _read(folder, "commitments")
    }
    CommitmentParty.objects.bulk_create(
        CommitmentParty(
            commitment=commitments[row["commitment"]],
            country=countries[row["country"]],
            role=row["role"],
        )
        for row in _read(folder, "parties")
    )
    for row in _read(folder, "mentions"):
        Mention.objects.create(
            commitment=commitments[row["commitment"]],
            document=sources[row["source"]],
            meeting=meetings[row["meeting"]],
            quote=row["quote"],
            start=int(row["start"]),
            end=int(row["end"]),
            is_origin=row["is_origin"] == "true",
        )
    # The timeline is imported as it was recorded (its UUIDs and recording
    # times kept), not re-recorded now; refresh_status() then recomputes each
    # commitment's cached status from it, as record_status_update() would.
    for row in _read(folder, "status_updates"):
        StatusUpdate.objects.create(
            uuid=row["uuid"],
            commitment=commitments[row["commitment"]],
            status=row["status"],
            effective_date=_date(row["effective_date"]),
            evidence_url=row["evidence_url"],
            evidence_title=row["evidence_title"],
            evidence_publisher=row["evidence_publisher"],
            evidence_excerpt=row["evidence_excerpt"],
            evidence_document=sources.get(row["evidence_document"]),
            note=row["note"],
            recorded_at=datetime.datetime.strptime(
                row["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ"
            ).replace(tzinfo=datetime.UTC),
        )
    for commitment in Commitment.objects.select_related("meeting"):
        commitment.refresh_status()
    return {table.name: model.objects.count() for table, model in zip(TABLES, MODELS, strict=True)}
