"""Repeat reads at the cost of sending the bytes: ETags, 304s and a shared response cache.

Every API read is tagged with the data generation (commitments/generation.py)
read before anything else in the request, so a tag is stale as soon as any
served row changes. Three pieces share the work:

- AnonymousReadFront wraps Django's WSGI application (config/wsgi.py). It
  runs ApiResponseCacheMiddleware itself for an anonymous API GET, without
  Django's request handling, and answers what that alone answers (a 304, a
  cached response, a direct read); everything else goes on to Django.
- ApiResponseCacheMiddleware runs first of all. For an anonymous GET (no
  Authorization header, no session cookie) while anonymous reads are open, it
  looks the request up in the "api_responses" cache under a key made of the
  generation and everything else the body depends on, and answers from there
  (a 304 when the client already holds that ETag) without running any other
  middleware or view. On a miss it lets the direct path (direct.py) answer
  a fresh read of the commitments without them, or else the full stack, and
  stores the final response, headers included, when it is a 200 that sets
  no cookie.
- ApiConditionalGetMiddleware runs after authentication. It tags every API
  GET that has no ETag of its own and answers If-None-Match with a 304 before
  the view builds anything; for a request with credentials it first checks
  them with the API's own authenticators, so an invalid token still gets its
  401, and the tag names the user, so one user's tag never matches another's.
"""

import contextlib
import datetime
import hashlib
import weakref
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import set_script_prefix
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from commitments import generation
from commitments.middleware import database_is_unavailable, unavailable_response

from .responses import API_PREFIX, is_api_request

CACHE_ALIAS = "api_responses"
READS = frozenset({"GET", "HEAD"})


def _code_fingerprint() -> str:
    """Return a digest of the code and settings files, so that a deploy never serves old bodies."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder in ("commitments", "config"):
        for path in sorted((root / folder).rglob("*.py")):
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


CODE_FINGERPRINT = _code_fingerprint()


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


# What a request reads once, kept in its environ (request.META): where the
# front leaves a request to Django's handler, the handler's request reads it
# from there too.
GENERATION_READ = "commitments.data_generation"
DAY_READ = "commitments.read_day"


def data_generation(request) -> str:
    """Return the generation this request reads, read once and before any data."""
    value = request.META.get(GENERATION_READ)
    if value is None:
        value = request.META[GENERATION_READ] = generation.current_checking()
    return value


def request_day(request) -> datetime.date:
    """Return today's date as this request reads it, the same for all its parts.

    `overdue` flips at midnight without any write: the response cache's key,
    the count's and the body each read the day, once per request, so that a
    read across midnight never pairs one day's key with the next day's body.
    """
    request = getattr(request, "_request", request)  # A DRF request: Django's own.
    day = request.META.get(DAY_READ)
    if day is None:
        day = request.META[DAY_READ] = timezone.localdate()
    return day


def request_digest(request, audience: str) -> str:
    """Digest everything a read's body depends on besides the data itself; once per request."""
    digests = request.__dict__.setdefault("_read_digests", {})
    if audience not in digests:
        digests[audience] = _digest(request, audience)
    return digests[audience]


def _digest(request, audience: str) -> str:
    parts = (
        CODE_FINGERPRINT,
        data_generation(request),
        request_day(request).isoformat(),
        request.scheme,
        request.META.get("HTTP_HOST", ""),
        request.path_info,
        request.META.get("QUERY_STRING", ""),
        request.META.get("HTTP_ACCEPT", ""),
        audience,
    )
    return hashlib.sha256(_text("\n".join(parts))).hexdigest()


# What every tag etag_for() gives begins with; a detail's version tag never does.
GENERATION_TAG = '"g'


def etag_for(request, audience: str) -> str:
    """Return the tag of a read, as the response cache also derives it from its key."""
    return f'{GENERATION_TAG}{request_digest(request, audience)[:32]}"'


