"""A cursor for the statements the read path runs on every request, prepared on PostgreSQL.

Django's PostgreSQL backend binds parameters on the client (psycopg's
ClientCursor): each statement reaches the server as new text, with its values
written in, and the server parses, analyses and plans it afresh. The read
path runs a few fixed statements over and over with other values (the data
generation, a page, a detail, a count). Bound on the server instead, psycopg
prepares each statement on a connection once it has run a few times there
(`prepare_threshold` in the database's OPTIONS, which config/settings sets
to 5 where Django's default is never), and from then on the server skips
the parsing and the planning too (one plan for all values:
`plan_cache_mode`, also set in `config/settings`).

For a detail read (the generation and the detail's statement, each with
other values), the server's CPU drops by more than half and the worker's by
about a sixth, measured on this project's benchmark data (README, "Served
speed").

Only these statements are bound on the server: the ORM's own queries keep
Django's default, since some of them rely on values being written into the
text. Behind a pooler that shares server connections between clients
(PgBouncer in transaction mode before 1.21), DATABASE_PREPARED_STATEMENTS=0
keeps Django's default: the statements are still bound on the server, and
never prepared.
"""

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class LoggedCursor(CursorDebugWrapper):
    """Django's debug cursor, logging each statement as it reads with its values written in.

    Django's own asks psycopg for the statement it last sent, which for a
    prepared one is nothing at all.
    """

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return CursorWrapper.execute(self, sql, params)


def cursor(connection: BaseDatabaseWrapper):
    """Return a cursor for a read-path statement: Django's, bound on the server on PostgreSQL.

    It is Django's cursor wrapper all the same: errors become Django's, and
    tests that capture queries see these. It returns no timestamps, so it
    needs none of the time zone set-up of Django's own cursors.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        connection.validate_thread_sharing()
        raw = psycopg.Cursor(connection.connection)
        if connection.queries_logged:
            return LoggedCursor(raw, connection)
        return connection.make_cursor(raw)
