"""Backup and restore across engines, without losing a row."""

import datetime
import io
import json
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.db import connections
from rest_framework.authtoken.models import Token

from commitments.backup import backed_up_models
from commitments.models import Commitment, StatusUpdate
from tests.factories import UserFactory
from tests.seed import SEED_FIXTURES

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "sqlite"])

D = datetime.date


def canonical(path) -> list[str]:
    """Return a backup's records in a comparable form, whatever their order."""
    records = json.loads(path.read_text(encoding="utf-8"))
    return sorted(json.dumps(record, sort_keys=True) for record in records)


def row_counts(using):
    return {
        model._meta.label: model._default_manager.using(using).count()
        for model in backed_up_models()
    }


@pytest.fixture
def populated(transactional_db, roles):
    # The flush after an earlier test emptied the other database down to its
    # tables; `migrate` puts back what a new database has (content types and
    # permissions).
    call_command("migrate", database="sqlite", verbosity=0)
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    analyst = UserFactory(username="analyst", group="Analysts")
    Token.objects.create(user=analyst)
    evidence = "https://example.org/evidence"
    for offset, commitment in enumerate(Commitment.objects.order_by("slug")[:25]):
        commitment.record_status_update(
            status="formalized",
            effective_date=D(2023, 6, 1) + datetime.timedelta(days=offset),
            evidence_url=f"{evidence}/{offset}",
            recorded_by=analyst,
        )
        if offset % 3 == 0:
            commitment.record_status_update(
                status="completed", effective_date=D(2024, 2, 1), evidence_url=evidence
            )
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    visa.title = "Mutual visa exemption (edited)"
    visa.save()
    return analyst


def test_round_trip_to_the_other_database_and_back_keeps_every_row(populated, tmp_path):
    first, second, third = (tmp_path / f"{n}.json" for n in ("first", "second", "third"))
    original = row_counts("default")
    assert original["commitments.StatusUpdate"] > 25
    assert original["commitments.HistoricalCommitment"] > 0

    call_command("backup", output=first, stdout=io.StringIO())
    call_command("restore", first, database="sqlite", stdout=io.StringIO())
    assert row_counts("sqlite") == original
    call_command("backup", output=second, database="sqlite", stdout=io.StringIO())
    assert canonical(second) == canonical(first)

    # Empty the default database down to what `migrate` leaves in a new one.
    call_command("flush", interactive=False, verbosity=0)
    import_module("commitments.migrations.0002_roles").create_groups(apps, None)
    call_command("restore", second, stdout=io.StringIO())
    assert row_counts("default") == original
    call_command("backup", output=third, stdout=io.StringIO())
    assert canonical(third) == canonical(first)

    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    assert visa.title == "Mutual visa exemption (edited)"
    assert (visa.status, visa.status_date) == visa.projected_status()
    # The database keeps counting from where the restored rows end.
    visa.record_status_update(
        status="completed", effective_date=D(2024, 3, 1), evidence_url="https://example.org/x"
    )
    assert StatusUpdate.objects.count() == original["commitments.StatusUpdate"] + 1


def test_restore_refuses_a_database_that_is_not_empty(populated, tmp_path):
    backup = tmp_path / "backup.json"
    call_command("backup", output=backup, stdout=io.StringIO())
    before = row_counts("default")
    with pytest.raises(CommandError, match="restore only into an empty database"):
        call_command("restore", backup)
    assert row_counts("default") == before


def test_a_corrupt_backup_leaves_the_target_empty(populated, tmp_path):
    backup = tmp_path / "backup.json"
    call_command("backup", output=backup, stdout=io.StringIO())
    text = backup.read_text()
    backup.write_text(text[: len(text) // 2])
    with pytest.raises(DeserializationError):
        call_command("restore", backup, database="sqlite")
    assert not Commitment.objects.using("sqlite").exists()
    connections["sqlite"].close()


def test_timestamps_survive_to_the_microsecond(populated, tmp_path):
    backup = tmp_path / "backup.json"
    update = StatusUpdate.objects.order_by("id").first()
    StatusUpdate.objects.filter(pk=update.pk).update(
        recorded_at=datetime.datetime(2024, 1, 2, 3, 4, 5, 123, tzinfo=datetime.UTC)
    )
    call_command("backup", output=backup, stdout=io.StringIO())
    call_command("restore", backup, database="sqlite", stdout=io.StringIO())
    restored = StatusUpdate.objects.using("sqlite").get(uuid=update.uuid)
    assert restored.recorded_at == datetime.datetime(2024, 1, 2, 3, 4, 5, 123, tzinfo=datetime.UTC)
