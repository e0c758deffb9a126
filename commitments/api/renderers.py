"""A JSON renderer built on orjson: the same JSON as DRF's, several times faster."""

import orjson
from django.utils.encoding import force_str
from rest_framework.renderers import BaseRenderer

# UTC datetimes end in "Z", as DRF's DateTimeField writes them; naive ones
# (SQLite's, read without converters) are UTC, as USE_TZ stores them.
ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def _default(value):
    # Lazy translation strings in error messages, and anything else str() knows.
    return force_str(value)


def dumps(data) -> bytes:
    """Return data as JSON bytes, the way the API renders it."""
    return orjson.dumps(data, default=_default, option=ORJSON_OPTIONS)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)
