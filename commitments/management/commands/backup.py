"""Write a JSON backup of the whole database, history included."""

import os
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from commitments.backup import copy_evidence_files_out, evidence_files_folder, write_backup


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
        # The archived evidence files live in storage, not in rows: copied
        # beside the JSON, into a fresh folder renamed into place at the end.
        folder = evidence_files_folder(output)
        staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{folder.name}."))
        try:
            copied, missing = copy_evidence_files_out(staging, using=database)
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(staging, folder)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        self.stdout.write(f"Copied {copied} archived evidence file(s) to {folder}/.")
        if missing:
            self.stderr.write(
                f"{len(missing)} archived evidence file(s) were not in storage, e.g. "
                f"{missing[0]}: their snapshots are in the backup without their copy."
            )
