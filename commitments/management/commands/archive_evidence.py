"""Archive, in the foreground, every piece of evidence that has no finished snapshot yet."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from commitments.evidence import services


class Command(BaseCommand):
    help = (
        "Fetch and archive the evidence URL of every status update that has no finished "
        "snapshot yet (recorded before archiving existed, restored from a backup, or "
        "missed by the worker), then exit with a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--pending",
            action="store_true",
            help="Archive every status update whose evidence has no finished snapshot.",
        )
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="Also fetch again the evidence whose earlier fetch failed or was refused.",
        )

    def handle(self, *args, pending: bool, retry_failed: bool, verbosity: int, **options):
        if not pending:
            raise CommandError("Say which evidence to archive: --pending (and --retry-failed).")
        ids = list(
            services.pending_status_updates(retry_failed=retry_failed).values_list("pk", flat=True)
        )
        total = len(ids)
        if not total:
            self.stdout.write("Every piece of evidence already has a finished snapshot.")
            return
        self.stdout.write(f"Archiving the evidence of {total} status update(s)...")
        counts: Counter = Counter()
        excerpts: Counter = Counter()
        for number, pk in enumerate(ids, start=1):
            snapshot = services.archive_status_update(
                status_update_id=pk, retry_failed=retry_failed
            )
            if snapshot is None:
                continue
            counts[snapshot.state] += 1
            if snapshot.is_archived:
                excerpts[snapshot.excerpt_found] += 1
            if verbosity >= 1:
                detail = snapshot.reason or (
                    {True: "excerpt found", False: "excerpt not found"}.get(
                        snapshot.excerpt_found, "excerpt not checkable"
                    )
                )
                self.stdout.write(
                    f"[{number}/{total}] {snapshot.state}: {snapshot.requested_url} ({detail})"
                )
        summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {summary}; excerpt found in {excerpts[True]}, not found in "
                f"{excerpts[False]}, not checkable in {excerpts[None]}."
            )
        )
