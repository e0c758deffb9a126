"""Fresh anonymous reads of commitments, answered without the framework's per-request work.

A fresh read of the commitment list or of one commitment costs the database
less than the framework around it: the middleware below the response cache,
URL resolving, DRF's dispatch (negotiation, authentication, permissions) and
the view. For an anonymous JSON read of a kind the full stack has already
answered, ApiResponseCacheMiddleware asks this module first, on a cache miss;
it answers as the full stack would:

- the same checks of the path and query as ApiInputMiddleware, the same
  parsing of `as_of`, `limit` and `offset`, and the view's throttles, counted
  once whichever path answers;
- the same JSON, from the same compiled query and count (read_path, and the
  shapes the view compiled: a shape nobody compiled has never had its filters
  validated, so the full stack answers it);
- the headers the full stack gave its last answer of the same kind, scheme,
  host and Accept header in this process (security headers, CSP, Vary, Allow,
  Cache-Control), with this read's ETag and length.

Everything else falls through to the full stack: a cursor, `format`, an
Accept header other than none, `*/*` or `application/json` (DRF would
indent for `application/json; indent=2`), If-None-Match on a detail, a
malformed parameter (its 400), a missing commitment (its 404), a throttled
client (its 429), a database error (its 503). tests/test_api_direct.py checks
that both paths give the same status, headers and body.
"""

import functools
import re

import orjson
from django.db import DatabaseError
from django.http import HttpResponse
from django.urls import get_script_prefix, reverse
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from .caching import Kept
from .inputs import check_query_parameters, check_text
from .read_path import DETAIL_SHAPES, LIST_SHAPES, detail_json, detail_path, detail_shape
from .renderers import dumps
from .throttling import COUNTED_BY, SharedCountThrottle

PLAIN_ACCEPT = frozenset({"", "*/*", "application/json"})
MAX_LEARNT = 256


class NotCompiled(Exception):
    """No worker has compiled this shape: the full stack answers, and compiles it."""


@functools.lru_cache(maxsize=8)
def routes(script_prefix: str) -> tuple[str, re.Pattern]:
    """Return the list's path and the detail's pattern, as request.path_info holds them."""
    from .views import SLUG_PATTERN

    def path_info(url: str) -> str:
        return "/" + url.removeprefix(script_prefix)

    list_path = path_info(reverse("commitment-list"))
    before, _, after = path_info(detail_path(script_prefix)).rpartition("-")
    return list_path, re.compile(f"{re.escape(before)}({SLUG_PATTERN}){re.escape(after)}")


# The headers of the full stack's last answer of each kind, in this process.
LEARNT = Kept(MAX_LEARNT)


def read_kind(request) -> tuple[str, str | None] | None:
    """Return ("list", None) or ("detail", slug) for a read this module may answer, else None."""
    if request.META.get("HTTP_ACCEPT", "") not in PLAIN_ACCEPT:
        return None
    list_path, detail = routes(get_script_prefix())
    if request.path_info == list_path:
        if "cursor" in request.GET or "format" in request.GET:
            return None
        return "list", None
    match = detail.fullmatch(request.path_info)
    if match is None or "format" in request.GET or "HTTP_IF_NONE_MATCH" in request.META:
        return None
    return "detail", match.group(1)


def headers_key(request, kind: str) -> tuple:
    return (
        kind,
        request.scheme,
        request.META.get("HTTP_HOST", ""),
        request.META.get("HTTP_ACCEPT", ""),
    )


def learn(request, response) -> None:
    """Keep the headers of the full stack's answer to an anonymous read this module could answer."""
    kind = read_kind(request)
    if kind is not None and response.status_code == 200 and response.has_header("ETag"):
        LEARNT.keep(headers_key(request, kind[0]), list(response.items()))


def answer(request, etag: str) -> HttpResponse | None:
    """Return the full stack's answer to this anonymous read, or None to let the full stack answer.

    `etag` is the tag the full stack gives a list, read from the generation.
    """
    kind = read_kind(request)
    if kind is None:
        return None
    headers = LEARNT.get(headers_key(request, kind[0]))
    if headers is None:
        return None
    from .views import CommitmentViewSet, list_shape, offset_page_json, read_as_of

    drf_request = Request(request)
    if drf_request.user.is_authenticated:
        return None  # Forced authentication (tests): not an anonymous read.
    try:
        # Everything that may refuse the request comes before the throttle
        # counts it; what may still fall through after is counted once.
        check_text("path", request.path_info)
        check_query_parameters(request.GET)
        drf_request.as_of = read_as_of(drf_request)
        if kind[0] == "list":
            paginator = CommitmentViewSet.pagination_class()
            paginator.get_limit(drf_request), paginator.get_offset(drf_request)
            shape, filters = list_shape(drf_request)
            compiled = LIST_SHAPES.get_or_compile(shape, raise_not_compiled)
        elif DETAIL_SHAPES.get(detail_shape(drf_request.as_of)) is None:
            return None
        if not count_throttles(drf_request, CommitmentViewSet.throttle_classes):
            # Refused (the full stack answers 429: a refusal counts nothing),
            # or a throttle this path cannot count.
            return None
        if kind[0] == "list":
            objects = offset_page_json(drf_request, paginator, compiled, filters)
            body = dumps(paginator.paginated_json(objects))
        else:
            body = detail_json(
                raise_not_compiled, kind[1], request=drf_request, as_of=drf_request.as_of
            )
            if body is None:
                return None  # The full stack's 404.
            if drf_request.as_of is None:
                etag = f'"{orjson.loads(body)["version"]}"'
    except (APIException, NotCompiled, DatabaseError):
        return None
    response = HttpResponse(body)
    for name, value in headers:
        response[name] = value
    response["ETag"] = etag
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(body))
    return response


def raise_not_compiled(*args):
    raise NotCompiled


def count_throttles(request, throttle_classes) -> bool:
    """Count the request as the view's throttles would; False if one refuses it.

    The throttles counted are noted on the request, and do not count it again
    if the full stack answers it after all.
    """
    # Kept in the environ: a read the front counted and left to the stack
    # passes here again, and is not counted again.
    counted = request.META.setdefault(COUNTED_BY, [])
    for throttle_class in throttle_classes:
        if not issubclass(throttle_class, SharedCountThrottle):
            return False
        if not throttle_class().allow_request(request, None):
            return False
        if throttle_class not in counted:
            counted.append(throttle_class)
    return True
