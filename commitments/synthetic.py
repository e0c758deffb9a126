"""A synthetic corpus for scale tests and benchmarks, built in memory and written in bulk.

The rows are consistent with what the models enforce: quotes sit at their
offsets in their documents, parties are distinct, timelines run forward from
the meeting, and each commitment's cached status is its timeline's latest.
They are written with plain `executemany` inserts in one transaction, so that
hundreds of thousands of commitments load in seconds; history tables get no
rows for generated data.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone

from .choices import Category, MeetingKind, ParticipantRole, PartyRole, Status
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
    StatusUpdate,
    sha256_of,
)

COUNTRIES = [
    ("CN", "CHN", "China"), ("KZ", "KAZ", "Kazakhstan"), ("KG", "KGZ", "Kyrgyzstan"),
    ("TJ", "TJK", "Tajikistan"), ("UZ", "UZB", "Uzbekistan"), ("TM", "TKM", "Turkmenistan"),
    ("RU", "RUS", "Russia"), ("IN", "IND", "India"), ("PK", "PAK", "Pakistan"),
    ("IR", "IRN", "Iran"), ("TR", "TUR", "Türkiye"), ("AZ", "AZE", "Azerbaijan"),
    ("GE", "GEO", "Georgia"), ("AM", "ARM", "Armenia"), ("MN", "MNG", "Mongolia"),
    ("AF", "AFG", "Afghanistan"), ("US", "USA", "United States"), ("GB", "GBR", "United Kingdom"),
    ("FR", "FRA", "France"), ("DE", "DEU", "Germany"), ("IT", "ITA", "Italy"),
    ("JP", "JPN", "Japan"), ("KR", "KOR", "South Korea"), ("ID", "IDN", "Indonesia"),
    ("BR", "BRA", "Brazil"), ("ZA", "ZAF", "South Africa"), ("SA", "SAU", "Saudi Arabia"),
    ("AE", "ARE", "United Arab Emirates"), ("EG", "EGY", "Egypt"), ("NG", "NGA", "Nigeria"),
    ("ET", "ETH", "Ethiopia"), ("KE", "KEN", "Kenya"), ("MX", "MEX", "Mexico"),
    ("AR", "ARG", "Argentina"), ("CA", "CAN", "Canada"), ("AU", "AUS", "Australia"),
    ("VN", "VNM", "Viet Nam"), ("TH", "THA", "Thailand"), ("MY", "MYS", "Malaysia"),
    ("PH", "PHL", "Philippines"),
]  # fmt: skip
VERBS = [
    "open", "build", "expand", "study", "establish", "upgrade", "launch", "finance",
    "complete", "resume",
]  # fmt: skip
OBJECTS = [
    "a consulate general", "a railway link", "an industrial park", "a cultural center",
    "a visa-free regime", "a joint laboratory", "a vocational workshop", "a trade office",
    "a pipeline", "a hospital", "a border crossing", "a free trade zone",
]  # fmt: skip
CITIES = ["Xi’an", "Astana", "Bishkek", "Dushanbe", "Tashkent", "Ashgabat", "Beijing", "Almaty"]
FIRST_DAY = datetime.date(1995, 1, 1)
COMMITMENTS_PER_MEETING = 8
COMMITMENTS_PER_DOCUMENT = 10


@dataclass
class Table:
    """The rows of one table, as the columns named, ready for the database."""

    model: type[models.Model]
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)


@dataclass
class Corpus:
    tables: list[Table]

    def count(self, model) -> int:
        return next(len(t.rows) for t in self.tables if t.model is model)


def next_ids(model) -> int:
    """Return the first free primary key of a table, for rows that name their own keys."""
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def build_corpus(commitments: int, seed: int, today: datetime.date | None = None) -> Corpus:
    """Return the rows of a corpus of `commitments` commitments, the same for the same seed."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    span = (today - FIRST_DAY).days
    now = timezone.now()
    adapt_date = connection.ops.adapt_datefield_value
    adapt_datetime = connection.ops.adapt_datetimefield_value
    native_uuid = connection.features.has_native_uuid_field
    dates = {}

    def day(offset: int):
        # Few distinct days, many rows: adapt each day once.
        value = dates.get(offset)
        if value is None:
            value = dates[offset] = adapt_date(FIRST_DAY + datetime.timedelta(days=offset))
        return value

    existing = set(Country.objects.values_list("code", flat=True))
    countries = Table(Country, ["code", "alpha3", "name"])
    countries.rows = [row for row in COUNTRIES if row[0] not in existing]
    codes = [code for code, _, _ in COUNTRIES]

    tag = f"gen{seed}"
    meeting_count = max(1, commitments // COMMITMENTS_PER_MEETING)
    official_count = max(2, meeting_count // 4)
    document_count = max(1, commitments // COMMITMENTS_PER_DOCUMENT)

    officials = Table(Official, ["id", "slug", "name", "aliases"])
    positions = Table(
        Position, ["id", "official_id", "country_id", "title", "start_date", "end_date"]
    )
    official_id, position_id = next_ids(Official), next_ids(Position)
    aliases = Official._meta.get_field("aliases")
    official_ids = []
    for n in range(official_count):
        officials.rows.append(
            (official_id, f"{tag}-official-{n}", f"Official {n} ({tag})",
             aliases.get_db_prep_save([f"Official No. {n}"], connection))
        )  # fmt: skip
        positions.rows.append(
            (position_id, official_id, rng.choice(codes), "Minister of Foreign Affairs",
             day(rng.randrange(span // 2)), None)
        )  # fmt: skip
        official_ids.append(official_id)
        official_id += 1
        position_id += 1

    meetings = Table(
        Meeting, ["id", "slug", "title", "kind", "date", "city", "country_id", "parent_id"]
    )
    participants = Table(MeetingParticipant, ["id", "meeting_id", "official_id", "role"])
    meeting_id, participant_id = next_ids(Meeting), next_ids(MeetingParticipant)
    meeting_days = {}
    kinds = MeetingKind.values
    for n in range(meeting_count):
        offset = rng.randrange(span)
        meeting_days[meeting_id] = offset
        meetings.rows.append(
            (meeting_id, f"{tag}-meeting-{n}", f"Talks {n} ({tag})", rng.choice(kinds),
             day(offset), rng.choice(CITIES), rng.choice(codes), None)
        )  # fmt: skip
        for role, official in zip(
            (ParticipantRole.HOST, ParticipantRole.GUEST), rng.sample(official_ids, 2), strict=True
        ):
            participants.rows.append((participant_id, meeting_id, official, role))
            participant_id += 1
        meeting_id += 1
    meeting_ids = list(meeting_days)

    documents = Table(
        SourceDocument,
        ["id", "slug", "title", "publisher", "url", "published_on", "language", "text", "sha256"],
    )
    commitment_rows = Table(
        Commitment,
        ["id", "slug", "title", "description", "category", "meeting_id", "due_date", "status",
         "status_date", "version", "last_assessed_at", "created_at", "updated_at"],
    )  # fmt: skip
    parties = Table(CommitmentParty, ["id", "commitment_id", "country_id", "role"])
    mentions = Table(
        Mention, ["id", "commitment_id", "document_id", "meeting_id", "quote", "start", "end",
                  "is_origin"],
    )  # fmt: skip
    updates = Table(
        StatusUpdate,
        ["id", "uuid", "commitment_id", "status", "effective_date", "evidence_url",
         "evidence_title", "evidence_publisher", "evidence_excerpt", "evidence_document_id",
         "note", "recorded_by_id", "recorded_at"],
    )  # fmt: skip
    commitment_id, party_id = next_ids(Commitment), next_ids(CommitmentParty)
    mention_id, update_id, document_id = (
        next_ids(Mention),
        next_ids(StatusUpdate),
        next_ids(SourceDocument),
    )
    categories, statuses, roles = Category.values, Status.values, PartyRole.values
    stamp = adapt_datetime(now)
    uuid_bits = rng.getrandbits

    number = 0
    for document_number in range(document_count):
        batch = min(COMMITMENTS_PER_DOCUMENT, commitments - number)
        if batch <= 0:
            break
        if document_number == document_count - 1:
            batch = commitments - number
        meeting = rng.choice(meeting_ids)
        meeting_day = meeting_days[meeting]
        sentences, cursor = [], len(header := f"Readout {document_number} ({tag})\n\n")
        for _ in range(batch):
            slug = f"{tag}-{number:07d}"
            quote = (
                f"The two sides will {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                f"under commitment {number}."
            )
            sentences.append(quote)
            mentions.rows.append(
                (mention_id, commitment_id, document_id, meeting, quote, cursor,
                 cursor + len(quote), True)
            )  # fmt: skip
            mention_id += 1
            cursor += len(quote) + 1

            timeline_days = sorted(
                rng.randint(meeting_day, span) for _ in range(rng.choice((0, 0, 1, 2, 3, 4, 5)))
            )
            status, status_day = Status.ANNOUNCED.value, meeting_day
            for timeline_day in timeline_days:
                status, status_day = rng.choice(statuses), timeline_day
                evidence = "" if status == Status.ANNOUNCED else f"https://example.org/{slug}"
                raw_uuid = uuid.UUID(int=uuid_bits(128), version=4)
                updates.rows.append(
                    (update_id, raw_uuid if native_uuid else raw_uuid.hex, commitment_id,
                     status, day(timeline_day), evidence, "", "", "", None, "", None, stamp)
                )  # fmt: skip
                update_id += 1
            due = (
                day(min(meeting_day + rng.randrange(30, 1500), span))
                if rng.random() < 0.3
                else None
            )
            commitment_rows.rows.append(
                (commitment_id, slug, f"Commitment {number}: {quote[19:60]}",
                 f"Generated from {tag}.", rng.choice(categories), meeting, due, status,
                 day(status_day), 1 + len(timeline_days), stamp if timeline_days else None,
                 stamp, stamp)
            )  # fmt: skip
            for index, code in enumerate(rng.sample(codes, rng.randint(1, 4))):
                role = PartyRole.LEAD.value if index == 0 else rng.choice(roles)
                parties.rows.append((party_id, commitment_id, code, role))
                party_id += 1
            commitment_id += 1
            number += 1
        text = header + " ".join(sentences)
        documents.rows.append(
            (document_id, f"{tag}-readout-{document_number}", f"Readout {document_number} ({tag})",
             "Generated", "", day(meeting_day), "en", text, sha256_of(text))
        )  # fmt: skip
        document_id += 1

    return Corpus(
        [countries, officials, positions, meetings, participants, documents,
         commitment_rows, parties, mentions, updates]
    )  # fmt: skip


def insert_statements(table: Table) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(table.model._meta.get_field(c).column) for c in table.columns)
    placeholders = ", ".join(["%s"] * len(table.columns))
    return f"INSERT INTO {quote(table.model._meta.db_table)} ({columns}) VALUES ({placeholders})"


def copy_rows(cursor, table: Table, rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(table.model._meta.get_field(c).column) for c in table.columns)
    statement = f"COPY {quote(table.model._meta.db_table)} ({columns}) FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def write_corpus(corpus: Corpus, *, batch: int = 20000, progress=None) -> None:
    """Insert every row in one transaction, then move the key sequences past them.

    PostgreSQL takes the rows through COPY, several times faster than inserts;
    SQLite through executemany.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        for table in corpus.tables:
            for start in range(0, len(table.rows), batch):
                chunk = table.rows[start : start + batch]
                if connection.vendor == "postgresql":
                    copy_rows(cursor, table, chunk)
                else:
                    cursor.executemany(insert_statements(table), chunk)
                if progress is not None:
                    progress(len(chunk))
        models_ = [table.model for table in corpus.tables]
        for sql in connection.ops.sequence_reset_sql(_NoStyle(), models_):
            cursor.execute(sql)
    refresh_statistics([table.model for table in corpus.tables])


def refresh_statistics(models_) -> None:
    """Refresh the planner's statistics after a bulk load.

    Without them the first queries on the new rows plan as if the tables were
    still small. On PostgreSQL, VACUUM also sets the visibility map, so that
    counts can be answered from an index.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
        else:
            cursor.execute("ANALYZE")


class _NoStyle:
    """The `style` argument sequence_reset_sql wants, without colours."""

    def __getattr__(self, name):
        return lambda text: text
