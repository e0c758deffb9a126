"""Each commitment's JSON object, kept rendered by the database for the read path.

The same triggers keep PartyStatus, each party's country beside its
commitment's current status, which answers the `country` and `status`
filters together from one index.

Building a commitment's JSON object (with its parties, meeting and origin,
read from three other tables) is most of what a fresh page costs the
database. Database triggers keep each object rendered in RenderedCommitment,
in the same transaction as any write to what it shows (the commitment, its
parties, its mentions, its meeting), whichever way the write comes, as the
data generation's triggers do. The read path splices in what depends on the
request: the status as of the day asked for, `overdue` (the day) and `url`
(scheme, host and script prefix).

A stored object names the code that rendered it (a hash of its SQL). The
read path uses stored objects only when each of the page's is there and of
the current code, and otherwise renders the page in full, so a missing or
older row costs time, never correctness.

The triggers' names carry a hash of the statements that create them. `migrate`
and `flush` end by checking that every trigger of the current code is there
and every commitment has an object of its code; if not (SQLite drops a
table's triggers when a migration rebuilds it; a release changes the
rendering), they reinstall the triggers and render every commitment again.
"""

import hashlib

from django.db import connection, connections, migrations, models, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from commitments.triggers import drop_sqlite_triggers, uninstalled_backwards

TRIGGER = "commitments_rendered"


class RenderedCommitment(models.Model):
    """A commitment's JSON object, but for what a read splices in: the text before and after."""

    commitment_id = models.BigIntegerField(primary_key=True)
    code = models.CharField(max_length=16)
    head = models.TextField()
    tail = models.TextField()

    class Meta:
        app_label = "commitments"
        verbose_name = "rendered commitment"

    def __str__(self):
        return f"commitment {self.commitment_id} ({self.code})"


class PartyStatus(models.Model):
    """A commitment's party with the commitment's current status, kept by the database.

    The API's most common filters, a country and a status, are on two tables:
    PostgreSQL would look up each of the country's commitments by its id to
    read its status (647 of them for one country of the benchmark's 10,000
    commitments, two fifths of them in the status asked for). From one index
    over both, it reads just the ids of those in the status.
    """

    party_id = models.BigIntegerField(primary_key=True)
    commitment_id = models.BigIntegerField()
    country_id = models.CharField(max_length=2)
    role = models.CharField(max_length=20)
    status = models.CharField(max_length=20)

    class Meta:
        app_label = "commitments"
        verbose_name = "party status"
        verbose_name_plural = "party statuses"
        indexes = [
            models.Index(
                fields=["country_id", "status", "role", "commitment_id"],
                name="party_status_country_idx",
            ),
            # The triggers rewrite a commitment's rows at each write to it.
            models.Index(fields=["commitment_id"], name="party_status_commitment_idx"),
        ]

    def __str__(self):
        return f"{self.country_id} in commitment {self.commitment_id} ({self.status})"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# What a read splices in, between the stored head and tail: what depends on
# the day asked for (the status as of it) and on the request (`url`, last).
SPLICED = ("status", "status_date", "due_date", "overdue")


def _parts(vendor: str) -> tuple[str, str]:
    """Return the expressions of the object's text before SPLICED and between it and `url`."""
    from .read_path import PAGE, json_object_sql, object_fields

    fields = object_fields(vendor, PAGE)
    keys = [key for key, _ in fields]
    first, url = keys.index(SPLICED[0]), keys.index("url")
    assert keys[first : first + len(SPLICED)] == list(SPLICED) and url == len(keys) - 1, keys
    head, tail = fields[:first], fields[first + len(SPLICED) : url]
    return json_object_sql(vendor, head), json_object_sql(vendor, tail)


def render_code(vendor: str) -> str:
    """Return the hash of the SQL that renders the stored parts on `vendor`."""
    return hashlib.sha256("\n".join(_parts(vendor)).encode()).hexdigest()[:16]


def source_sql(where: str, columns=None) -> str:
    """Return page columns of the commitments `where` selects, as the page query names them.

    All of them unless `columns` names some; their current status, compiled
    as the page query compiles it (read_path.columns_sql).
    """
    from commitments.models import Commitment

    from .read_path import PAGE_COLUMNS, columns_sql

    selected = RawSQL(where, (), output_field=BooleanField())
    queryset = Commitment.objects.with_status(None).order_by().filter(selected)
    sql, params = columns_sql(queryset, columns or PAGE_COLUMNS)
    assert not params, params
    return sql


