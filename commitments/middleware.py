"""Answer 503 instead of a stack trace when the database is gone, locked or read-only."""

import logging

from django.db import OperationalError, connections
from django.db.utils import InterfaceError

from commitments.api.responses import error_response

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5

# SQLite's words for a database that is there but cannot take a write now: a
# lock held past the busy timeout (a backup, a long writer), a read-only file
# or file system, a full disk. Each passes; none is a bug in the request.
SQLITE_WRITE_FAULTS = (
    "database is locked",
    "database table is locked",
    "readonly database",
    "read-only",
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
)


class DatabaseUnavailableMiddleware:
    """Turn a lost, locked or read-only database into a 503 with a Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if not database_is_unavailable(exception):
            return None
        logger.error("Database unavailable while serving %s: %s", request.path, exception)
        return unavailable_response()


def unavailable_response():
    response = error_response(
        503,
        "database_unavailable",
        "The database is unavailable; nothing was written. Try again shortly.",
        error_type="server_error",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_is_unavailable(exception: Exception) -> bool:
    """Return whether a database error is a passing fault (gone, locked, read-only), not a bug.

    A connection that met such a fault is closed, so that the next request
    opens a fresh one instead of reusing one opened while the fault lasted
    (a SQLite connection opened on a read-only file stays read-only).
    """
    message = str(exception).lower()
    if any(words in message for words in SQLITE_WRITE_FAULTS):
        _discard_connection()
        return True
    return not _connection_is_usable()


def _discard_connection() -> None:
    connection = connections["default"]
    if connection.in_atomic_block:
        # The enclosing atomic block rolls back and the request ends first.
        return
    try:
        connection.close()
    except Exception:  # A connection that cannot even close is gone anyway.
        logger.warning("Could not close the faulty database connection", exc_info=True)


def _connection_is_usable() -> bool:
    connection = connections["default"]
    try:
        connection.close_if_unusable_or_obsolete()
        connection.ensure_connection()
        return connection.is_usable()
    except Exception:  # Any failure here means the database is gone.
        return False
