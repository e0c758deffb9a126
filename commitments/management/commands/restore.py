"""Load a backup into an empty, migrated database."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from commitments import generation
from commitments.backup import copy_evidence_files_in, evidence_files_folder
from commitments.models import Commitment, Country, StatusUpdate


class Command(BaseCommand):
    help = "Restore a JSON backup written by `backup` into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *args, backup: Path, database: str, **options):
        if not backup.is_file():
            raise CommandError(f"{backup}: no such file.")
        for model in (Country, Commitment, StatusUpdate):
            if model.objects.using(database).exists():
                raise CommandError(
                    f"The {database!r} database already holds {model._meta.verbose_name_plural}; "
                    "restore only into an empty database (run `migrate` on a new one), so that "
                    "nothing in it is overwritten."
                )
        # loaddata runs in one transaction: a bad backup leaves the database empty.
        call_command("loaddata", str(backup), database=database, stdout=self.stdout)
        # The loaded rows bumped the generation, but a counter can repeat
        # numbers an earlier life of this database used: start a new epoch.
        generation.new_epoch(database)
        folder = evidence_files_folder(backup)
        copied, missing = copy_evidence_files_in(folder, using=database)
        if copied:
            self.stdout.write(f"Restored {copied} archived evidence file(s) from {folder}/.")
        if missing:
            self.stderr.write(
                f"{len(missing)} archived evidence file(s) are neither in storage nor in "
                f"{folder}/, e.g. {missing[0]}: copy them into the media storage under the "
                "same names (MEDIA_ROOT, or the bucket) to see those archived copies again."
            )
