"""The demo's status timeline: dated, evidenced follow-ups of the seed's commitments.

`seeds/demo_timeline.yaml` lists what became of some commitments of the seed
readout, each entry with the public page that shows it and a verbatim excerpt of
that page. `build_demo_timeline()` checks every entry against the seed fixtures
and against StatusUpdate's own validation, and returns the text of
`fixtures/demo/status_updates.json`; `record_demo_timeline()` records that file
into a database.

The file is deliberately not a loaddata fixture of StatusUpdate rows. A
commitment's `status`, `status_date`, `version` and `last_assessed_at` are a
cached projection of its timeline, and only `Commitment.record_status_update()`
keeps them right: it validates the entry, locks the commitment row, stores the
entry and recomputes the projection in one transaction. Rows inserted by
loaddata would leave every commitment "announced" at version 1 whatever its
timeline says. So the file holds one set of arguments per update, and loading
it calls that method once per entry; `manage.py loaddata` refuses it.
"""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .choices import Status
from .fixture_builder import AnnotationError, Builder, read_yaml
from .models import Commitment, Meeting, StatusUpdate

TIMELINE_FILE = "demo_timeline.yaml"
# Relative to the fixtures folder; a subfolder, so that loading the seed
# fixtures by name never picks it up.
DEMO_FIXTURE = Path("demo") / "status_updates.json"

# Written to the fixture, in this order, and passed to record_status_update().
RECORDED_KEYS = (
    "commitment",
    "status",
    "effective_date",
    "evidence_url",
    "evidence_title",
    "evidence_publisher",
    "evidence_excerpt",
    "note",
)
# When the excerpt was copied from the page: checked, kept in the YAML only.
REQUIRED_KEYS = {*RECORDED_KEYS, "retrieved"}


@dataclass
class TimelineBuilder(Builder):
    """Collect the problems of the demo timeline, each naming the file and the entry."""

    @property
    def where(self) -> str:
        return f"{self.seeds_dir.name}/{TIMELINE_FILE}"


def commitment_dates(seed_fixtures: dict[str, str]) -> dict[str, datetime.date]:
    """Return {commitment slug: the date it was made} read from built seed fixtures."""
    meeting_dates = {
        record["fields"]["slug"]: datetime.date.fromisoformat(record["fields"]["date"])
        for record in json.loads(seed_fixtures["meetings.json"])
        if record["model"] == "commitments.meeting"
    }
    return {
        record["fields"]["slug"]: meeting_dates[record["fields"]["meeting"][0]]
        for record in json.loads(seed_fixtures["commitments.json"])
        if record["model"] == "commitments.commitment"
    }


