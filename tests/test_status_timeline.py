"""The status timeline: append-only updates and the cached projection."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.choices import Status
from commitments.models import Commitment, StatusUpdate

pytestmark = pytest.mark.django_db

D = datetime.date


def test_new_commitment_starts_announced_on_its_meeting_date(commitment):
    assert commitment.status == Status.ANNOUNCED
    assert commitment.status_date == commitment.meeting.date == D(2023, 4, 26)


def test_latest_effective_date_wins(commitment, evidence):
    commitment.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence
    )
    commitment.record_status_update(
        status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence
    )
    commitment.refresh_from_db()
    assert (commitment.status, commitment.status_date) == (Status.COMPLETED, D(2023, 11, 10))


def test_late_arriving_older_update_does_not_override_newer_status(commitment, evidence):
    # Analysts often find old news after new news; the order of arrival must
    # not matter, only the date on which each status became true.
    commitment.record_status_update(
        status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence
    )
    commitment.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence
    )
    commitment.refresh_from_db()
    assert (commitment.status, commitment.status_date) == (Status.COMPLETED, D(2023, 11, 10))
    assert commitment.status_updates.count() == 2


def test_tie_on_effective_date_goes_to_the_later_recorded(commitment, evidence):
    commitment.record_status_update(
        status=Status.IN_PROGRESS, effective_date=D(2023, 9, 1), **evidence
    )
    commitment.record_status_update(status=Status.STALLED, effective_date=D(2023, 9, 1), **evidence)
    commitment.refresh_from_db()
    assert commitment.status == Status.STALLED


def test_status_may_move_backwards(commitment, evidence):
    commitment.record_status_update(status=Status.STALLED, effective_date=D(2023, 6, 1), **evidence)
    commitment.record_status_update(
        status=Status.IN_PROGRESS, effective_date=D(2023, 7, 1), **evidence
    )
    commitment.refresh_from_db()
    assert commitment.status == Status.IN_PROGRESS


def test_each_update_bumps_the_version(commitment, evidence):
    before = commitment.version
    commitment.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence
    )
    assert commitment.version == before + 1
    assert Commitment.objects.get(pk=commitment.pk).version == before + 1


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.ANNOUNCED])
def test_status_other_than_announced_needs_evidence(commitment, status):
    with pytest.raises(ValidationError) as excinfo:
        commitment.record_status_update(status=status, effective_date=D(2023, 9, 1))
    assert "evidence_url" in excinfo.value.message_dict
    assert commitment.status_updates.count() == 0
    commitment.refresh_from_db()
    assert commitment.status == Status.ANNOUNCED


def test_a_source_document_counts_as_evidence(commitment):
    document = commitment.mentions.get().document
    commitment.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), evidence_document=document
    )
    assert commitment.status == Status.FORMALIZED


def test_announced_needs_no_evidence(commitment):
    commitment.record_status_update(status=Status.ANNOUNCED, effective_date=D(2023, 5, 1))
    assert commitment.status_date == D(2023, 5, 1)


def test_future_effective_date_is_refused(commitment, evidence):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        commitment.record_status_update(
            status=Status.COMPLETED, effective_date=tomorrow, **evidence
        )
    assert "in the future" in excinfo.value.message_dict["effective_date"][0]
    assert commitment.status_updates.count() == 0


def test_effective_date_before_the_commitment_was_made_is_refused(commitment, evidence):
    with pytest.raises(ValidationError) as excinfo:
        commitment.record_status_update(
            status=Status.COMPLETED, effective_date=D(2023, 4, 25), **evidence
        )
    assert "before the commitment was made" in excinfo.value.message_dict["effective_date"][0]


def test_unknown_status_is_refused(commitment, evidence):
    with pytest.raises(ValidationError) as excinfo:
        commitment.record_status_update(status="done", effective_date=D(2023, 9, 1), **evidence)
    assert "status" in excinfo.value.message_dict


def test_status_updates_cannot_be_edited_or_deleted(commitment, evidence):
    update = commitment.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence
    )
    update.note = "rewritten history"
    with pytest.raises(ValidationError):
        update.save()
    with pytest.raises(ValidationError):
        update.delete()
    assert StatusUpdate.objects.get(pk=update.pk).note == ""


def test_database_refuses_a_status_update_without_evidence(commitment):
    # The rule lives in the database too, for writers that bypass the model.
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusUpdate.objects.bulk_create(
            [
                StatusUpdate(
                    commitment=commitment, status=Status.COMPLETED, effective_date=D(2023, 9, 1)
                )
            ]
        )


def test_status_as_of_reads_the_timeline_at_the_end_of_a_day(commitment, evidence):
    commitment.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence
    )
    commitment.record_status_update(
        status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence
    )
    assert commitment.status_as_of(D(2023, 4, 25)) is None
    assert commitment.status_as_of(D(2023, 4, 26)) == (Status.ANNOUNCED, D(2023, 4, 26))
    assert commitment.status_as_of(D(2023, 9, 1)) == (Status.FORMALIZED, D(2023, 9, 1))
    assert commitment.status_as_of(D(2023, 11, 9)) == (Status.FORMALIZED, D(2023, 9, 1))
    assert commitment.status_as_of(D(2023, 12, 31)) == (Status.COMPLETED, D(2023, 11, 10))


def test_overdue_means_past_due_and_still_open(commitment, evidence):
    commitment.due_date = D(2023, 12, 31)
    commitment.save()
    assert commitment.is_overdue(today=D(2024, 1, 1))
    assert not commitment.is_overdue(today=D(2023, 12, 31))
    assert list(Commitment.objects.overdue(today=D(2024, 1, 1))) == [commitment]
    commitment.record_status_update(
        status=Status.COMPLETED, effective_date=D(2023, 10, 1), **evidence
    )
    assert not commitment.is_overdue(today=D(2024, 1, 1))
    assert not Commitment.objects.overdue(today=D(2024, 1, 1)).exists()
