"""The safe fetcher, against the loopback site: each outcome and its recorded reason."""

import pytest

from commitments.evidence import fetch as fetch_module
from commitments.evidence.fetch import fetch, is_public_address
from tests.evidence.pages import ARTICLE


def test_it_fetches_a_normal_article(site):
    result = fetch(site.url("/article"))
    assert (result.outcome, result.http_status, result.body) == ("ok", 200, ARTICLE)
    assert result.final_url == site.url("/article")
    assert result.media_type == "text/html"


def test_it_follows_a_redirect_chain_and_records_every_hop(site):
    result = fetch(site.url("/hop/3"))
    assert result.outcome == "ok"
    assert [exchange.status for exchange in result.exchanges] == [302, 302, 302, 200]
    assert result.final_url == site.url("/article")


def test_it_stops_after_the_redirect_limit(site, settings):
    settings.EVIDENCE_FETCH_MAX_REDIRECTS = 2
    result = fetch(site.url("/hop/3"))
    assert (result.outcome, result.reason) == ("failed", "more than 2 redirects")


def test_it_records_a_404_as_failed_with_the_status(site):
    result = fetch(site.url("/missing"))
    assert (result.outcome, result.http_status, result.reason) == (
        "failed",
        404,
        "HTTP 404 Not Found",
    )


@pytest.mark.parametrize("path", ["/huge", "/huge-undeclared"])
def test_it_refuses_a_body_over_the_size_cap(site, path):
    # Declared by Content-Length, or found out while reading a body that is not.
    result = fetch(site.url(path))
    assert result.outcome == "refused"
    assert "over the 100000-byte limit" in result.reason


def test_it_gives_up_on_a_slow_response_at_the_time_limit(site, settings):
    settings.EVIDENCE_FETCH_TIMEOUT = 0.2
    site.slow_seconds = 0.6
    result = fetch(site.url("/slow"))
    assert (result.outcome, result.reason) == ("failed", "no complete answer within 0.2 s")


def test_it_refuses_content_outside_the_allowlist(site):
    result = fetch(site.url("/image.png"))
    assert result.outcome == "refused"
    assert result.reason.startswith("the content type image/png is not archived")


@pytest.mark.parametrize(
    ("path", "address"), [("/to-metadata", "169.254.169.254"), ("/to-private", "10.0.0.1")]
)
def test_it_refuses_a_redirect_to_a_private_address(site, path, address):
    # The loopback site is allowed, but that does not allow where it points to.
    result = fetch(site.url(path))
    assert result.outcome == "refused"
    assert result.reason.startswith(f"{address} a private, loopback, link-local")
    assert len(result.exchanges) == 1


def test_it_refuses_loopback_unless_the_host_and_port_are_allowed(evidence_site, settings):
    settings.EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS = []
    assert fetch(evidence_site.url("/article")).outcome == "refused"
    settings.EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1:1"]
    assert fetch(evidence_site.url("/article")).outcome == "refused"
    settings.EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS = [evidence_site.host]
    assert fetch(evidence_site.url("/article")).outcome == "ok"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/file", "file:///etc/passwd", "javascript:alert(1)", "//x"]
)
def test_it_fetches_only_http_and_https(url):
    result = fetch(url)
    assert result.outcome == "refused"
    assert "only http and https" in result.reason or "has no host" in result.reason


@pytest.mark.parametrize(
    "address",
    [
        *("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254"),
        *("100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"),
    ],
)
def test_non_public_addresses_are_recognised(address):
    assert not is_public_address(address)


def test_public_addresses_are_allowed():
    assert is_public_address("93.184.216.34")
    assert is_public_address("2606:2800:220:1:248:1893:25c8:1946")


def test_an_unresolvable_host_fails_with_its_name():
    result = fetch("https://no-such-host.invalid/page")
    assert result.outcome == "failed"
    assert "'no-such-host.invalid' does not resolve" in result.reason


def test_it_encodes_a_path_with_spaces_and_non_ascii_characters(site):
    result = fetch(site.url("/caf\u00e9 notes?q=\u00e9t\u00e9"))
    assert result.outcome == "failed"  # the site has no such page; the request went out
    assert site.requests[-1][0] == "/caf%C3%A9%20notes?q=%C3%A9t%C3%A9"


def test_an_unexpected_error_is_recorded_not_raised(site, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("something odd")

    monkeypatch.setattr(fetch_module, "_read_body", broken)
    result = fetch(site.url("/article"))
    assert (result.outcome, result.reason) == (
        "failed",
        "unexpected error: ValueError: something odd",
    )
