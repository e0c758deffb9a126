"""Fetch an evidence page safely: what may be fetched, how much, how long, and why not.

The rules, each refused with a reason that is stored with the snapshot:

- only `http` and `https` URLs;
- every address a host resolves to is checked, and private, loopback,
  link-local, shared, multicast and reserved ranges (cloud metadata at
  169.254.169.254 among them) are refused, unless the `host:port` is listed in
  EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS; the connection then goes to the
  address that was checked, so a second DNS answer cannot swap it;
- redirects are followed by hand, each hop checked as the first, at most
  EVIDENCE_FETCH_MAX_REDIRECTS of them;
- a body larger than EVIDENCE_FETCH_MAX_BYTES is refused, from its
  Content-Length or once that many bytes have arrived;
- the whole exchange must finish within EVIDENCE_FETCH_TIMEOUT seconds;
- only the media types in EVIDENCE_FETCH_CONTENT_TYPES are kept.
"""

import datetime
import http.client
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
USER_AGENT = "commitment-tracker-evidence-archiver/1.0 (+keeps a copy of cited evidence)"
REDIRECT_CODES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024


class FetchRefused(Exception):
    """The fetch goes against a safety rule: nothing more is fetched."""


class FetchFailed(Exception):
    """The page could not be fetched: network error, time limit, too many redirects."""


@dataclass
class Exchange:
    """One request and its response, as they went over the wire (bodies de-chunked)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    http_version: str
    response_headers: list[tuple[str, str]]
    body: bytes
    peer: str

    def header(self, name: str) -> str:
        name = name.lower()
        return next((value for key, value in self.response_headers if key.lower() == name), "")


@dataclass
class FetchResult:
    """What one fetch gave: the exchanges in order (redirects first) and the outcome."""

    requested_url: str
    retrieved_at: datetime.datetime
    outcome: str = "ok"  # "ok", "failed" or "refused"
    reason: str = ""
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def final(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    @property
    def final_url(self) -> str:
        return self.final.url if self.final else ""

    @property
    def http_status(self) -> int | None:
        return self.final.status if self.final else None

    @property
    def body(self) -> bytes:
        return self.final.body if self.final else b""

    @property
    def content_type(self) -> str:
        return self.final.header("Content-Type") if self.final else ""

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Limits:
    """The limits of one fetch; by default from the settings."""

    max_bytes: int
    timeout: float
    max_redirects: int
    content_types: tuple[str, ...]
    allowed_private: frozenset[str]

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.EVIDENCE_FETCH_MAX_BYTES,
            timeout=settings.EVIDENCE_FETCH_TIMEOUT,
            max_redirects=settings.EVIDENCE_FETCH_MAX_REDIRECTS,
            content_types=tuple(t.lower() for t in settings.EVIDENCE_FETCH_CONTENT_TYPES),
            allowed_private=frozenset(
                entry.lower() for entry in settings.EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS
            ),
        )


def is_public_address(address: str) -> bool:
    """Return whether an IP address is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, limits: Limits) -> str:
    """Return the address to connect to for host:port, refusing non-public ones."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchFailed(f"the host name {host!r} does not resolve ({exc})") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchFailed(f"the host name {host!r} has no address")
    if f"{host.lower()}:{port}" in limits.allowed_private:
        return addresses[0]
    for address in addresses:
        if not is_public_address(address):
            where = address if host.strip("[]") == address else f"{host} resolves to {address},"
            raise FetchRefused(
                f"{where} a private, loopback, link-local or reserved address (allow a "
                f"trusted host:port with EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS)"
            )
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connect to an address checked beforehand, whatever the host name now resolves to."""

    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.raw_sock = sock


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.raw_sock = self._context.wrap_socket(sock, server_hostname=self.host)


