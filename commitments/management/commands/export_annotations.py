"""Write the database back as annotations: annotations.yaml and one text file per source."""

import os
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.annotation_export import ExportError, export_annotations, known_file_names
from commitments.fixture_builder import ANNOTATIONS_FILE, AnnotationError, build_fixtures


class Command(BaseCommand):
    help = (
        "Write the database's sources, countries, officials, meetings and commitments as "
        "annotations (annotations.yaml and the source texts) that build_fixtures --seeds reads."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            required=True,
            help="The folder to write annotations.yaml and the source texts to.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite an existing annotations.yaml and source files of the same names.",
        )

    def handle(self, *args, output: Path, force: bool, **options):
        target = output / ANNOTATIONS_FILE
        if output.exists() and not output.is_dir():
            raise CommandError(f"{output}: exists and is not a folder.")
        if target.exists() and not target.is_file():
            raise CommandError(f"{target}: exists and is not a file.")
        if not force and target.is_file() and target.stat().st_size > 0:
            raise CommandError(
                f"{target}: already exists and is not empty; pass --force to overwrite it."
            )
        try:
            # Sources keep the file names the annotations being replaced gave them.
            export = export_annotations(known_files=known_file_names(target))
        except ExportError as exc:
            raise CommandError(f"{target}: cannot export: {exc}.") from exc

        contents: dict[str, bytes] = {}
        # The annotations last, so that they are moved in after the texts they quote.
        for name, text in [*export.source_files.items(), (ANNOTATIONS_FILE, export.annotations)]:
            try:
                contents[name] = text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise CommandError(
                    f"{output / name}: the text cannot be written as UTF-8 ({exc.reason})."
                ) from exc
        if not force:
            for name, content in contents.items():
                path = output / name
                if name != ANNOTATIONS_FILE and path.exists() and path.read_bytes() != content:
                    raise CommandError(
                        f"{path}: already exists with other content; pass --force to overwrite it."
                    )
        self.write_files(output, contents)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {target} and {len(export.source_files)} source text(s) to {output}/."
            )
        )

    def write_files(self, output: Path, contents: dict[str, bytes]) -> None:
        """Write every file to a folder inside output, check that it builds, then move it in.

        A failure before the moves leaves output as it was.
        """
        created = not output.exists()
        staging = None
        done = False
        try:
            output.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=output, prefix=".export-"))
            for name, content in contents.items():
                (staging / name).write_bytes(content)
            self.check_builds(staging, output)
            for name in contents:
                os.replace(staging / name, output / name)
            done = True
        except OSError as exc:
            place = exc.filename or output
            raise CommandError(f"{place}: cannot write ({exc.strerror or exc}).") from exc
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if created and not done and output.is_dir() and not any(output.iterdir()):
                output.rmdir()

    def check_builds(self, staging: Path, output: Path) -> None:
        """Refuse an export that build_fixtures would not read back."""
        try:
            build_fixtures(staging)
        except AnnotationError as exc:
            prefix = f"{staging.name}/{ANNOTATIONS_FILE}: "
            problems = [problem.removeprefix(prefix) for problem in exc.problems]
            raise CommandError(
                f"{output / ANNOTATIONS_FILE}: build_fixtures would refuse the export, so nothing "
                f"was written: {'; '.join(problems)}."
            ) from exc
