"""A cursor for the statements the read path runs on every request, prepared on PostgreSQL.

Django's PostgreSQL backend binds parameters on the client (psycopg's
ClientCursor): each statement reaches the server as new text, with its values
written in, and the server parses, analyses and plans it afresh. The read
path runs a few fixed statements over and over with other values (the data
generation, a page, a detail, a count). Bound on the server instead, each is
prepared on a connection once it has run a few times there
(`prepare_threshold` in the database's OPTIONS, which config/settings sets
to 5 where Django's default is never), and from then on the server skips
the parsing and the planning too (one plan for all values:
`plan_cache_mode`, also set in `config/settings`).

For a detail read (the generation and the detail's statement, each with
other values), the server's CPU drops by more than half and the worker's by
about a sixth, measured on this project's benchmark data (README, "Served
speed").

The statements go to libpq through psycopg's `pq` layer (LibpqCursor), not
through a psycopg cursor, which reads a large result in many steps of its
own and decodes the page's objects to text that the read path would encode
again: a fresh list page costs the worker 0.2-0.3 ms less CPU (2.2-2.3 ms
instead of 2.4-2.6, alternating the two in one process on the benchmark's
data), a filtered page about 0.1 ms less, and a detail the same. Everything
else is psycopg's own: its adapters dump the parameters and load the values,
with the types a psycopg cursor would send and return, its prepare_threshold
and prepared_max apply, and its exceptions report errors. Inside a
transaction, and when Django logs queries, a psycopg cursor runs the
statement as before.

Only these statements are bound on the server: the ORM's own queries keep
Django's default, since some of them rely on values being written into the
text. Behind a pooler that shares server connections between clients
(PgBouncer in transaction mode before 1.21), DATABASE_PREPARED_STATEMENTS=0
keeps Django's default: the statements are still bound on the server, and
never prepared.
"""

import functools
import re
from collections import OrderedDict

import psycopg
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg import errors, pq
from psycopg.adapt import PyFormat

# SQLSTATE invalid_sql_statement_name: a prepared statement the server no
# longer has (a DEALLOCATE ALL or DISCARD ALL by someone else).
STATEMENT_GONE = "26000"
PLACEHOLDER = re.compile(r"%(.)", re.DOTALL)


class LoggedCursor(CursorDebugWrapper):
    """Django's debug cursor, logging each statement as it reads with its values written in.

    Django's own asks psycopg for the statement it last sent, which for a
    prepared one is nothing at all.
    """

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return CursorWrapper.execute(self, sql, params)


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> tuple[bytes, int] | None:
    """Return the statement with `$1`, `$2`... for its `%s`, and how many; None if not plain.

    `%%` stands for `%`, as in any statement Django runs; any other `%` form
    (named parameters) is left to a psycopg cursor.
    """
    count = 0

    def replace(match):
        nonlocal count
        if match.group(1) == "%":
            return "%"
        if match.group(1) != "s":
            raise ValueError(match.group(0))
        count += 1
        return f"${count}"

    try:
        return PLACEHOLDER.sub(replace, sql).encode(), count
    except ValueError:
        return None


class Prepared:
    """What one connection knows of its read-path statements, least recently used first."""

    def __init__(self, owner: psycopg.Connection):
        self.owner = owner
        self.names: OrderedDict[tuple, bytes] = OrderedDict()
        self.runs: OrderedDict[tuple, int] = OrderedDict()
        self.serial = 0
        self.dumpers: dict[type, object] = {}
        self.loaders: dict[int, object] = {}

    def dump(self, value) -> tuple[int, bytes | None]:
        """Return a parameter's type and text as a psycopg cursor would send them."""
        if value is None:
            return 0, None
        kind = type(value)
        dumper = self.dumpers.get(kind)
        if dumper is None:
            dumper_class = self.owner.adapters.get_dumper(kind, PyFormat.TEXT)
            dumper = self.dumpers[kind] = dumper_class(kind, self.owner)
        dumper = dumper.upgrade(value, PyFormat.TEXT)
        return dumper.oid, bytes(dumper.dump(value))

    def loader(self, oid: int):
        load = self.loaders.get(oid)
        if load is None:
            loader_class = self.owner.adapters.get_loader(oid, pq.Format.TEXT)
            load = self.loaders[oid] = loader_class(oid, self.owner).load
        return load

    def name(self, key: tuple) -> bytes | None:
        """Return the statement's name if prepared, or prepare it if it has run often enough."""
        name = self.names.get(key)
        if name is not None:
            self.names.move_to_end(key)
            return name
        threshold = self.owner.prepare_threshold
        if threshold is None:
            return None
        runs = self.runs.pop(key, 0)
        if runs < threshold:
            self.runs[key] = runs + 1
            while len(self.runs) > self.capacity:
                self.runs.popitem(last=False)
            return None
        self.serial += 1
        name = f"_commitments_{self.serial}".encode()
        command, types = key
        pgconn = self.owner.pgconn
        check(pgconn, pgconn.prepare(name, command, types), self.owner)
        self.names[key] = name
        while len(self.names) > self.capacity:
            _, old = self.names.popitem(last=False)
            pgconn.exec_(b"DEALLOCATE " + old)
        return name

    @property
    def capacity(self) -> int:
        return self.owner.prepared_max or 100