def etag_matches(request, etag: str) -> bool:
    """Return whether If-None-Match names `etag`, weak or strong.

    A `*` matches nothing here: these checks run before anything knows
    whether the resource exists (a detail's 404, a filter's 400), and a full
    answer is always a right one.
    """
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    return etag in {tag.strip().removeprefix("W/") for tag in header.split(",")}


# Every store this process keeps of the API's reads (Kept, MissedOnce,
# read_path.CompiledShapes): tests empty them all between tests, whose data
# reaches the same generation numbers again once rolled back.
PROCESS_STORES: weakref.WeakSet = weakref.WeakSet()


def clear_process_stores() -> None:
    for store in list(PROCESS_STORES):
        store.clear()


class Kept:
    """Values this process keeps, up to `size` of them; full, it starts again empty.

    For values that never need checking: counts under keys that name all
    they depend on (the data generation among their parts), so a copy kept
    here is as right as the shared cache's and costs no read of it; the
    direct path's learnt headers, which the next full answer replaces.
    """

    def __init__(self, size: int = 4096):
        self.size = size
        self._values: dict = {}
        PROCESS_STORES.add(self)

    def get(self, key):
        return self._values.get(key)

    def keep(self, key, value) -> None:
        if len(self._values) >= self.size and key not in self._values:
            self._values.clear()
        self._values[key] = value

    def clear(self) -> None:
        self._values.clear()


def shared_key(name: str, parts) -> str:
    """Return the shared cache's key for a value named `name` that depends on `parts` alone."""
    digest = hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"commitments:{name}:{digest}"


def shared(name: str, parts, compute, timeout: float):
    """Return compute(), kept in the shared cache under `name` and a digest of `parts`.

    Computed on a miss, by whichever worker asks first; every key's `parts`
    must name all that the value depends on.
    """
    cache = caches[CACHE_ALIAS]
    key = shared_key(name, parts)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


def anonymous_reads_open() -> bool:
    return not settings.API_LOGIN_REQUIRED


def has_credentials(request) -> bool:
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


def not_modified_headers(etag: str, cache_control: str) -> list[tuple[str, str]]:
    """Return the headers of a 304, in the order it sends them."""
    return [("ETag", etag), ("Cache-Control", cache_control)]


def not_modified(etag: str, cache_control: str) -> HttpResponse:
    response = HttpResponseNotModified()
    for name, value in not_modified_headers(etag, cache_control):
        response[name] = value
    return response


PUBLIC = "public, no-cache"
PRIVATE = "private, no-cache"


def not_modified_for_view(etag: str, request) -> HttpResponse:
    """Return a view's 304 with the Cache-Control its audience gets."""
    return not_modified(etag, PRIVATE if has_credentials(request) else PUBLIC)


def after_sending(response, function) -> None:
    """Call function() once the server has sent the response, rather than before.

    The server closes every response once it has sent it, and Django then
    calls each of the response's closers (FileResponse closes its file this
    way): a write to the cache there keeps a fresh read's client from
    waiting on the disk or Redis. A request the same key answers meanwhile
    is a miss, as it would have been a moment earlier.
    """
    response._resource_closers.append(function)


class MissedOnce:
    """The response cache's keys this process has missed once, up to `size` of them.

    A read nobody repeats (a script paging once through the list, a fresh
    page right after a write) would cost a write of its whole body to the
    cache and never be read back; a key is stored the second time this
    process misses it. A read that repeats is stored from its second or
    third time, depending on which worker each time reaches.
    """

    def __init__(self, size: int = 8192):
        self.size = size
        self._keys: set[str] = set()
        PROCESS_STORES.add(self)

    def missed_before(self, key: str) -> bool:
        """Return whether `key` was missed before, and note this miss."""
        if key in self._keys:
            self._keys.discard(key)
            return True
        if len(self._keys) >= self.size:
            self._keys.clear()
        self._keys.add(key)
        return False

    def clear(self) -> None:
        self._keys.clear()


MISSED_ONCE = MissedOnce()


