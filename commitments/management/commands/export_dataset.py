"""Write the database (or its state as of a date) as a Frictionless Data Package."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.reports.dataset import write_dataset
from commitments.reports.services import ReportInputError, parse_day


class Command(BaseCommand):
    help = (
        "Write a Frictionless Data Package (datapackage.json, one CSV per table, README and "
        "licence) of the database, or of its state as of a date, into a folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="DIR", required=True, help="The folder to write.")
        parser.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Export the state as of this day: commitments made and updates effective by then.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Write into a folder that is not empty."
        )

    def handle(self, *args, output, as_of, force, **options):
        try:
            day = parse_day(as_of, "--as-of")
        except ReportInputError as error:
            raise CommandError(str(error)) from None
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"--output: {output!r} is a file, not a folder.")
        if folder.is_dir() and any(folder.iterdir()) and not force:
            raise CommandError(
                f"--output: the folder {output!r} is not empty; give --force to overwrite "
                "the package's files in it."
            )
        if not folder.parent.is_dir():
            raise CommandError(f"--output: the folder {str(folder.parent)!r} does not exist.")
        counts = write_dataset(folder, as_of=day)
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(f"Wrote {folder}/datapackage.json: {summary}.")
