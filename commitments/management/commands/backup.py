"""Write a JSON backup of the whole database, history included."""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from commitments.backup import write_backup


class Command(BaseCommand):
    help = "Write a JSON backup (natural keys, audit history included) that `restore` loads."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The file to write (default: backups/commitments-<timestamp>.json).",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, output: Path | None, database: str, **options):
        if output is None:
            output = Path("backups") / f"commitments-{timezone.now():%Y%m%d-%H%M%S}.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed at the end: never half a backup.
        handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                counts = write_backup(stream, using=database)
            os.replace(temporary, output)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        self.stdout.write(self.style.SUCCESS(f"Wrote {sum(counts.values())} rows to {output}."))
