"""Answer 503 instead of a stack trace when the database cannot be reached."""

import logging

from django.db import OperationalError, connections
from django.db.utils import InterfaceError
from django.http import JsonResponse

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Turn a lost or refused database connection into a 503 with a Retry-After."""

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
        response = JsonResponse(
            {
                "type": "server_error",
                "errors": [
                    {
                        "code": "database_unavailable",
                        "detail": "The database is unavailable; nothing was written. "
                        "Try again shortly.",
                        "attr": None,
                    }
                ],
            },
            status=503,
        )
        response["Retry-After"] = "5"
        return response


def database_is_unavailable(exception: Exception) -> bool:
    """Return whether a database error means the server is gone, not a bad query."""
    # A real query error (or a lock that outlived the busy timeout) is a bug or
    # an overload, not an outage; the ordinary 500 path logs it.
    return "locked" not in str(exception).lower() and not _connection_is_usable()


def _connection_is_usable() -> bool:
    connection = connections["default"]
    try:
        connection.close_if_unusable_or_obsolete()
        connection.ensure_connection()
        return connection.is_usable()
    except Exception:  # Any failure here means the database is gone.
        return False
