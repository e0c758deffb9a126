"""From the database back to annotations: export_annotations, then build_fixtures, round-trips."""

import datetime
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from commitments.annotation_export import export_annotations, occurrence_of
from commitments.choices import Category, MeetingKind, PartyRole
from commitments.demo_timeline import DEMO_FIXTURE, record_demo_timeline
from commitments.models import (
    Commitment,
    CommitmentParty,
    Meeting,
    Mention,
    SourceDocument,
)
from tests.seed import SEED_FIXTURES

SEEDS = Path(settings.BASE_DIR) / "seeds"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEED_SOURCE = "000_44b88345c44fa60a.txt"
SEED_SOURCE_SLUG = "mfa-cn-2023-04-26-qin-gang-talks-central-asian-ministers"
TM_TALKS = "2023-04-26-xian-cn-tm-talks"
UZ_TALKS = "2023-04-26-xian-cn-uz-talks"
# Twice in the seed readout: in the Uzbek paragraph, then in the Turkmen one.
TWICE = "The two sides should follow the strategic"


def export(output: Path, **options) -> None:
    call_command("export_annotations", output=output, stdout=io.StringIO(), **options)


def build(seeds: Path, output: Path) -> dict[str, bytes]:
    """Run build_fixtures on seeds into output; return {file name: bytes} written."""
    call_command("build_fixtures", seeds=seeds, output=output, stdout=io.StringIO())
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in output.rglob("*")
        if path.is_file()
    }


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def records(fixture: bytes, model: str) -> list[dict]:
    return [r["fields"] for r in json.loads(fixture) if r["model"] == f"commitments.{model}"]


def annotations(folder: Path) -> dict:
    return yaml.safe_load((folder / "annotations.yaml").read_text(encoding="utf-8"))


def add_commitment(slug: str, meeting: str, **fields) -> Commitment:
    return Commitment.objects.create(
        slug=slug,
        title=fields.pop("title", "A commitment added in the database"),
        category=Category.POLITICAL_SUPPORT,
        meeting=Meeting.objects.get(slug=meeting),
        **fields,
    )


def add_mention(commitment: Commitment, document: SourceDocument, quote: str, start: int, **kw):
    return Mention.objects.create(
        commitment=commitment,
        document=document,
        meeting=kw.pop("meeting", commitment.meeting),
        quote=quote,
        start=start,
        end=start + len(quote),
        **kw,
    )


def test_export_then_build_gives_back_the_committed_fixtures_byte_for_byte(seed_data, tmp_path):
    # The promise of the command: a team can keep the database under version
    # control as annotations and rebuild exactly the same data from them. The
    # demo's status timeline is recorded too, as `make demo` does: it is not
    # annotation data and must change nothing in the export.
    record_demo_timeline(FIXTURES / DEMO_FIXTURE)
    export(tmp_path / "exported")

    rebuilt = build(tmp_path / "exported", tmp_path / "fixtures")

    assert sorted(rebuilt) == sorted(f"{name}.json" for name in SEED_FIXTURES)
    for name, content in rebuilt.items():
        assert content == (FIXTURES / name).read_bytes(), name
    call_command(
        "build_fixtures",
        seeds=tmp_path / "exported",
        output=FIXTURES,
        check=True,
        stdout=io.StringIO(),
    )


def test_export_of_the_seed_says_what_the_hand_written_annotations_say(seed_data, tmp_path):
    # Keys left at the builder's defaults (a mention's meeting and source, a
    # unique quote's occurrence) are omitted, so the export reads like the
    # curated file: only the new file name and the date's YAML type differ.
    export(tmp_path)
    exported, curated = annotations(tmp_path), annotations(SEEDS)

    assert exported["sources"][0]["file"] == f"{SEED_SOURCE_SLUG}.txt"
    exported["sources"][0]["file"] = SEED_SOURCE
    for item in curated["commitments"]:
        if "due_date" in item:
            item["due_date"] = datetime.date.fromisoformat(item["due_date"])
    assert exported == curated
    assert all(
        set(mention) == {"quote"}
        for item in exported["commitments"]
        for mention in item["mentions"]
    )