def render_sql(vendor: str, where: str) -> str:
    """Return the statement that (re)renders the commitments `where` selects (SQL over columns)."""
    head, tail = _parts(vendor)
    table = _quote(RenderedCommitment._meta.db_table)
    return (
        f"INSERT INTO {table} (commitment_id, code, head, tail) "
        f"SELECT c_id, '{render_code(vendor)}', "
        f"substr(h, 1, length(h) - 1), substr(t, 2, length(t) - 2) "
        f"FROM (SELECT p.c_id AS c_id, {head} AS h, {tail} AS t FROM ({source_sql(where)}) p) x "
        f"WHERE true ON CONFLICT (commitment_id) DO UPDATE SET "
        f"code = excluded.code, head = excluded.head, tail = excluded.tail"
    )


def party_status_sql(where: str | None = None) -> list[str]:
    """Return the statements that write PartyStatus again for the commitments `where` selects.

    `where` is a condition on the commitments' table, as render_sql's is;
    without one, the whole table is written again, rows of no party dropped.
    """
    from commitments.models import Commitment, CommitmentParty

    table = _quote(PartyStatus._meta.db_table)
    commitments = _quote(Commitment._meta.db_table)
    insert = (
        f"INSERT INTO {table} (party_id, commitment_id, country_id, role, status) "
        f"SELECT p.id, p.commitment_id, p.country_id, p.role, c.status "
        f"FROM {_quote(CommitmentParty._meta.db_table)} p "
        f"JOIN {commitments} c ON c.id = p.commitment_id"
    )
    if where is None:
        return [f"DELETE FROM {table}", insert]
    selected = f"SELECT {_quote(Commitment._meta.pk.column)} FROM {commitments} WHERE {where}"
    return [
        f"DELETE FROM {table} WHERE commitment_id IN ({selected})",
        f"{insert} WHERE p.commitment_id IN ({selected})",
    ]


def read_sql(vendor: str) -> str:
    """Return the statement that gives each commitment of `{page}` as its stored JSON, in order.

    NULL for a commitment without a stored object of this code. Its
    parameters: the day, the detail URL's text before and after the slug,
    and then the page's. The page selects STORED_COLUMNS, its status columns
    those of the day asked for, as page_sql() selects them.
    """
    from .read_path import PAGE, bytes_sql, overdue_sql

    if vendor == "sqlite":
        sep, colon, quote = ",", ":", "json_quote({})"
    else:
        sep, colon, quote = ", ", " : ", "COALESCE(to_json({})::text, 'null')"
    spliced = {
        "status": quote.format(PAGE["effective_status"]),
        "status_date": quote.format(PAGE["effective_status_date"]),
        "due_date": quote.format(PAGE["due_date"]),
        "overdue": f"CASE WHEN {overdue_sql(PAGE)} THEN 'true' ELSE 'false' END",
    }
    middle = " || ".join(f"'{sep}\"{key}\"{colon}' || {spliced[key]}" for key in SPLICED)
    url = quote.format(f"%s || {PAGE['slug']} || %s")
    table = _quote(RenderedCommitment._meta.db_table)
    stored = (
        f"(SELECT r.head || {middle} || '{sep}' || r.tail FROM {table} r "
        f"WHERE r.commitment_id = {PAGE['id']} AND r.code = '{render_code(vendor)}') "
        f"|| '{sep}\"url\"{colon}' || {url} || '}}'"
    )
    return f"SELECT {bytes_sql(vendor, stored)} FROM ({{page}}) p"


def _sources():
    """Return the quoted columns and the tables the triggers read: what an object shows.

    The commitments' id and meeting columns, the tables of parties and
    mentions with their commitment column, and the commitments' and
    meetings' tables.
    """
    from commitments.models import Commitment, CommitmentParty, Meeting, Mention

    commitment_id = _quote(Commitment._meta.pk.column)
    meeting_id = _quote(Commitment._meta.get_field("meeting").column)
    related = {
        model._meta.db_table: _quote(model._meta.get_field("commitment").column)
        for model in (CommitmentParty, Mention)
    }
    return commitment_id, meeting_id, related, Commitment._meta.db_table, Meeting._meta.db_table


