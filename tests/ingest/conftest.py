"""The seed loaded once per test module: each test runs in a savepoint inside it.

`seeded_data` is for tests that read the seed or write inside their own
transaction; browser tests, whose live server needs committed data, keep
`seed_data`.
"""

import pytest
from django.core.management import call_command
from django.db import transaction

from tests.seed import SEED_FIXTURES


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", *SEED_FIXTURES, verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded_data(seeded, roles):
    """The seed, loaded once for the module; what a test writes is rolled back after it."""