def test_a_commitment_added_in_the_database_survives_the_round_trip(seed_data, tmp_path):
    # A quote that occurs twice is located by `occurrence: 2`, and a mention
    # made at another meeting than its commitment's says so: otherwise the
    # rebuild would point at the wrong place or the wrong meeting.
    source = SourceDocument.objects.get(slug=SEED_SOURCE_SLUG)
    second = source.text.index(TWICE, source.text.index(TWICE) + 1)
    commitment = add_commitment(
        "cn-tm-follow-strategic-guidance",
        TM_TALKS,
        description="Added in the database after the seed was loaded.",
        due_date=datetime.date(2025, 6, 30),
    )
    CommitmentParty.objects.create(commitment=commitment, country_id="TM", role=PartyRole.LEAD)
    CommitmentParty.objects.create(commitment=commitment, country_id="CN", role=PartyRole.PARTNER)
    # Recorded before the origin, which the annotations must still list first.
    first = source.text.index(TWICE)
    add_mention(commitment, source, TWICE, first, meeting=Meeting.objects.get(slug=UZ_TALKS))
    add_mention(commitment, source, TWICE, second, is_origin=True)

    export(tmp_path / "exported")
    rebuilt = build(tmp_path / "exported", tmp_path / "fixtures")

    item = annotations(tmp_path / "exported")["commitments"][-1]
    assert item["mentions"] == [
        {"quote": TWICE, "occurrence": 2},
        {"quote": TWICE, "occurrence": 1, "meeting": UZ_TALKS},
    ]
    [built] = [
        c
        for c in records(rebuilt["commitments.json"], "commitment")
        if c["slug"] == commitment.slug
    ]
    assert (built["meeting"], built["due_date"], built["description"]) == (
        [TM_TALKS],
        "2025-06-30",
        "Added in the database after the seed was loaded.",
    )
    parties = [
        (p["country"], p["role"])
        for p in records(rebuilt["commitments.json"], "commitmentparty")
        if p["commitment"] == [commitment.slug]
    ]
    assert parties == [(["TM"], "lead"), (["CN"], "partner")]
    mentions = [
        (m["start"], m["end"], m["meeting"], m["is_origin"])
        for m in records(rebuilt["commitments.json"], "mention")
        if m["commitment"] == [commitment.slug]
    ]
    assert mentions == [
        (second, second + len(TWICE), [TM_TALKS], True),
        (first, first + len(TWICE), [UZ_TALKS], False),
    ]


def test_it_refuses_to_overwrite_annotations_without_force(seed_data, tmp_path):
    # An export over a curated file would silently replace an analyst's work.
    target = tmp_path / "annotations.yaml"
    target.write_text("sources: []\n", encoding="utf-8")

    with pytest.raises(CommandError, match=rf"^{tmp_path}/annotations\.yaml: .*--force"):
        export(tmp_path)

    assert files_under(tmp_path) == {"annotations.yaml": b"sources: []\n"}
    export(tmp_path, force=True)
    assert annotations(tmp_path)["sources"][0]["slug"] == SEED_SOURCE_SLUG


def test_an_empty_annotations_file_is_not_in_the_way(seed_data, tmp_path):
    (tmp_path / "annotations.yaml").touch()

    export(tmp_path)

    assert annotations(tmp_path)["commitments"]


def test_it_refuses_to_overwrite_a_different_source_text_without_force(seed_data, tmp_path):
    other = tmp_path / f"{SEED_SOURCE_SLUG}.txt"
    other.write_bytes(b"Another text.\n")

    with pytest.raises(CommandError, match=rf"{SEED_SOURCE_SLUG}\.txt: already exists"):
        export(tmp_path)

    assert files_under(tmp_path) == {other.name: b"Another text.\n"}


def test_a_source_with_non_ascii_text_keeps_its_bytes(seed_data, tmp_path):
    # The builder compares quotes character for character and the source's
    # SHA-256 is of its exact text: one changed byte (a BOM, a line ending,
    # a normalized letter) and the rebuild differs.
    text = "\ufeffАстана, 26 апреля.\r\nВ Сиане (西安) — Xi’an — «переговоры» 🇰🇿\n\ne\u0301té"
    source = SourceDocument.objects.create(
        slug="kz-mfa-2023-04-26-talks",
        title="Переговоры в Сиане",
        publisher="МИД Казахстана",
        published_on=datetime.date(2023, 4, 26),
        language="ru",
        text=text,
    )
    commitment = add_commitment("kz-talks-in-xian", TM_TALKS, title="Переговоры 西安")
    CommitmentParty.objects.create(commitment=commitment, country_id="KZ", role=PartyRole.LEAD)
    add_mention(commitment, source, "(西安) — Xi’an", text.index("(西安)"), is_origin=True)

    export(tmp_path / "exported")

    assert (tmp_path / "exported" / f"{source.slug}.txt").read_bytes() == text.encode("utf-8")
    rebuilt = build(tmp_path / "exported", tmp_path / "fixtures")
    [built] = [
        s for s in records(rebuilt["sources.json"], "sourcedocument") if s["language"] == "ru"
    ]
    assert (built["text"], built["sha256"]) == (text, source.sha256)
    # With two sources, every mention names its own.
    data = annotations(tmp_path / "exported")
    assert {m.get("source") for c in data["commitments"] for m in c["mentions"]} == {
        SEED_SOURCE_SLUG,
        source.slug,
    }


