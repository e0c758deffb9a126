"""Load a backup into an empty, migrated database."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

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