def fetch(
    url: str,
    *,
    limits: Limits | None = None,
    extra_headers: dict[str, str] | None = None,
) -> FetchResult:
    """Fetch `url` under the limits, following redirects; never raise for the page's faults."""
    limits = limits or Limits.from_settings()
    result = FetchResult(requested_url=url, retrieved_at=timezone.now())
    deadline = time.monotonic() + limits.timeout
    current = url
    try:
        for hop in range(limits.max_redirects + 1):
            exchange = _exchange(current, limits, deadline, extra_headers or {})
            result.exchanges.append(exchange)
            if exchange.status not in REDIRECT_CODES:
                break
            location = exchange.header("Location")
            if not location:
                raise FetchFailed(f"HTTP {exchange.status} redirect without a Location header")
            current = urljoin(current, location.strip())
            if hop == limits.max_redirects:
                raise FetchFailed(f"more than {limits.max_redirects} redirects")
        _check_final(result, limits, conditional=bool(extra_headers))
    except FetchRefused as exc:
        result.outcome, result.reason = "refused", str(exc)
    except FetchFailed as exc:
        result.outcome, result.reason = "failed", str(exc)
    except Exception as exc:
        # Whatever a page does, the archiver records it and moves on.
        logger.exception("Unexpected error while fetching %s", current)
        result.outcome = "failed"
        result.reason = f"unexpected error: {exc.__class__.__name__}: {exc}"
    return result


def _check_final(result: FetchResult, limits: Limits, *, conditional: bool) -> None:
    final = result.final
    if final.status == 304 and conditional:
        return
    if not 200 <= final.status < 300:
        raise FetchFailed(f"HTTP {final.status} {final.reason}".strip())
    if result.media_type not in limits.content_types:
        raise FetchRefused(
            f"the content type {result.media_type or '(none)'} is not archived "
            f"(allowed: {', '.join(limits.content_types)})"
        )


def _exchange(url: str, limits: Limits, deadline: float, extra_headers: dict) -> Exchange:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchRefused(f"only http and https URLs are fetched, not {scheme or 'no scheme'}:")
    if not parts.hostname:
        raise FetchRefused(f"the URL {url!r} has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused(f"the URL {url!r} has an invalid port") from exc
    try:
        # Internationalised names go over the wire in their ASCII form.
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchRefused(f"the host name {parts.hostname!r} is not a valid name") from exc
    address = resolve(host, port, limits)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed(f"no complete answer within {limits.timeout:g} s")
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout=remaining)
    # Characters a URL may carry unencoded (spaces, non-ASCII) are percent-encoded;
    # what is encoded already stays as it is.
    path = quote(parts.path or "/", safe=URL_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=URL_SAFE)
    default_port = 443 if scheme == "https" else 80
    request_headers = [
        ("Host", host if port == default_port else f"{host}:{port}"),
        ("User-Agent", USER_AGENT),
        ("Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"),
        ("Accept-Encoding", "identity"),
        ("Connection", "close"),
        *extra_headers.items(),
    ]
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in request_headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = _read_body(response, connection, limits, deadline)
    except TimeoutError as exc:
        raise FetchFailed(f"no complete answer within {limits.timeout:g} s") from exc
    except ssl.SSLError as exc:
        raise FetchFailed(f"TLS error: {exc.reason or exc}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise FetchFailed(f"connection error: {exc.__class__.__name__}: {exc}") from exc
    finally:
        connection.close()
    return Exchange(
        url=url,
        method="GET",
        request_headers=request_headers,
        status=response.status,
        reason=response.reason or "",
        http_version="HTTP/1.1" if response.version == 11 else "HTTP/1.0",
        response_headers=list(response.getheaders()),
        body=body,
        peer=address,
    )


def _read_body(response, connection, limits: Limits, deadline: float) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > limits.max_bytes:
        raise FetchRefused(
            f"the body is {int(declared)} bytes, over the {limits.max_bytes}-byte limit"
        )
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchFailed(f"no complete answer within {limits.timeout:g} s")
        # The response may own the socket by now (Connection: close): the
        # connection kept a reference to it, to shorten its timeout as time runs out.
        connection.raw_sock.settimeout(remaining)
        chunk = response.read1(CHUNK) if hasattr(response, "read1") else response.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limits.max_bytes:
            raise FetchRefused(f"the body is over the {limits.max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)
