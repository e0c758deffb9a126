"""Generate a synthetic corpus of commitments in bulk, for scale tests and benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from commitments.models import Commitment
from commitments.synthetic import build_corpus, write_corpus


class Command(BaseCommand):
    help = (
        "Create N synthetic commitments with meetings, officials, documents, parties, "
        "mentions and timelines; the same seed gives the same corpus."
    )

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, commitments: int, seed: int, no_progress: bool, **options):
        if not 1 <= commitments <= 5_000_000:
            raise CommandError("--commitments must be between 1 and 5,000,000.")
        if Commitment.objects.filter(slug__startswith=f"gen{seed}-").exists():
            raise CommandError(
                f"This database already holds commitments generated with seed {seed}; "
                "use another seed or a new database."
            )
        started = time.perf_counter()
        corpus = build_corpus(commitments, seed)
        rows = sum(len(table.rows) for table in corpus.tables)
        with tqdm(
            total=rows,
            unit="row",
            desc="Writing",
            disable=no_progress or commitments < 10_000,
            file=self.stderr,
        ) as bar:
            write_corpus(corpus, progress=bar.update)
        self.stdout.write(
            f"Generated {commitments} commitments ({rows} rows) in "
            f"{time.perf_counter() - started:.1f} s."
        )