def cache_answers(request) -> bool:
    """Return whether the response cache answers `request`: an anonymous API GET it may serve."""
    return (
        settings.API_RESPONSE_CACHE
        and request.method == "GET"
        and is_api_request(request)
        and anonymous_reads_open()
        and not has_credentials(request)
    )


class ApiResponseCacheMiddleware:
    """Answer anonymous API reads from the shared cache, before any other middleware."""

    def __init__(self, get_response):
        from . import direct  # It reads the views, which read this module.

        self.get_response = get_response
        self.direct = direct

    def __call__(self, request):
        if not cache_answers(request):
            return self.get_response(request)
        return self.answer(request)

    def answer(self, request):
        """Answer a request that cache_answers() admits."""
        try:
            data_generation(request)
        except DatabaseError:
            # The stack below answers (a 503 when the database is gone).
            return self.get_response(request)
        cache = caches[CACHE_ALIAS]
        key = f"api:{request_digest(request, 'anonymous')}"
        etag = etag_for(request, "anonymous")
        if etag_matches(request, etag):
            # The tag is the key's: the client holds the body of this very
            # generation and request, so nothing needs reading to say so (as
            # ApiConditionalGetMiddleware would answer).
            return not_modified(etag, PUBLIC)
        entry = cache.get(key)
        if entry is not None:
            status, headers, body = entry
            stored_etag = dict(headers).get("ETag")
            if stored_etag and etag_matches(request, stored_etag):
                return not_modified(stored_etag, PUBLIC)
            response = HttpResponse(body, status=status)
            for name, value in headers:
                response[name] = value
            return response
        answered = self.direct.answer(request, etag)
        response = self.get_response(request) if answered is None else answered
        if self.cacheable(response):
            if answered is None:
                self.direct.learn(request, response)
            if self.admits(key):
                entry = (response.status_code, list(response.items()), response.content)
                after_sending(response, lambda: cache.set(key, entry))
        return response

    def admits(self, key: str) -> bool:
        """Return whether to store this miss's response (MissedOnce says why not always)."""
        if not settings.API_RESPONSE_CACHE_STORE_ON_SECOND_MISS:
            return True
        return MISSED_ONCE.missed_before(key)

    def cacheable(self, response) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in response.get("Cache-Control", "")
            and "no-store" not in response.get("Cache-Control", "")
            and len(response.content) <= settings.API_RESPONSE_CACHE_MAX_ENTRY_BYTES
        )


class FallThrough(Exception):
    """Raised in the front where ApiResponseCacheMiddleware would go on to the rest of the stack."""


class AnonymousReadFront:
    """WSGI: answer the anonymous API reads that need nothing of Django's handler, in front of it.

    ApiResponseCacheMiddleware alone answers an anonymous GET whose tag still
    holds (304), one the response cache holds, and a fresh read the direct
    path answers (direct.py). Django's handler would first build its request,
    send `request_started`, run the middleware chain and turn the response
    into WSGI's terms, and send `request_finished` once it is sent: half of a
    304's CPU (in process, 0.16 ms instead of 0.30 on SQLite, 0.31 instead of
    0.48 on PostgreSQL), the two signals alone about 80 µs of a fresh
    detail's 1 ms. The front runs that middleware itself, and does what those
    signals do for such a read once, after it (Answered.close): closing the
    thread's connections that are too old or broken. Checked after every
    request, a connection starts the next one as checked, which is what the
    check before it would find.

    Where the middleware would go on to the rest of the stack, the front
    leaves the request to Django whole, which runs the middleware again: the
    data generation and the day it read, and the throttles it counted, stay
    with the request's environ, so they are read and counted once. So does a
    request whose reading fails (a failing database's 503 comes from the
    stack). A receiver that a later app connects to Django's request signals
    does not run for the reads answered here.
    """

    def __init__(self, application):
        self.application = application
        self.middleware = ApiResponseCacheMiddleware(self.fall_through)

    @staticmethod
    def fall_through(request):
        raise FallThrough

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith(
            API_PREFIX  # Not a static file's.
        ):
            response = self.answer(environ)
            if isinstance(response, Unchanged):
                start_response(Unchanged.status, response.headers)
                return response
            if response is not None:
                headers = [
                    *response.items(),
                    *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
                ]
                start_response(f"{response.status_code} {response.reason_phrase}", headers)
                return Answered(response)
        return self.application(environ, start_response)

    def answer(self, environ) -> "HttpResponse | Unchanged | None":
        """Return the middleware's answer to the request; None where the stack must answer."""
        request = WSGIRequest(environ)
        if not cache_answers(request):
            return None
        try:
            if GENERATION_TAG in environ.get("HTTP_IF_NONE_MATCH", ""):
                # The polling client's revalidation, first: its tag, and
                # nothing else, tells whether it still holds.
                etag = etag_for(request, "anonymous")
                if etag_matches(request, etag):
                    return Unchanged(etag)
            set_script_prefix(get_script_name(environ))
            return self.middleware.answer(request)
        except FallThrough:
            return None
        except Exception:
            # The stack answers: a failing database's 503, or any other
            # failure logged and answered as Django does.
            close_old_connections()
            return None


