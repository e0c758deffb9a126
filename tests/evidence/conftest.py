import pytest

from tests.evidence.pages import ARTICLE, start_site


@pytest.fixture(scope="session")
def evidence_site():
    """A web site on loopback serving articles, redirects, errors and traps."""
    site, thread = start_site()
    yield site
    site.shutdown()
    site.server_close()
    thread.join(timeout=5)


@pytest.fixture
def site(evidence_site, settings):
    """The loopback site, allowed as the one private host the fetcher may reach."""
    settings.EVIDENCE_FETCH_ALLOWED_PRIVATE_HOSTS = [evidence_site.host]
    settings.EVIDENCE_FETCH_MAX_BYTES = 100_000
    settings.EVIDENCE_FETCH_TIMEOUT = 5
    evidence_site.changing = ARTICLE
    evidence_site.requests.clear()
    return evidence_site


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Archived files of each test in their own folder, gone with it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