def test_the_same_database_gives_the_same_bytes(seed_data, tmp_path):
    export(tmp_path / "one")
    export(tmp_path / "two")

    assert files_under(tmp_path / "one") == files_under(tmp_path / "two")


def test_exporting_over_the_seeds_keeps_their_file_names_and_other_files(seed_data, tmp_path):
    # Re-exporting into the seeds folder must leave a diff of what changed in
    # the data, not a renamed source, and must not touch the demo timeline.
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    before = files_under(seeds)

    export(seeds, force=True)

    after = files_under(seeds)
    assert annotations(seeds)["sources"][0]["file"] == SEED_SOURCE
    assert {name: after[name] for name in before if name != "annotations.yaml"} == {
        name: content for name, content in before.items() if name != "annotations.yaml"
    }
    assert sorted(after) == sorted(before)
    # Demo timeline included: the exported seeds build the committed fixtures.
    call_command("build_fixtures", seeds=seeds, output=FIXTURES, check=True, stdout=io.StringIO())


def test_an_export_the_builder_would_refuse_writes_nothing(seed_data, tmp_path):
    # A commitment without a mention cannot be annotated; half an export would
    # be worse than none.
    add_commitment("no-mention-yet", TM_TALKS)
    output = tmp_path / "new" / "folder"

    with pytest.raises(CommandError) as excinfo:
        export(output)

    message = str(excinfo.value)
    assert message.startswith(f"{output}/annotations.yaml: build_fixtures would refuse")
    assert "commitment 'no-mention-yet': needs at least one mention" in message
    assert "\n" not in message
    assert not output.exists()


def test_a_mention_that_does_not_quote_its_source_is_named(seed_data, tmp_path):
    Mention.objects.filter(commitment__slug="cn-tj-luban-workshop").update(
        start=F("start") + 1, end=F("end") + 1
    )

    with pytest.raises(CommandError, match="commitment 'cn-tj-luban-workshop': the mention at"):
        export(tmp_path)

    assert files_under(tmp_path) == {}


def test_a_parent_meeting_recorded_after_its_child_is_listed_before_it(seed_data, tmp_path):
    # The builder reads a parent only once it is declared.
    series = Meeting.objects.create(
        slug="china-central-asia-foreign-ministers-meetings",
        title="China-Central Asia Foreign Ministers' Meetings",
        kind=MeetingKind.OTHER,
        date=datetime.date(2020, 7, 16),
        country_id="CN",
    )
    Meeting.objects.filter(parent__isnull=True).exclude(pk=series.pk).update(parent=series)

    export(tmp_path / "exported")

    slugs = [meeting["slug"] for meeting in annotations(tmp_path / "exported")["meetings"]]
    assert slugs[0] == series.slug
    rebuilt = build(tmp_path / "exported", tmp_path / "fixtures")
    parents = {m["slug"]: m["parent"] for m in records(rebuilt["meetings.json"], "meeting")}
    assert parents["2023-04-27-xian-4th-china-central-asia-foreign-ministers-meeting"] == [
        series.slug
    ]


def test_text_that_yaml_could_misread_survives_the_round_trip(seed_data, tmp_path):
    # Plain YAML would read these back as a boolean, a date, null, a comment
    # or a line break; the export must quote or escape each.
    tricky = ["NO", "2023-01-01", "null", "a #b", " leading", "two\n\nlines ", "next\x85line"]
    commitment = Commitment.objects.get(slug="cn-tj-luban-workshop")
    for number, value in enumerate(tricky):
        Commitment.objects.filter(pk=commitment.pk).update(description=value)
        export(tmp_path / str(number))
        rebuilt = build(tmp_path / str(number), tmp_path / f"fixtures-{number}")
        [built] = [
            c
            for c in records(rebuilt["commitments.json"], "commitment")
            if c["slug"] == commitment.slug
        ]
        assert built["description"] == value


def test_an_overlapping_occurrence_cannot_be_pointed_at():
    # The builder counts occurrences without overlap ("aa" occurs once in
    # "aaa"), so a quote starting inside an earlier one has no `occurrence`.
    assert occurrence_of("xaaa", "aa", 1) is None
    assert occurrence_of("aa-aa", "aa", 3) == 2
    with pytest.raises(ValueError, match="overlaps"):
        occurrence_of("xaaa", "aa", 2)
    with pytest.raises(ValueError, match="does not quote"):
        occurrence_of("xaaa", "ab", 1)


def test_the_export_reads_the_database_in_a_fixed_number_of_queries(
    seed_data, django_assert_num_queries
):
    # One query per table whatever the size of the dataset: sources, officials,
    # positions, meetings, participants, commitments, parties, mentions, countries.
    with django_assert_num_queries(9):
        export_annotations()
