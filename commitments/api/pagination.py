"""Pagination that refuses nonsense instead of guessing: limit/offset, and keyset cursors."""

import base64
import binascii
import json
import re
import urllib.parse

import orjson
from django.conf import settings
from django.core.cache import caches
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .caching import CACHE_ALIAS, Kept, data_generation, request_day, shared_key
from .inputs import parse_integer

# A cursor holds one slug; anything longer than this is not one of ours.
MAX_CURSOR_LENGTH = 400
CURSOR_SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,200}")


def parse_non_negative(request, name: str, *, allow_zero: bool) -> int | None:
    """Return a query parameter as an int, None when absent, or raise a 400 naming it."""
    raw = request.query_params.get(name)
    return None if raw is None else parse_integer(name, raw, minimum=0 if allow_zero else 1)


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """Page with `limit` (clamped to the maximum) and `offset`; malformed values are a 400."""

    default_limit = 50
    max_limit = settings.API_MAX_PAGE_SIZE

    def get_limit(self, request):
        limit = parse_non_negative(request, self.limit_query_param, allow_zero=False)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return parse_non_negative(request, self.offset_query_param, allow_zero=True) or 0

    def paginate_queryset(self, queryset, request, view=None):
        page = self.slice_queryset(queryset, request)
        return None if page is None else list(page)

    def page_bounds(self, request, count: int) -> tuple[int, int] | None:
        """Read the page asked for out of `count` results: (offset, limit), or None if empty."""
        self.request = request
        self.limit = self.get_limit(request)
        self.count = count
        self.offset = self.get_offset(request)
        if self.count == 0 or self.offset > self.count:
            return None
        return self.offset, self.limit

    def get_next_link(self):
        if self.offset + self.limit >= self.count:
            return None
        return self.page_link(self.offset + self.limit)

    def get_previous_link(self):
        if self.offset <= 0:
            return None
        return self.page_link(max(self.offset - self.limit, 0))

    def page_link(self, offset: int) -> str:
        """Return this page's URL at `offset`, as DRF's links write it (parameters sorted).

        The request's URL is parsed and its other parameters encoded once for
        both links, rather than twice for each as DRF's replace_query_param
        would: each link only puts its own `offset` between them.
        """
        parsed = getattr(self, "_parsed_url", None)
        if parsed is None or parsed[0] is not self.request:
            parts = urllib.parse.urlsplit(self.request.build_absolute_uri())
            query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
            query[self.limit_query_param] = [str(self.limit)]
            query.pop(self.offset_query_param, None)
            items = sorted(query.items())
            name = self.offset_query_param
            before = urllib.parse.urlencode([i for i in items if i[0] < name], doseq=True)
            after = urllib.parse.urlencode([i for i in items if i[0] > name], doseq=True)
            base = urllib.parse.urlunsplit(parts._replace(query=""))
            parsed = self._parsed_url = (self.request, base, before, after)
        _, base, before, after = parsed
        offset_pair = f"{self.offset_query_param}={offset}" if offset else ""
        encoded = "&".join(part for part in (before, offset_pair, after) if part)
        return f"{base}?{encoded}" if encoded else base

    def slice_queryset(self, queryset, request):
        """Return the page as an unevaluated queryset, for read paths that pick columns."""
        self.request = request
        self.limit = self.get_limit(request)
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(request)
        if self.count == 0 or self.offset > self.count:
            return queryset.none()
        return queryset[self.offset : self.offset + self.limit]

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results per page, 1 to {self.max_limit} (default "
                    f"{self.default_limit}); a larger value is clamped to {self.max_limit}."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1}
            else:
                parameter["schema"] = {"type": "integer", "minimum": 0}
        return parameters


