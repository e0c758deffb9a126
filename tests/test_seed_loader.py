"""The seed loaded again by saving its rows is the seed loaddata writes."""

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from commitments.api.rendered import RenderedCommitment
from commitments.models import Commitment, Country
from tests.factories import CommitmentFactory, CountryFactory
from tests.seed import SeedLoader, seed_models

pytestmark = pytest.mark.django_db


def rows() -> dict[str, list[dict]]:
    """Return every row of the seed's models, by model and key."""
    return {
        model._meta.label: serializers.serialize("python", model._base_manager.order_by("pk"))
        for model in seed_models()
    }


def test_saving_the_rows_again_gives_what_loaddata_gave(roles):
    loader = SeedLoader()
    with transaction.atomic():
        with CaptureQueriesContext(connection) as by_loaddata:
            loader.load()
        loaded = rows()
        transaction.set_rollback(True)
    assert not Commitment.objects.exists()
    with CaptureQueriesContext(connection) as saved_again:
        loader.load()
    assert rows() == loaded
    # No natural key looked up: under half of loaddata's queries.
    assert len(saved_again) < len(by_loaddata) / 2
    # The database's own bookkeeping followed: every commitment rendered.
    assert RenderedCommitment.objects.count() == Commitment.objects.count() == 73


def test_after_saving_again_new_rows_get_new_keys(roles):
    loader = SeedLoader()
    with transaction.atomic():
        loader.load()
        transaction.set_rollback(True)
    # As after a flush: PostgreSQL's sequences start again from 1.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), seed_models()):
            cursor.execute(statement)
    loader.load()
    saved = max(Commitment.objects.values_list("pk", flat=True))
    assert CommitmentFactory().pk > saved


def test_a_database_holding_some_seed_rows_gets_loaddata(roles):
    loader = SeedLoader()
    with transaction.atomic():
        loader.load()
        transaction.set_rollback(True)
    kazakhstan = CountryFactory(code="KZ", name="Kazakh SSR")
    loader.load()
    kazakhstan.refresh_from_db()  # Merged by natural key, as loaddata does.
    assert kazakhstan.name == "Kazakhstan"
    assert Country.objects.filter(code="KZ").count() == 1


def test_the_database_can_be_flushed_right_after_saving_again(roles):
    loader = SeedLoader()
    with transaction.atomic():
        loader.load()
        transaction.set_rollback(True)
    loader.load()
    # What a restore does first; PostgreSQL refuses to TRUNCATE a table with
    # foreign key checks still pending.
    call_command("flush", interactive=False, verbosity=0)
    assert not Commitment.objects.exists()
