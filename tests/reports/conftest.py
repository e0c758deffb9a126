"""The demo data (the seed and its follow-up timeline), loaded once per test module.

Each test runs in a savepoint inside it. Browser tests, whose live server needs
committed data, load it themselves.
"""

import datetime

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from commitments.demo_timeline import DEMO_FIXTURE, record_demo_timeline
from tests.seed import SEED_FIXTURES

XIAN = "2023-04-27-xian-4th-china-central-asia-foreign-ministers-meeting"
# Two cut-offs of the demo timeline: "interim", after the visa agreement was
# signed, and "final", after it came into force and more had moved.
INTERIM = datetime.date(2023, 6, 30)
FINAL = datetime.date(2024, 12, 31)
VISA_QUOTE_START = "China and Kazakhstan will take"


def load_demo() -> None:
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    record_demo_timeline(settings.BASE_DIR / "fixtures" / DEMO_FIXTURE)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_data(demo, roles):
    """The demo data, loaded once for the module; what a test writes is rolled back after it."""
