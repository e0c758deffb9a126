"""Build fixtures/ from seeds/: the seed readout's fixtures and the demo timeline."""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commitments.demo_timeline import DEMO_FIXTURE, build_demo_timeline
from commitments.fixture_builder import AnnotationError, build_fixtures


class Command(BaseCommand):
    help = "Build the fixtures from the annotated seed sources; --check compares instead."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", type=Path, default=settings.BASE_DIR / "seeds")
        parser.add_argument("--output", type=Path, default=settings.BASE_DIR / "fixtures")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero when the fixtures differ from a fresh build.",
        )

    def handle(self, *args, seeds: Path, output: Path, check: bool, **options):
        try:
            files = build_fixtures(seeds)
            # The demo timeline refers to the seed's commitments, so it is
            # checked against this very build.
            demo = build_demo_timeline(seeds, files)
        except AnnotationError as exc:
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {seeds.name}/:\n" + str(exc)
            ) from exc
        if demo is not None:
            files[DEMO_FIXTURE.as_posix()] = demo
        if check:
            stale = [
                name
                for name, content in files.items()
                if not (output / name).is_file()
                or (output / name).read_text(encoding="utf-8") != content
            ]
            if stale:
                raise CommandError(
                    f"{output.name}/ is out of date ({', '.join(stale)}); "
                    "run `python manage.py build_fixtures` and commit the result."
                )
            self.stdout.write(f"{output.name}/ is up to date ({len(files)} files).")
            return
        # Write every file beside its target first, then rename: a failure
        # midway never leaves a mix of old and new fixtures.
        staged = []
        try:
            for name, content in files.items():
                target = output / name
                target.parent.mkdir(parents=True, exist_ok=True)
                handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
                os.chmod(temporary, 0o644)
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(content)
                staged.append((temporary, target))
            for temporary, target in staged:
                os.replace(temporary, target)
        finally:
            for temporary, _ in staged:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files)} fixture files to {output}/."))
