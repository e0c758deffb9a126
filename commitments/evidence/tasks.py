"""The evidence area's background tasks, run by `manage.py db_worker`.

The status update is stored before its evidence is fetched: recording one
only enqueues `archive_evidence` once its transaction commits, and a failure
to enqueue is logged, never raised into the request that recorded it.
"""

import datetime
import logging

from django.utils import timezone
from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def archive_evidence(status_update_id: int) -> str:
    """Fetch and archive a status update's evidence URL; return the snapshot's state."""
    snapshot = services.archive_status_update(status_update_id=status_update_id)
    return snapshot.state if snapshot is not None else "no evidence URL"


@task()
def check_evidence_links(reschedule_hours: int = 0) -> dict[str, int]:
    """Check every evidence link that is due; then, if asked, enqueue the next run."""
    counts = services.check_links(services.due_snapshots())
    # Unless a run is already waiting (enqueued by `check_evidence --replace`
    # meanwhile): two chains would check twice as often.
    if reschedule_hours > 0 and not scheduled_link_checks(waiting_only=True):
        check_evidence_links.using(
            run_after=timezone.now() + datetime.timedelta(hours=reschedule_hours)
        ).enqueue(reschedule_hours)
    return dict(counts)


def scheduled_link_checks(*, waiting_only: bool = False) -> list:
    """Return the periodic link checks waiting (or running) in the database queue, soonest first.

    Empty when tasks do not go through the database: then none can be seen.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(check_evidence_links.get_backend(), DatabaseBackend):
        return []
    statuses = [TaskResultStatus.READY] + ([] if waiting_only else [TaskResultStatus.RUNNING])
    pending = DBTaskResult.objects.filter(
        task_path=check_evidence_links.module_path, status__in=statuses
    ).order_by("run_after")
    return [result for result in pending if link_check_interval(result) > 0]


def link_check_interval(result) -> int:
    """Return every how many hours a queued link check runs again (0: once)."""
    args, kwargs = result.args_kwargs.get("args") or [], result.args_kwargs.get("kwargs") or {}
    return args[0] if args else kwargs.get("reschedule_hours", 0)


def enqueue_archiving(status_update_id: int) -> None:
    """Enqueue the archiving of one status update's evidence; log, never raise, a failure."""
    try:
        archive_evidence.enqueue(status_update_id)
    except Exception:
        logger.exception(
            "Could not enqueue the archiving of status update %s's evidence; "
            "`manage.py archive_evidence --pending` will archive it",
            status_update_id,
        )
