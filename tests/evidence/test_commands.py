"""`archive_evidence --pending` and `check_evidence`: the backfill and the link checker."""

import io

import pytest
from django.core.management import CommandError, call_command

from commitments.choices import ArchiveState, LinkHealth, Status
from commitments.evidence.models import EvidenceCheck, EvidenceSnapshot
from tests.evidence.pages import EXCERPT

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def recorded(commitment, site):
    """Three updates recorded without archiving (as before archiving existed)."""

    def add(path, excerpt=EXCERPT):
        return commitment.record_status_update(
            status=Status.COMPLETED,
            effective_date=commitment.made_on,
            evidence_url=site.url(path),
            evidence_excerpt=excerpt,
        )

    updates = [add("/article"), add("/missing"), add("/notice.txt", "not in the notice")]
    commitment.record_status_update(status=Status.ANNOUNCED, effective_date=commitment.made_on)
    return updates


def test_archive_pending_archives_each_update_once_and_summarises(recorded, site):
    output = run("archive_evidence", "--pending")
    assert "Archiving the evidence of 3 status update(s)..." in output
    assert f"[1/3] archived: {site.url('/article')} (excerpt found)" in output
    assert f"[2/3] failed: {site.url('/missing')} (HTTP 404 Not Found)" in output
    assert (
        "Done: 2 archived, 1 failed; excerpt found in 1, not found in 1, not checkable in 0."
        in output
    )
    assert EvidenceSnapshot.objects.count() == 3
    assert run("archive_evidence", "--pending").startswith("Every piece of evidence already")
    assert len(site.requests) == 3


def test_archive_pending_retries_failures_only_when_asked(recorded, site):
    run("archive_evidence", "--pending")
    failed = EvidenceSnapshot.objects.get(state=ArchiveState.FAILED)
    EvidenceSnapshot.objects.filter(pk=failed.pk).update(requested_url=site.url("/article"))
    output = run("archive_evidence", "--pending", "--retry-failed")
    assert "[1/1] failed" in output  # the update's URL still answers 404
    assert EvidenceSnapshot.objects.filter(state=ArchiveState.FAILED).count() == 1
    assert EvidenceSnapshot.objects.count() == 3


def test_archive_evidence_needs_to_be_told_what(db):
    with pytest.raises(CommandError, match="--pending"):
        call_command("archive_evidence")


def test_check_evidence_checks_due_links_and_summarises(recorded, site):
    run("archive_evidence", "--pending")
    output = run("check_evidence")
    assert "Checking 2 evidence link(s)..." in output
    assert f"ok: {site.url('/article')} (not modified since the snapshot)" in output
    assert "Done in" in output and "2 ok." in output
    assert EvidenceCheck.objects.count() == 2
    assert run("check_evidence") == "No archived evidence link is due for a check.\n"
    assert "Checking 2" in run("check_evidence", "--all")


def test_check_evidence_can_enqueue_itself_as_a_periodic_task(recorded, site, settings):
    run("archive_evidence", "--pending")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    output = run("check_evidence", "--enqueue-every", "24")
    assert "every 24 hour(s)" in output
    task = DBTaskResult.objects.get()
    assert task.task_path == "commitments.evidence.tasks.check_evidence_links"
    assert EvidenceCheck.objects.count() == 0  # the worker runs it, not the command
    for hours in ("0", "-3", "8785", str(10**15)):
        with pytest.raises(CommandError, match="1 to 8784"):
            call_command("check_evidence", "--enqueue-every", hours)
    assert DBTaskResult.objects.count() == 1


def test_check_evidence_never_schedules_a_second_periodic_check(recorded, site, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    run("check_evidence", "--enqueue-every", "24")
    with pytest.raises(CommandError, match=r"already scheduled \(every 24 hour\(s\), next run now"):
        call_command("check_evidence", "--enqueue-every", "6")
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[24]]

    assert "every 6 hour(s)" in run("check_evidence", "--enqueue-every", "6", "--replace")
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[6]]
    with pytest.raises(CommandError, match="--replace goes with --enqueue-every"):
        call_command("check_evidence", "--replace")


def test_a_running_check_leaves_the_next_run_to_one_already_waiting(recorded, site, settings):
    """What --replace does while the worker runs the check it replaces."""
    run("archive_evidence", "--pending")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    from commitments.evidence.tasks import check_evidence_links

    waiting = check_evidence_links.enqueue(6)
    assert check_evidence_links.call(24) == {LinkHealth.OK: 2}
    assert [str(task.pk) for task in DBTaskResult.objects.all()] == [waiting.id]


def test_the_periodic_task_checks_and_schedules_the_next_run(recorded, site, settings):
    run("archive_evidence", "--pending")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    from commitments.evidence.tasks import check_evidence_links

    assert check_evidence_links.call(6) == {LinkHealth.OK: 2}
    next_run = DBTaskResult.objects.get()
    assert next_run.run_after is not None
