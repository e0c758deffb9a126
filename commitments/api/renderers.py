"""Renderers: JSON built on orjson for every client, and the browsable API for people."""

import json

import orjson
from django.utils.encoding import force_str
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer

# UTC datetimes end in "Z", as DRF's DateTimeField writes them; naive ones
# (SQLite's, read without converters) are UTC, as USE_TZ stores them.
ORJSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def _default(value):
    # Lazy translation strings in error messages, and anything else str() knows.
    return force_str(value)


def dumps(data, *, indent: bool = False) -> bytes:
    """Return data as JSON bytes, the way the API renders it."""
    options = ORJSON_OPTIONS | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        return orjson.dumps(data, default=_default, option=options)
    except orjson.JSONEncodeError:
        # Only text that is not valid Unicode (a lone surrogate that slipped
        # past input validation) gets here; the standard library escapes it
        # rather than failing the response.
        return json.dumps(data, default=_default, ensure_ascii=True).encode("ascii")


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = bool(renderer_context and renderer_context.get("indent"))
        return dumps(data, indent=indent)


class PeopleBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API, for people logged in to the admin who open the API in a browser."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            # DRF's page positions a few elements with style attributes; allow
            # those (never <style> blocks or scripts) on this page alone.
            response._csp_update = {"style-src-attr": ["'unsafe-inline'"]}
        return super().render(data, accepted_media_type, renderer_context)

    def get_context(self, data, accepted_media_type, renderer_context):
        context = super().get_context(data, accepted_media_type, renderer_context)
        # Pygments' colours would come as an inline <style> block, which the
        # CSP refuses; the descriptions here have no code to colour.
        context["code_style"] = None
        return context


class BrowsableForLoggedInUsers(DefaultContentNegotiation):
    """Offer the browsable API only to a browser session logged in to the admin; JSON otherwise."""

    def select_renderer(self, request, renderers, format_suffix=None):
        user = getattr(request._request, "user", None)
        if not (user is not None and user.is_authenticated):
            renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)]
        return super().select_renderer(request, renderers, format_suffix)