class Unchanged:
    """The front's 304 to a revalidation whose tag holds, as not_modified() sends it.

    Sent as it is, without the response object that not_modified() would
    build only for the front to take it apart again.
    """

    status = "304 Not Modified"

    def __init__(self, etag: str):
        self.headers = not_modified_headers(etag, PUBLIC)

    def __iter__(self):
        return iter(())

    def close(self) -> None:
        close_old_connections()  # What request_finished would do.


class Answered:
    """A response of the front as the server sends it: closed, it runs its closers and no signal.

    Django's own close() of a response runs them too (the response cache's
    store, after_sending), then sends `request_finished`, for which the front
    closes the thread's connections that are too old or broken.
    """

    def __init__(self, response: HttpResponse):
        self.response = response

    def __iter__(self):
        return iter(self.response)

    def close(self) -> None:
        try:
            for closer in self.response._resource_closers:
                # As Django's close() does: the response is sent already.
                with contextlib.suppress(Exception):
                    closer()
            self.response._resource_closers.clear()
        finally:
            close_old_connections()


def audience_of(request) -> str | None:
    """Return who the request reads as ("anonymous" or "user:<id>"), None if its credentials fail.

    The API's own authenticators decide, in their order, as the view would;
    the view then gives the 401 for credentials that fail here.
    """
    drf_request = Request(request)
    for authenticator in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        try:
            result = authenticator().authenticate(drf_request)
        except APIException:
            return None
        if result is not None:
            user = result[0]
            return f"user:{user.pk}" if user.is_active else None
    if settings.API_LOGIN_REQUIRED:
        return None  # The view answers 401.
    return "anonymous"


class ApiConditionalGetMiddleware:
    """Tag every API read with an ETag and answer If-None-Match before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in READS or not is_api_request(request):
            return self.get_response(request)
        try:
            data_generation(request)  # Before the view reads any data.
        except DatabaseError as exc:
            if isinstance(exc, OperationalError | InterfaceError) and database_is_unavailable(exc):
                return unavailable_response()
            # No generation to tag with (a database not migrated yet): the
            # view answers untagged, or fails on its own terms.
            return self.get_response(request)
        if has_credentials(request):
            audience = audience_of(request)
        else:
            audience = "anonymous" if anonymous_reads_open() else None
        cache_control = PUBLIC if audience == "anonymous" else PRIVATE
        if audience is not None:
            etag = etag_for(request, audience)
            if etag_matches(request, etag):
                return not_modified(etag, cache_control)
        response = self.get_response(request)
        if response.status_code == 200 and audience is not None:
            if not response.has_header("ETag"):
                response["ETag"] = etag
            response["Cache-Control"] = cache_control
            patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response