def _party_table() -> str:
    """Return the parties' table: of the tables _sources() names, the one PartyStatus mirrors."""
    from commitments.models import CommitmentParty

    return CommitmentParty._meta.db_table


def _sqlite_statements(prefix: str) -> tuple[list[str], set[tuple[str, str]]]:
    commitment_id, meeting_id, related, commitments, meetings = _sources()
    table = _quote(RenderedCommitment._meta.db_table)
    names = set()

    def trigger(on, event, body):
        name = f"{on}_{prefix}_{event.lower()}"
        names.add((on, name))
        return f"CREATE TRIGGER {_quote(name)} AFTER {event} ON {_quote(on)} BEGIN {body}; END"

    def render(where, parties=True):
        return "; ".join(
            [render_sql("sqlite", where), *(party_status_sql(where) if parties else ())]
        )

    statuses = _quote(PartyStatus._meta.db_table)
    party_table = _party_table()
    statements = [
        trigger(commitments, "INSERT", render(f"{commitment_id} = NEW.id")),
        trigger(commitments, "UPDATE", render(f"{commitment_id} IN (OLD.id, NEW.id)")),
        trigger(
            commitments,
            "DELETE",
            f"DELETE FROM {table} WHERE commitment_id = OLD.id; "
            f"DELETE FROM {statuses} WHERE commitment_id = OLD.id",
        ),
        trigger(meetings, "UPDATE", render(f"{meeting_id} IN (OLD.id, NEW.id)", parties=False)),
    ]
    for name, column in related.items():
        parties = name == party_table
        statements += [
            trigger(name, "INSERT", render(f"{commitment_id} = NEW.{column}", parties)),
            trigger(
                name,
                "UPDATE",
                render(f"{commitment_id} IN (OLD.{column}, NEW.{column})", parties),
            ),
            trigger(name, "DELETE", render(f"{commitment_id} = OLD.{column}", parties)),
        ]
    return statements, names


def _postgresql_statements(prefix: str) -> tuple[list[str], set[tuple[str, str]]]:
    commitment_id, meeting_id, related, commitments, meetings = _sources()
    table = _quote(RenderedCommitment._meta.db_table)

    def render(where, parties=True):
        # Writers that touch one commitment's object each lock its row first,
        # and render in the statement after, which sees what the other
        # committed: one whose render started from a snapshot without the
        # other's write would otherwise replace the other's.
        return "; ".join(
            [
                f"PERFORM 1 FROM {_quote(commitments)} WHERE {where} "
                f"ORDER BY {commitment_id} FOR NO KEY UPDATE",
                render_sql("postgresql", where),
                *(party_status_sql(where) if parties else ()),
            ]
        )

    statuses = _quote(PartyStatus._meta.db_table)
    party_table = _party_table()
    everything = (
        "; ".join([f"DELETE FROM {table}", render_sql("postgresql", "true"), *party_status_sql()])
        + ";"
    )
    # Statement-level, over the statement's changed rows: a bulk write renders
    # each commitment it touches once.
    bodies = {
        commitments: {
            "INSERT": render(f"{commitment_id} IN (SELECT id FROM new_rows)"),
            "UPDATE": render(f"{commitment_id} IN (SELECT id FROM new_rows)"),
            "DELETE": f"DELETE FROM {table} WHERE commitment_id IN (SELECT id FROM old_rows); "
            f"DELETE FROM {statuses} WHERE commitment_id IN (SELECT id FROM old_rows)",
        },
        meetings: {"UPDATE": render(f"{meeting_id} IN (SELECT id FROM new_rows)", parties=False)},
    }
    for name, column in related.items():
        parties = name == party_table
        bodies[name] = {
            "INSERT": render(f"{commitment_id} IN (SELECT {column} FROM new_rows)", parties),
            "UPDATE": render(
                f"{commitment_id} IN (SELECT {column} FROM new_rows "
                f"UNION SELECT {column} FROM old_rows)",
                parties,
            ),
            "DELETE": render(f"{commitment_id} IN (SELECT {column} FROM old_rows)", parties),
        }
    transition = {
        "INSERT": "REFERENCING NEW TABLE AS new_rows",
        "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "REFERENCING OLD TABLE AS old_rows",
    }
    statements, names = [], set()
    for name, events in bodies.items():
        function = f"{prefix}_{name}"
        branches = "".join(
            f"ELSIF TG_OP = '{event}' THEN {body}; " for event, body in events.items()
        )
        statements.append(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP = 'TRUNCATE' THEN {everything} {branches}END IF; RETURN NULL; END $$"
        )
        for event in [*events, "TRUNCATE"]:
            trigger = f"{prefix}_{event.lower()}"
            names.add((name, trigger))
            statements.append(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {_quote(name)} "
                f"{transition.get(event, '')} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    return statements, names


def _installation(vendor: str) -> tuple[list[str], set[tuple[str, str]]]:
    """Return the statements that create the current code's triggers, and their (table, name)s.

    The names end in a hash of the statements, so that names alone tell
    whether the triggers in a database are the current code's.
    """
    if vendor == "postgresql":
        build = _postgresql_statements
    elif vendor == "sqlite":
        build = _sqlite_statements
    else:
        raise NotImplementedError(f"No rendering triggers for {vendor}.")
    statements, _ = build(TRIGGER)
    fingerprint = hashlib.sha256("\n".join(statements).encode()).hexdigest()[:8]
    return build(f"{TRIGGER}_{fingerprint}")


def _installed(using: str) -> set[tuple[str, str]]:
    """Return the (table, name) of each rendering trigger in the database."""
    with connections[using].cursor() as cursor:
        if connections[using].vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE starts_with(t.tgname, %s)",
                [TRIGGER],
            )
        else:
            cursor.execute(
                "SELECT tbl_name, name FROM sqlite_master "
                "WHERE type = 'trigger' AND instr(name, %s) > 0",
                [TRIGGER],
            )
        return set(cursor.fetchall())


