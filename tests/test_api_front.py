"""The WSGI front (caching.AnonymousReadFront): anonymous reads answered before Django's handler.

Each test runs outside a test transaction, as requests do: the front closes
connections that are past their age, as Django's request signals do, and a
connection in a transaction would count as one.
"""

import pytest
from django.core.cache import caches
from django.db import connection

from commitments import generation
from commitments.models import Commitment
from tests.factories import CommitmentFactory

LIST = "/api/commitments/?limit=5"


def wsgi_call(application, environ) -> tuple[str, list, bytes]:
    """Return the status, headers and body a WSGI application answers `environ` with."""
    started = []
    chunks = application(
        environ, lambda status, headers, exc_info=None: started.append((status, headers))
    )
    body = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()  # What the server does once it has sent the body.
    return (*started[0], body)


class Behind:
    """What stands behind the WSGI front: Django's handler or a stub, noting what reaches it."""

    def __init__(self, application=None):
        self.application = application
        self.reached = []

    def __call__(self, environ, start_response):
        self.reached.append(environ["PATH_INFO"])
        if self.application is None:
            start_response("418 Behind", [])
            return [b"behind"]
        return self.application(environ, start_response)


def revalidation(rf, etag, url=LIST, method="get", **headers):
    return getattr(rf, method)(url, HTTP_IF_NONE_MATCH=etag, **headers).environ


@pytest.fixture
def front():
    """The production WSGI entry point."""
    from config.wsgi import application

    return application


@pytest.fixture
def stack(front, monkeypatch):
    """Django's own handler behind the front."""
    from django.core.handlers.wsgi import WSGIHandler

    behind = Behind(WSGIHandler())
    monkeypatch.setattr(front, "application", behind)
    return behind


def tag_of(stack, rf, url=LIST) -> str:
    status, headers, _ = wsgi_call(stack, rf.get(url).environ)
    assert status == "200 OK"
    stack.reached.clear()
    return dict(headers)["ETag"]


@pytest.mark.django_db(transaction=True)
def test_the_front_answers_a_revalidation_that_holds_as_the_stack_would(front, stack, rf):
    CommitmentFactory.create_batch(3)
    etag = tag_of(stack, rf)
    from_stack = wsgi_call(stack, revalidation(rf, etag))
    stack.reached.clear()
    answered = wsgi_call(front, revalidation(rf, etag))
    assert stack.reached == []
    assert answered[0] == "304 Not Modified"
    assert answered == from_stack  # Same status, same headers in the same order, no body.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", [LIST, "/api/commitments/polled/"])
def test_the_front_answers_fresh_and_cached_reads_as_the_stack_would(front, stack, rf, url):
    """A fresh read by the direct path, then, read again, from the response cache."""
    CommitmentFactory(slug="polled")
    tag_of(stack, rf, url)  # The stack's first answer of the kind, whose headers the front uses.
    CommitmentFactory()  # A new generation: every read after it is fresh.
    fresh = wsgi_call(front, rf.get(url).environ)
    assert stack.reached == []
    caches["api_responses"].clear()  # What the front's read stored once sent.
    from_stack = wsgi_call(stack, rf.get(url).environ)
    assert fresh == from_stack
    stack.reached.clear()
    cached = wsgi_call(front, rf.get(url).environ)
    assert stack.reached == []
    assert cached == fresh
    assert fresh[0] == "200 OK" and b'"polled"' in fresh[2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "url",
    [
        "/api/commitments/?limit=5&format=json",
        "/api/commitments/?cursor=",
        "/api/commitments/?limit=nan",
        "/api/commitments/missing/",
        "/api/meetings/",
    ],
    ids=["format", "cursor", "malformed", "missing", "another-endpoint"],
)
def test_a_read_the_front_cannot_answer_goes_on_with_the_generation_read_once(
    front, stack, rf, monkeypatch, url
):
    CommitmentFactory()
    tag_of(stack, rf, LIST)
    tag_of(stack, rf, "/api/commitments/" + Commitment.objects.get().slug + "/")
    reads = []
    current_checking = generation.current_checking
    monkeypatch.setattr(
        generation, "current_checking", lambda: reads.append(1) or current_checking()
    )
    status, _, _ = wsgi_call(front, rf.get(url).environ)
    assert stack.reached == [url.partition("?")[0]]
    assert len(reads) == 1
    assert status != "500 Internal Server Error"


@pytest.mark.django_db(transaction=True)
def test_a_revalidation_that_no_longer_holds_gets_the_fresh_read_in_front(
    front, stack, rf, monkeypatch
):
    CommitmentFactory()
    etag = tag_of(stack, rf)
    CommitmentFactory()
    reads = []
    current_checking = generation.current_checking
    monkeypatch.setattr(
        generation, "current_checking", lambda: reads.append(1) or current_checking()
    )
    status, headers, body = wsgi_call(front, revalidation(rf, etag))
    assert status == "200 OK" and dict(headers)["ETag"] != etag
    assert b'"count":2' in body.replace(b" ", b"")
    assert stack.reached == []
    assert len(reads) == 1


