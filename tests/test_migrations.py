"""Migrations apply from empty and keep the timeline."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("commitments", "0003_party_order")


def migrate(targets):
    """Migrate to `targets` and return the app registry as of the first target."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    if targets[0][1] is None:
        return None
    return executor.loader.project_state(targets).apps


def test_a_status_update_written_before_a_migration_survives_it():
    old_apps = migrate([BEFORE])
    try:
        Country = old_apps.get_model("commitments", "Country")
        Meeting = old_apps.get_model("commitments", "Meeting")
        Commitment = old_apps.get_model("commitments", "Commitment")
        StatusUpdate = old_apps.get_model("commitments", "StatusUpdate")
        country = Country.objects.create(code="KZ", alpha3="KAZ", name="Kazakhstan")
        meeting = Meeting.objects.create(
            slug="m",
            title="Talks",
            kind="bilateral_talks",
            date=datetime.date(2023, 4, 26),
            country=country,
        )
        commitment = Commitment.objects.create(
            slug="c",
            title="A promise",
            category="trade",
            meeting=meeting,
            status="completed",
            status_date=datetime.date(2023, 11, 10),
        )
        StatusUpdate.objects.create(
            commitment=commitment,
            status="completed",
            effective_date=datetime.date(2023, 11, 10),
            evidence_url="https://example.org/done",
        )
    finally:
        new_apps = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    update = new_apps.get_model("commitments", "StatusUpdate").objects.get()
    assert update.status == "completed"
    assert update.evidence_url == "https://example.org/done"
    assert update.commitment.slug == "c"
    assert update.commitment.status == "completed"


def test_migrations_apply_from_empty_on_this_engine():
    migrate([("commitments", None)])
    try:
        tables = connection.introspection.table_names()
        assert "commitments_commitment" not in tables
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert "commitments_statusupdate" in connection.introspection.table_names()