def build_demo_timeline(seeds_dir: Path, seed_fixtures: dict[str, str]) -> str | None:
    """Return the demo fixture's JSON text, None without a timeline file, or raise AnnotationError.

    `seed_fixtures` is what build_fixtures() returned for the same seeds: the
    timeline may only refer to the commitments it holds.
    """
    builder = TimelineBuilder(seeds_dir=seeds_dir)
    path = seeds_dir / TIMELINE_FILE
    if not path.is_file():
        return None
    data = read_yaml(path, where=builder.where)
    if not isinstance(data, dict) or set(data) != {"status_updates"}:
        raise AnnotationError([f"{builder.where}: expected a mapping with only `status_updates`"])

    made_on = commitment_dates(seed_fixtures)
    records = []
    seen_dates: dict[tuple, int] = {}
    seen_evidence: dict[tuple, int] = {}
    for number, item in enumerate(builder.items("top level", data, "status_updates"), start=1):
        record = _build_entry(builder, number, item, made_on, seen_dates, seen_evidence)
        if record is not None:
            records.append(record)
    if not records and not builder.problems:
        builder.problem("top level", "no entry under `status_updates`")
    if builder.problems:
        raise AnnotationError(builder.problems)
    document = {"recorded_by": "commitments.demo_timeline.record_demo_timeline", "entries": records}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _build_entry(builder, number, item, made_on, seen_dates, seen_evidence) -> dict | None:
    place = f"entry {number}"
    if not isinstance(item, dict):
        builder.problem(place, f"expected a mapping, got {type(item).__name__}")
        return None
    slug = item.get("commitment")
    if isinstance(slug, str) and slug:
        place = f"entry {number} ({slug!r})"
    missing = sorted(REQUIRED_KEYS - item.keys())
    unknown = sorted(item.keys() - REQUIRED_KEYS)
    if missing:
        builder.problem(place, f"missing {', '.join(missing)}")
    if unknown:
        builder.problem(place, f"unknown key {', '.join(map(str, unknown))}")
    if missing:
        return None
    problems_before = len(builder.problems)

    known = isinstance(slug, str) and slug in made_on
    if not known:
        builder.problem(place, f"unknown commitment {slug!r} (not in annotations.yaml)")
    status = item["status"]
    if status not in Status.values:
        builder.problem(place, f"unknown status {status!r} (one of {', '.join(Status.values)})")
    effective_date = builder.date(place, item, "effective_date")
    retrieved = builder.date(place, item, "retrieved")
    texts = {key: builder.text(place, item, key) for key in RECORDED_KEYS[3:]}
    if effective_date and retrieved and retrieved < effective_date:
        builder.problem(
            place, f"retrieved {retrieved} is before the event it shows ({effective_date})"
        )
    if retrieved and datetime.date.fromisoformat(retrieved) > timezone.localdate():
        builder.problem(place, f"retrieved {retrieved} is in the future")
    if known and status in Status.values and effective_date:
        for message in _model_problems(slug, status, effective_date, made_on[slug], texts):
            builder.problem(place, message)
    if len(builder.problems) > problems_before:
        return None

    for seen, key, what in (
        (seen_dates, (slug, effective_date), "commitment and effective_date"),
        (seen_evidence, (slug, status, texts["evidence_url"]), "commitment, status and URL"),
    ):
        if key in seen:
            builder.problem(place, f"duplicate of entry {seen[key]} (same {what})")
        seen.setdefault(key, number)
    if len(builder.problems) > problems_before:
        return None
    return {"commitment": slug, "status": status, "effective_date": effective_date, **texts}


def _model_problems(slug, status, effective_date, made_on, texts) -> list[str]:
    """Return what StatusUpdate's own validation says of the entry, without a database.

    The commitment is an unsaved stand-in made on `made_on`: the model's rules
    (evidence for any status but announced, no date in the future or before the
    commitment was made, a valid URL, field lengths) are checked as they will
    be when the entry is recorded.
    """
    stand_in = Commitment(pk=0, slug=slug, meeting=Meeting(date=made_on))
    update = StatusUpdate(
        commitment=stand_in,
        status=status,
        effective_date=datetime.date.fromisoformat(effective_date),
        **texts,
    )
    try:
        update.full_clean(
            exclude=["commitment", "evidence_document", "recorded_by"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        return [
            f"{field}: {message}"
            for field, messages in sorted(exc.message_dict.items())
            for message in messages
        ]
    return []


def record_demo_timeline(path: Path, *, recorded_by=None) -> int:
    """Record a built demo timeline through Commitment.record_status_update(); return the count.

    All or nothing. An entry already on its commitment's timeline (same status,
    effective date and evidence URL) is skipped, so recording the file twice
    adds nothing the second time.
    """
    entries = json.loads(path.read_text(encoding="utf-8"))["entries"]
    recorded = 0
    with transaction.atomic():
        commitments = Commitment.objects.in_bulk(
            {entry["commitment"] for entry in entries}, field_name="slug"
        )
        for number, entry in enumerate(entries, start=1):
            commitment = commitments.get(entry["commitment"])
            if commitment is None:
                raise LookupError(
                    f"{path.name}: entry {number} ({entry['commitment']!r}): "
                    "no such commitment in the database"
                )
            arguments = {key: entry[key] for key in RECORDED_KEYS[1:]}
            arguments["effective_date"] = datetime.date.fromisoformat(entry["effective_date"])
            if commitment.status_updates.filter(
                status=arguments["status"],
                effective_date=arguments["effective_date"],
                evidence_url=arguments["evidence_url"],
            ).exists():
                continue
            commitment.record_status_update(**arguments, recorded_by=recorded_by)
            recorded += 1
    return recorded
