import datetime
from importlib import import_module

import pytest

from tests.factories import CommitmentFactory, MentionFactory, UserFactory

SEED_FIXTURES = ["countries", "officials", "sources", "meetings", "commitments"]


@pytest.fixture
def seed_data(roles):
    """Load the fixtures built from the seed readout."""
    from django.core.management import call_command

    call_command("loaddata", *SEED_FIXTURES, verbosity=0)


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