def triggers(using: str = "default") -> set[tuple[str, str]]:
    """Return the (table, event) pairs that carry a rendering trigger."""
    return {(table, name.rsplit("_", 1)[1].upper()) for table, name in _installed(using)}


def uninstall(using: str = "default") -> None:
    """Drop every rendering trigger (and PostgreSQL's functions)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            drop_sqlite_triggers(cursor, _quote, TRIGGER)
            return
        for table, name in _installed(using):
            cursor.execute(f"DROP TRIGGER IF EXISTS {_quote(name)} ON {_quote(table)}")
        cursor.execute("SELECT proname FROM pg_proc WHERE starts_with(proname, %s)", [TRIGGER])
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION IF EXISTS {_quote(name)}()")


def _is_current(using: str, names: set[tuple[str, str]]) -> bool:
    """Tell whether the database holds these triggers alone, an object of this code for each
    commitment and a PartyStatus for each party."""
    from commitments.models import Commitment, CommitmentParty

    if _installed(using) != names:
        return False
    vendor = connections[using].vendor
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {_quote(Commitment._meta.db_table)}) = "
            f"(SELECT count(*) FROM {_quote(RenderedCommitment._meta.db_table)} WHERE code = %s) "
            f"AND NOT EXISTS (SELECT 1 FROM {_quote(RenderedCommitment._meta.db_table)} "
            f"WHERE code <> %s) "
            f"AND (SELECT count(*) FROM {_quote(CommitmentParty._meta.db_table)}) = "
            f"(SELECT count(*) FROM {_quote(PartyStatus._meta.db_table)})",
            [render_code(vendor)] * 2,
        )
        return bool(cursor.fetchone()[0])


def install(using: str = "default") -> None:
    """Make the current code's triggers and objects the database's, in one transaction.

    Nothing to do (but a check) when they already are, as after most
    `flush`es and `migrate`s; otherwise the triggers are replaced and every
    commitment rendered again.
    """
    connection = connections[using]
    tables = connection.introspection.table_names()
    if not {RenderedCommitment._meta.db_table, PartyStatus._meta.db_table} <= set(tables):
        return
    statements, names = _installation(connection.vendor)
    table = _quote(RenderedCommitment._meta.db_table)
    with transaction.atomic(using):
        if _is_current(using, names):
            return
        uninstall(using)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(render_sql(connection.vendor, "true"))
            for statement in party_status_sql():
                cursor.execute(statement)


def install_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate receiver: `migrate` and `flush` both end here."""
    install(using)


def migration_operation() -> migrations.RunPython:
    """Return the operation that drops the triggers when a migration removes the table."""
    return uninstalled_backwards(uninstall)
