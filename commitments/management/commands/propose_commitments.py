"""Print the meetings and commitments the proposer finds in a text file; store nothing."""

import datetime
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commitments.ingest.proposer import propose
from commitments.ingest.rules import RulesError, build_gazetteer, load_rules
from commitments.models import Meeting


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--published-on: “{value}” is not a date in the form YYYY-MM-DD."
        ) from None


class Command(BaseCommand):
    help = (
        "Propose the meetings and commitments of a UTF-8 text file. Stores nothing; "
        "with --json prints the proposals as JSON (offsets refer to the file's text as read)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, required=True, help="A UTF-8 text file.")
        parser.add_argument(
            "--meeting",
            action="append",
            default=[],
            metavar="SLUG",
            help="A recorded meeting the text reports (repeat for several); "
            "without it, meetings and parties come from the text itself.",
        )
        parser.add_argument("--published-on", type=iso_date, help="YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="Print the JSON contract.")
        parser.add_argument("--rules", type=Path, help="Another rules file than EXTRACTION_RULES.")

    def handle(self, *args, file: Path, meeting, published_on, json: bool, rules, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: cannot be read: {error.strerror or error}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{file}: not UTF-8: byte 0x{data[error.start]:02x} at position {error.start}."
            ) from None
        if not text.strip():
            raise CommandError(f"{file}: the file is empty.")
        meetings = []
        for slug in meeting:
            found = Meeting.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"--meeting: no meeting has the slug “{slug}”.")
            meetings.append(found)
        try:
            gazetteer = build_gazetteer(load_rules(rules) if rules else None)
        except RulesError as error:
            raise CommandError(str(error)) from None
        extraction = propose(
            text, published_on=published_on, meetings=meetings or None, gazetteer=gazetteer
        )
        if json:
            self.stdout.write(dumps(extraction.as_json()))
            return
        for index, found in enumerate(extraction.meetings):
            when = found.date.isoformat() if found.date else "undated"
            existing = f" = {found.existing}" if found.existing else " (new)"
            self.stdout.write(f"[{index}] {when} {found.city} {found.title}{existing}")
        for proposal in extraction.proposals:
            parties = ", ".join(f"{p.country} {p.role}" for p in proposal.parties)
            match = proposal.matches[0]["slug"] if proposal.matches else "new"
            self.stdout.write(
                f"  [{proposal.meeting}] {proposal.start}-{proposal.end} {proposal.category} "
                f"({parties}) {proposal.confidence:.2f} → {match}: {proposal.title}"
            )
        self.stdout.write(
            f"{len(extraction.meetings)} meeting(s), {len(extraction.proposals)} proposal(s)."
        )


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