def encode_cursor(slug: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": slug}).encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> str | None:
    """Return the slug a cursor points after (None for the first page), or raise a 400."""
    if raw == "":
        return None
    try:
        if len(raw) > MAX_CURSOR_LENGTH:
            raise ValueError(raw)
        padded = raw + "=" * (-len(raw) % 4)
        # orjson refuses lone surrogates and never recurses in Python.
        after = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
        if not isinstance(after, str) or not CURSOR_SLUG_RE.fullmatch(after):
            raise TypeError(after)
        return after
    except (ValueError, TypeError, KeyError, IndexError, UnicodeError, binascii.Error):
        raise ValidationError(
            {"cursor": ["Invalid cursor; use the `next` link of the previous page."]}
        ) from None


# The counts this process has read, by generation, day and filters.
COUNTS = Kept()
COUNT_SECONDS = 60 * 60


class CommitmentPagination(StrictLimitOffsetPagination):
    """Limit/offset pages, or keyset pages by slug with `cursor` for deep paging.

    With `cursor` (empty for the first page) every page costs the same however
    deep it is, and `count` is null: counting is what deep offset pages pay for.
    """

    cursor_query_param = "cursor"

    def known_count(self, filters) -> int | None:
        """Return the count of `filters` in this data generation and day, if one was kept.

        Counts are kept (keep_count) in the shared cache for the other
        workers, and in this process (COUNTS), where every page of a filter
        after its first reads it. `filters` is every query parameter but the
        page's, as the caller's shape holds them; the day is in the key
        because `overdue` filters on it. The ordering is not: sorting the
        results does not change their number, so a table re-sorted by its
        reader costs no count.
        """
        parts = self._count_parts(filters)
        value = COUNTS.get(parts)
        if value is None:
            value = caches[CACHE_ALIAS].get(shared_key("count", parts))
            if value is not None:
                COUNTS.keep(parts, value)
        return value

    def keep_count(self, filters, value: int) -> None:
        parts = self._count_parts(filters)
        COUNTS.keep(parts, value)
        caches[CACHE_ALIAS].set(shared_key("count", parts), value, COUNT_SECONDS)

    def _count_parts(self, filters) -> tuple:
        counted = tuple(item for item in filters if item[0] != "ordering")
        return (data_generation(self.request._request), request_day(self.request), counted)

    def page_bounds(self, request, count: int) -> tuple[int, int] | None:
        self.cursor_mode = False
        return super().page_bounds(request, count)

    def uses_cursor(self, request) -> bool:
        return self.cursor_query_param in request.query_params

    def slice_queryset(self, queryset, request):
        if not self.uses_cursor(request):
            self.cursor_mode = False
            return super().slice_queryset(queryset, request)
        self.cursor_mode = True
        self.request = request
        self.limit = self.get_limit(request)
        self.count = None
        ordering = request.query_params.get("ordering", "slug")
        if ordering != "slug":
            raise ValidationError(
                {"cursor": ["Cursor pages are ordered by slug; leave out `ordering`."]}
            )
        after = decode_cursor(request.query_params[self.cursor_query_param])
        if after is not None:
            queryset = queryset.filter(slug__gt=after)
        # One row more than asked tells whether there is a next page.
        return queryset.order_by("slug")[: self.limit + 1]

    def get_paginated_json_response(self, objects: list[bytes]) -> Response:
        """Return a page whose results are already JSON, one bytes object per result."""
        return Response(self.paginated_json(objects))

    def paginated_json(self, objects: list[bytes]) -> dict:
        """Return the page's data, to render as JSON: `objects` are its results, already JSON."""
        next_link = previous_link = None
        if not self.cursor_mode:
            next_link, previous_link = self.get_next_link(), self.get_previous_link()
        elif len(objects) > self.limit:
            objects = objects[: self.limit]
            url = self.request.build_absolute_uri()
            last = orjson.loads(objects[-1])["slug"]
            next_link = replace_query_param(url, self.cursor_query_param, encode_cursor(last))
        return {
            "count": self.count,
            "next": next_link,
            "previous": previous_link,
            "results": orjson.Fragment(b"[" + b",".join(objects) + b"]"),
        }

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["nullable"] = True
        response["properties"]["count"]["description"] = "Null in cursor mode."
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Keyset paging by slug: pass it empty for the first page, then follow "
                    "`next`. Every page costs the same however deep; `count` is null. "
                    "Cursor pages are always in slug order, so `cursor` and `ordering` "
                    "exclude each other: a request with both is a 400."
                ),
                "schema": {"type": "string"},
            },
        ]
