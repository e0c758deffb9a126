import datetime
import os
import shutil
from importlib import import_module

import pytest

from tests.factories import CommitmentFactory, MentionFactory, UserFactory
from tests.seed import SeedLoader

SEED = SeedLoader()


@pytest.fixture(autouse=True)
def empty_response_cache():
    """Empty the API's response cache, and all a process keeps of the API's reads, after each test.

    A test's writes are rolled back, and the data generation with them, so
    the next test's writes reach the same generation numbers with other data:
    a response cached in one test must not answer in the next.
    """
    yield
    from django.core.cache import caches

    from commitments.api.caching import clear_process_stores

    caches["api_responses"].clear()
    clear_process_stores()


@pytest.fixture
def seed_data(roles):
    """Load the fixtures built from the seed readout (tests/seed.py says how)."""
    SEED.load()


@pytest.fixture
def visa(seed_data):
    """Return the seed's China-Kazakhstan visa exemption commitment."""
    from commitments.models import Commitment

    return Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")


@pytest.fixture
def commitment(db):
    """Return a commitment made on 2023-04-26 with an origin mention."""
    mention = MentionFactory(commitment=CommitmentFactory())
    return mention.commitment


@pytest.fixture
def roles(db):
    """Make sure the Analysts and Viewers groups exist.

    A data migration creates them, but the flush after each transactional
    test empties every table, so tests that come later create them again.
    """
    from django.apps import apps

    import_module("commitments.migrations.0002_roles").create_groups(apps, None)
    import_module("commitments.migrations.0008_proposal_permissions").grant(apps, None)


@pytest.fixture
def analyst(roles):
    return UserFactory(username="analyst", group="Analysts")


@pytest.fixture
def viewer(roles):
    return UserFactory(username="viewer", group="Viewers")


@pytest.fixture
def evidence():
    return {
        "evidence_url": "https://example.org/news/agreement-signed",
        "evidence_title": "Agreement signed",
        "evidence_publisher": "Example News",
        "evidence_excerpt": "The agreement was signed today.",
    }


DAY = datetime.date(2023, 4, 26)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def analyst_client(analyst):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=analyst).key}")
    return client


@pytest.fixture
def viewer_client(viewer):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=viewer).key}")
    return client


def pytest_runtest_setup(item):
    """Run tests marked `postgres` only on PostgreSQL, and `sqlite` only on SQLite."""
    from django.db import connection

    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("only meaningful on PostgreSQL; runs in the PostgreSQL pass of CI")
    if item.get_closest_marker("sqlite") and connection.vendor != "sqlite":
        pytest.skip("only meaningful on SQLite; runs in the SQLite pass of CI")


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test module (Playwright allows one per thread)."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = (
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get install chromium` (or set CHROMIUM_PATH) to run the browser tests."
        )
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests still
    # talk to the database synchronously between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
