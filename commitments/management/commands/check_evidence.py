"""Check the archived evidence links again, politely, and record what each check found."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from commitments.evidence import services
from commitments.evidence.tasks import (
    check_evidence_links,
    link_check_interval,
    scheduled_link_checks,
)

# Beyond a year, the next run's date is no schedule (and far enough out, no date).
MAX_HOURS = 366 * 24


class Command(BaseCommand):
    help = (
        "Fetch every archived evidence link that is due again (with If-None-Match and "
        "If-Modified-Since, a pause between requests to one host, and a longer wait for "
        "links that keep failing) and record whether it is ok, redirected, gone, failing "
        "or changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            dest="check_all",
            help="Check every archived link now, however recently it was checked.",
        )
        parser.add_argument(
            "--enqueue-every",
            type=int,
            metavar="HOURS",
            help="Instead of checking now, enqueue the check as a background task that "
            "runs every HOURS hours (the worker, `db_worker`, runs it).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="With --enqueue-every: replace the periodic check already scheduled "
            "(without it, the command refuses to schedule a second one).",
        )

    def handle(
        self,
        *args,
        check_all: bool,
        enqueue_every: int | None,
        replace: bool,
        verbosity: int,
        **options,
    ):
        if replace and enqueue_every is None:
            raise CommandError("--replace goes with --enqueue-every HOURS.")
        if enqueue_every is not None:
            if not 1 <= enqueue_every <= MAX_HOURS:
                raise CommandError(
                    f"--enqueue-every needs a whole number of hours, 1 to {MAX_HOURS} (a year)."
                )
            scheduled = scheduled_link_checks()
            if scheduled and not replace:
                # Each run enqueues the next: a second chain would check twice as often.
                run_after = scheduled[0].task.run_after
                when = f"after {run_after:%Y-%m-%d %H:%M %Z}" if run_after else "now"
                raise CommandError(
                    "A periodic link check is already scheduled (every "
                    f"{link_check_interval(scheduled[0])} hour(s), next run {when}); "
                    "nothing enqueued. Add --replace to schedule this one instead."
                )
            with transaction.atomic():
                for result in scheduled_link_checks(waiting_only=True):
                    result.delete()
                check_evidence_links.enqueue(enqueue_every)
            self.stdout.write(
                f"Enqueued the link check, to run now and then every {enqueue_every} hour(s)."
            )
            return
        snapshots = services.due_snapshots(everything=check_all)
        if not snapshots:
            self.stdout.write("No archived evidence link is due for a check.")
            return
        total = len(snapshots)
        self.stdout.write(f"Checking {total} evidence link(s)...")
        position = iter(range(1, total + 1))

        def progress(snapshot, check):
            if verbosity >= 1:
                reason = f" ({check.reason})" if check.reason else ""
                self.stdout.write(
                    f"[{next(position)}/{total}] {check.outcome}: {snapshot.requested_url}{reason}"
                )

        started = timezone.now()
        counts = services.check_links(snapshots, progress=progress)
        took = (timezone.now() - started) / datetime.timedelta(seconds=1)
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        self.stdout.write(self.style.SUCCESS(f"Done in {took:.1f} s: {summary}."))