def check(pgconn, result, owner: psycopg.Connection):
    """Return the result of a statement, or raise what a psycopg cursor would for it."""
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return result
    if pgconn.status != pq.ConnStatus.OK:
        message = pgconn.error_message.decode(owner.info.encoding, "replace").strip()
        raise psycopg.OperationalError(message or "the connection to the server was lost")
    raise errors.error_from_result(result, encoding=owner.info.encoding)


class LibpqCursor:
    """The few cursor methods the read path uses, over psycopg's libpq layer.

    Used only in autocommit outside a transaction, as an API read runs: a
    psycopg cursor would first open the transaction that Django's atomic
    blocks expect, so inside one a psycopg cursor runs the statement.
    """

    def __init__(self, connection: BaseDatabaseWrapper):
        self.db = connection
        self.connection = connection.connection
        self.result = None
        self.rows: list[tuple] = []
        self.bytes_first = False  # Whether the rows hold their first value as bytes.
        self.position = 0

    def state(self) -> Prepared:
        prepared = getattr(self.db, "_read_path_statements", None)
        if prepared is None or prepared.owner is not self.connection:
            prepared = self.db._read_path_statements = Prepared(self.connection)
        return prepared

    def execute(self, sql: str, params=None):
        if params is not None and not isinstance(params, list | tuple):
            return self.through_psycopg(sql, params)  # Named parameters.
        params = () if params is None else tuple(params)
        owner, converted = self.connection, numbered(sql)
        if (
            converted is None
            or converted[1] != len(params)
            or not owner.autocommit
            or owner.pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            return self.through_psycopg(sql, params)
        state = self.state()
        types, values = [], []
        for value in params:
            oid, text = state.dump(value)
            types.append(oid)
            values.append(text)
        key = (converted[0], tuple(types))
        pgconn = owner.pgconn
        name = state.name(key)
        if name is None:
            result = pgconn.exec_params(key[0], values, key[1])
        else:
            result = pgconn.exec_prepared(name, values)
            gone = (
                result.status == pq.ExecStatus.FATAL_ERROR
                and (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
                == STATEMENT_GONE
            )
            if gone:  # Dropped by someone else: every name of this connection may be.
                state.names.clear()
                result = pgconn.exec_params(key[0], values, key[1])
        self.result, self.rows, self.bytes_first = check(pgconn, result, owner), [], False
        self.position = 0

    def through_psycopg(self, sql: str, params):
        with psycopg.Cursor(self.connection) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else []
        self.result, self.rows, self.bytes_first, self.position = None, rows, False, 0

    def fetchall(self, text_first: bool = False) -> list[tuple]:
        """Return the rows left; with `text_first`, each row's first value as UTF-8 bytes."""
        rows = self.load(text_first)[self.position :]
        self.position += len(rows)
        return rows

    def fetchone(self) -> tuple | None:
        rows = self.load(False)
        if self.position >= len(rows):
            return None
        self.position += 1
        return rows[self.position - 1]

    def load(self, text_first: bool) -> list[tuple]:
        """Return every row, loaded once from the result (its first value as asked)."""
        result = self.result
        if result is not None:
            state, columns = self.state(), range(result.nfields)
            loads = [state.loader(result.ftype(column)) for column in columns]
            if text_first and self.connection.info.encoding == "utf-8":
                loads[0] = bytes  # The text as the server sent it.
            value, rows = result.get_value, range(result.ntuples)
            self.rows = list(
                zip(
                    *(
                        [value(row, column) for row in rows]
                        if load is bytes
                        else [
                            None if (data := value(row, column)) is None else load(data)
                            for row in rows
                        ]
                        for column, load in zip(columns, loads, strict=True)
                    ),
                    strict=True,
                )
            )
            self.result, self.bytes_first = None, loads[0] is bytes if loads else False
        if text_first != self.bytes_first:
            self.rows = [(recode(row[0]), *row[1:]) for row in self.rows]
            self.bytes_first = text_first
        return self.rows

    def close(self):
        self.result, self.rows = None, []


def recode(value: str | bytes | None) -> str | bytes | None:
    """Return text as UTF-8 bytes, or such bytes as text; None as it is."""
    if value is None:
        return None
    return value.encode() if isinstance(value, str) else value.decode()


def fetchall_text_first(cursor) -> list[tuple]:
    """Return cursor.fetchall() with each row's first value (text) as UTF-8 bytes.

    A page's objects go out as the bytes the database sent, not decoded and
    encoded again: libpq's as they are, SQLite's when the statement selects
    them as a BLOB (read_path.bytes_sql). Text selected as text is encoded here.
    """
    inner = getattr(cursor, "cursor", cursor)
    if isinstance(inner, LibpqCursor):
        with cursor.db.wrap_database_errors:
            return inner.fetchall(text_first=True)
    return [
        (row[0].encode(), *row[1:]) if isinstance(row[0], str) else row for row in cursor.fetchall()
    ]


def cursor(connection: BaseDatabaseWrapper):
    """Return a cursor for a read-path statement: Django's, bound on the server on PostgreSQL.

    It is Django's cursor wrapper all the same: errors become Django's, and
    tests that capture queries see these. It returns no timestamps, so it
    needs none of the time zone set-up of Django's own cursors.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    # django.db.connection looks the thread's connection up on each attribute
    # read: once here, rather than for each of the dozen reads below.
    connection = connections[connection.alias]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        connection.validate_thread_sharing()
        if connection.queries_logged:
            return LoggedCursor(psycopg.Cursor(connection.connection), connection)
        return connection.make_cursor(LibpqCursor(connection))