@pytest.mark.django_db(transaction=True)
def test_a_read_counted_in_front_is_not_counted_again_by_the_stack(front, stack, rf, monkeypatch):
    """A missing commitment: the direct path counts the read, then the stack answers its 404."""
    from commitments.api import throttling

    CommitmentFactory(slug="polled")
    tag_of(stack, rf, "/api/commitments/polled/")
    counts = []
    locked_update = throttling.locked_update
    monkeypatch.setattr(
        throttling, "locked_update", lambda *args: counts.append(1) or locked_update(*args)
    )
    status, _, _ = wsgi_call(front, rf.get("/api/commitments/missing/").environ)
    assert status == "404 Not Found"
    assert stack.reached == ["/api/commitments/missing/"]
    assert len(counts) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"HTTP_AUTHORIZATION": "Token not-a-real-token"}, id="credentials"),
        pytest.param({"HTTP_COOKIE": "sessionid=anything"}, id="session-cookie"),
        pytest.param({"method": "head"}, id="head"),
        pytest.param({"url": "/admin/"}, id="not-the-api"),
        pytest.param({"API_LOGIN_REQUIRED": True}, id="login-required"),
        pytest.param({"API_RESPONSE_CACHE": False}, id="cache-off"),
    ],
)
def test_the_front_leaves_every_other_request_to_the_stack(
    front, stack, rf, settings, monkeypatch, change
):
    CommitmentFactory()
    etag = tag_of(stack, rf)
    change = dict(change)
    for name in ("API_LOGIN_REQUIRED", "API_RESPONSE_CACHE"):
        if name in change:
            setattr(settings, name, change.pop(name))
    environ = revalidation(rf, change.pop("etag", etag), **change)
    monkeypatch.setattr(front, "application", Behind())
    assert wsgi_call(front, environ) == ("418 Behind", [], b"behind")
    assert front.application.reached == [environ["PATH_INFO"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "environ",
    [
        {"HTTP_IF_NONE_MATCH": "*"},
        {"HTTP_IF_NONE_MATCH": "\x00"},
        {"HTTP_IF_NONE_MATCH": '"\xed\xa0\x80"'},  # A surrogate's UTF-8, as a server passes it.
        {"HTTP_IF_NONE_MATCH": ",".join(['"x"'] * 2000)},
        {"PATH_INFO": "/api/commitments/\xff\x00%"},
        {"QUERY_STRING": "limit=%ED%A0%80&offset=99999999999999999999"},
        {"HTTP_HOST": "\x00 not a host"},
        {"HTTP_COOKIE": "\x00=\xff; sessionid"},
    ],
    ids=["star", "nul", "surrogate", "2000-tags", "path", "query", "host", "cookie"],
)
def test_the_front_answers_hostile_revalidations_as_the_stack_does(front, stack, rf, environ):
    CommitmentFactory()
    etag = tag_of(stack, rf)

    def hostile():
        request = revalidation(rf, etag)
        request.update(environ)
        return request

    answered = wsgi_call(front, hostile())
    assert answered == wsgi_call(stack, hostile())
    # What the stack alone refuses or answers is left to it: a path or a host
    # it refuses, a malformed query. The others are answered in front: a read
    # of the list by the direct path (a `*` or any other tag that does not
    # hold), a revalidation that holds (the cookie names no session).
    left = {"PATH_INFO", "QUERY_STRING", "HTTP_HOST"} & environ.keys()
    assert len(stack.reached) == (2 if left else 1)


@pytest.mark.django_db(transaction=True)
def test_a_details_revalidation_goes_on_with_the_generation_read_once(
    front, stack, rf, monkeypatch
):
    """Its tag is the commitment's version, which the stack checks: one generation read, not two."""
    CommitmentFactory(slug="polled")
    url = "/api/commitments/polled/"
    version = tag_of(stack, rf, url)
    caches["api_responses"].clear()  # Else the stored answer's tag, the version, holds.
    reads = []
    current_checking = generation.current_checking
    monkeypatch.setattr(
        generation, "current_checking", lambda: reads.append(1) or current_checking()
    )
    status, headers, _ = wsgi_call(front, revalidation(rf, version, url))
    assert status == "304 Not Modified" and dict(headers)["ETag"] == version
    assert stack.reached == [url]
    assert len(reads) == 1


@pytest.mark.django_db(transaction=True)
def test_a_write_ends_the_fronts_304(front, stack, rf):
    CommitmentFactory(slug="to-be-changed")
    etag = tag_of(stack, rf)
    assert wsgi_call(front, revalidation(rf, etag))[0] == "304 Not Modified"
    Commitment.objects.filter(slug="to-be-changed").update(title="Changed")
    status, headers, body = wsgi_call(front, revalidation(rf, etag))
    assert stack.reached == []  # The direct path's fresh read.
    assert status == "200 OK" and dict(headers)["ETag"] != etag
    assert b"Changed" in body


@pytest.mark.django_db(transaction=True)
def test_the_front_leaves_a_failing_database_to_the_stack(front, stack, rf, monkeypatch):
    from django.db import OperationalError

    CommitmentFactory()
    etag = tag_of(stack, rf)

    def gone(using="default"):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(generation, "current_checking", gone)
    monkeypatch.setattr(front, "application", Behind())
    assert wsgi_call(front, revalidation(rf, etag))[0] == "418 Behind"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fresh", [False, True], ids=["304", "fresh read"])
def test_the_front_closes_a_connection_past_its_age_once_it_has_answered(front, stack, rf, fresh):
    """As Django's request_finished does; the next request opens a new one."""
    CommitmentFactory()
    etag = tag_of(stack, rf)
    if fresh:
        CommitmentFactory()  # A write: the tag no longer holds.
    connection.ensure_connection()
    aged = connection.connection
    connection.close_at = 0  # Past CONN_MAX_AGE.
    status, _, _ = wsgi_call(front, revalidation(rf, etag))
    assert status == ("200 OK" if fresh else "304 Not Modified")
    assert stack.reached == []
    assert connection.connection is None
    assert wsgi_call(front, revalidation(rf, etag))[0] == status
    assert connection.connection is not None and connection.connection is not aged
