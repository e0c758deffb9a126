"""Check the archived evidence links again, politely, and record what each check found."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commitments.evidence import services
from commitments.evidence.tasks import check_evidence_links


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

    def handle(self, *args, check_all: bool, enqueue_every: int | None, verbosity: int, **options):
        if enqueue_every is not None:
            if enqueue_every < 1:
                raise CommandError("--enqueue-every needs a whole number of hours, 1 or more.")
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
