"""Write the compliance report of a meeting or a country, as of a date, as HTML, PDF or CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.reports.rendering import render_csv, render_html, render_pdf
from commitments.reports.services import ReportInputError, report_from_inputs

OPTION_NAMES = {"as_of": "--as-of", "compare_to": "--compare-to"}


class Command(BaseCommand):
    help = (
        "Write the compliance report of a meeting (with its child meetings) or of a country, "
        "as of a cut-off date, as HTML, PDF or CSV."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--meeting", metavar="SLUG", help="The meeting's slug.")
        scope.add_argument("--country", metavar="CODE", help="The country's ISO alpha-2 code.")
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="The cut-off date (default: today)."
        )
        parser.add_argument(
            "--compare-to",
            metavar="YYYY-MM-DD",
            help="An earlier cut-off: add what changed between the two dates.",
        )
        parser.add_argument(
            "--site-url",
            default="",
            metavar="URL",
            help="The site's address (https://host), to link archived copies of evidence "
            "absolutely; without it the links are relative to the site.",
        )
        parser.add_argument("--format", choices=["html", "pdf", "csv"], default="html")
        parser.add_argument(
            "--output", metavar="PATH", required=True, help="The file to write ('-': stdout)."
        )

    def handle(self, *args, meeting, country, as_of, compare_to, format, output, **options):
        path = Path(output)
        if output == "-":
            if format == "pdf":
                raise CommandError("--output: a PDF is binary; give a file name, not '-'.")
        elif path.is_dir():
            raise CommandError(f"--output: {output!r} is a folder; give a file name.")
        elif not path.parent.is_dir():
            raise CommandError(f"--output: the folder {str(path.parent)!r} does not exist.")
        site_url = options["site_url"]
        if site_url and not site_url.startswith(("https://", "http://")):
            raise CommandError(f"--site-url: {site_url[:80]!r} does not start with https://.")
        try:
            report = report_from_inputs(
                meeting=meeting,
                country=country,
                as_of=as_of,
                compare_to=compare_to,
                site_url=site_url,
            )
        except ReportInputError as error:
            message = str(error)
            for name, option in OPTION_NAMES.items():
                if message.startswith(f"{name}:"):
                    message = option + message[len(name) :]
            raise CommandError(message if message.startswith("--") else f"--{message}") from None
        if format == "pdf":
            content = render_pdf(report)
        else:
            content = (render_csv(report) if format == "csv" else render_html(report)).encode()
        if output == "-":
            self.stdout.write(content.decode(), ending="")
            return
        path.write_bytes(content)
        self.stderr.write(
            f"Wrote {path} ({len(report.rows)} commitments as of {report.as_of:%Y-%m-%d})."
        )
