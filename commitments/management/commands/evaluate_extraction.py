"""Score the proposer on the hand-annotated evaluation set and write the figures."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from commitments.ingest.evaluation import EvaluationError, evaluate
from commitments.ingest.rules import RulesError, read_yaml_file
from commitments.models import Commitment

ROLES = ("development", "held_out")


class Command(BaseCommand):
    help = (
        "Run the proposer on the evaluation set (bench/extraction/manifest.yaml) and on the "
        "seed readout, compare with the hand annotations, print and write the figures. "
        "Expects the seed's fixtures in the database: restatements are matched against them."
    )

    def add_arguments(self, parser):
        base = settings.BASE_DIR
        parser.add_argument(
            "--manifest", type=Path, default=base / "bench/extraction/manifest.yaml"
        )
        parser.add_argument("--output", type=Path, default=base / "bench/extraction.json")
        parser.add_argument(
            "--role",
            choices=[*ROLES, "all"],
            default="all",
            help="Score only the development texts while working on the rules; "
            "held-out texts are for the final figures.",
        )

    def handle(self, *args, manifest: Path, output: Path, role: str, **options):
        if not Commitment.objects.filter(slug="cn-kz-mutual-visa-exemption").exists():
            raise CommandError(
                "The seed's commitments are not in the database: run "
                "`manage.py loaddata countries officials sources meetings commitments` first."
            )
        entries = read_yaml_file(manifest, CommandError)
        if not isinstance(entries, list):
            raise CommandError(f"{manifest}: expected a list of texts")
        for index, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict) or not {"slug", "file", "role"} <= entry.keys():
                raise CommandError(f"{manifest}: item {index}: expected slug, file and role")
            if entry["role"] not in ROLES:
                raise CommandError(f"{manifest}: item {index}: role must be one of {ROLES}")
        chosen = [e for e in entries if role == "all" or e["role"] == role]
        seed = {
            "slug": "seed",
            "file": str(settings.BASE_DIR / "seeds/000_44b88345c44fa60a.txt"),
            "annotations": str(settings.BASE_DIR / "seeds/annotations.yaml"),
            "published_on": "2023-04-26",
            "role": "training",
            "kind": "readout",
            "restates_self": True,
        }
        try:
            result = evaluate([seed, *chosen], manifest.parent)
        except (EvaluationError, RulesError) as error:
            raise CommandError(str(error)) from None
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        header = (
            f"{'':32} {'recall':>7} {'parties':>8} {'burden':>7} {'meetings':>9} {'restate':>8}"
        )
        self.stdout.write(header)
        rows = [*result["totals"].items(), *result["texts"].items()]
        for name, figures in rows:
            recall, parties = fmt(figures["recall"]), fmt(figures["party_set_accuracy"])
            burden = fmt(figures["proposals_per_annotated_commitment"], pct=False)
            meetings, restate = fmt(figures["meeting_accuracy"]), fmt(figures["restatement_top1"])
            self.stdout.write(
                f"{name[:32]:32} {recall:>7} {parties:>8} {burden:>7} {meetings:>9} {restate:>8}"
            )
        self.stdout.write(f"Wrote {output}.")


def fmt(value, *, pct: bool = True) -> str:
    if value is None:
        return "–"
    return f"{value:.0%}" if pct else f"{value:.2f}"
