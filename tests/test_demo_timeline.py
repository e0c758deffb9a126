"""The demo's sourced status timeline: curation checks, the built fixture, setup_demo."""

import io
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError

from commitments.choices import Status
from commitments.demo_timeline import (
    DEMO_FIXTURE,
    TIMELINE_FILE,
    build_demo_timeline,
    record_demo_timeline,
)
from commitments.fixture_builder import AnnotationError, build_fixtures
from commitments.models import Commitment, StatusUpdate
from tests.factories import CommitmentFactory

SEEDS = Path(settings.BASE_DIR) / "seeds"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SEED_FIXTURES = build_fixtures(SEEDS)
ENTRIES = yaml.safe_load((SEEDS / TIMELINE_FILE).read_text(encoding="utf-8"))["status_updates"]

# A well-formed entry on a real commitment of the seed (made on 2023-04-26).
VALID = {
    "commitment": "cn-kz-mutual-visa-exemption",
    "status": "formalized",
    "effective_date": "2023-05-17",
    "evidence_url": "https://example.org/news/visa-agreement-signed",
    "evidence_title": "Visa agreement signed",
    "evidence_publisher": "Example News",
    "evidence_excerpt": "The agreement was signed in Xi’an today.",
    "note": "The agreement was signed.",
    "retrieved": "2023-05-18",
}


@pytest.fixture
def seeds(tmp_path):
    """Return a writable copy of seeds/."""
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    return copy


def write_timeline(seeds_dir: Path, entries: list) -> None:
    text = yaml.safe_dump({"status_updates": entries}, allow_unicode=True, sort_keys=False)
    (seeds_dir / TIMELINE_FILE).write_text(text, encoding="utf-8")


def problems_for(seeds_dir: Path) -> str:
    with pytest.raises(AnnotationError) as excinfo:
        build_demo_timeline(seeds_dir, SEED_FIXTURES)
    return str(excinfo.value)


def latest_by_commitment() -> dict[str, dict]:
    latest = {}
    for entry in ENTRIES:
        current = latest.get(entry["commitment"])
        if current is None or entry["effective_date"] > current["effective_date"]:
            latest[entry["commitment"]] = entry
    return latest


# The curated data and the built fixture.


def test_committed_demo_fixture_matches_a_fresh_build():
    # `make check` compares the same way; a stale fixture would demo old data.
    built = build_demo_timeline(SEEDS, SEED_FIXTURES)
    assert (FIXTURES / DEMO_FIXTURE).read_text(encoding="utf-8") == built


def test_build_carries_every_entry_and_its_evidence_through_unchanged():
    built = json.loads(build_demo_timeline(SEEDS, SEED_FIXTURES))["entries"]
    assert len(built) == len(ENTRIES)
    for entry, record in zip(ENTRIES, built, strict=True):
        assert record["evidence_excerpt"] == entry["evidence_excerpt"]
        assert record["evidence_url"] == entry["evidence_url"]
        assert record["effective_date"] == entry["effective_date"].isoformat()


def test_every_entry_has_a_url_an_excerpt_and_the_day_it_was_read():
    for entry in ENTRIES:
        assert entry["evidence_url"].startswith(("https://", "http://")), entry
        assert entry["evidence_excerpt"].strip(), entry
        assert entry["evidence_title"].strip(), entry
        assert entry["evidence_publisher"].strip(), entry
        assert entry["note"].strip(), entry
        assert entry["retrieved"] >= entry["effective_date"], entry
        assert "example.org" not in entry["evidence_url"], entry


def test_timeline_spans_enough_commitments_and_statuses_to_demo():
    assert len(ENTRIES) >= 10
    assert len({entry["commitment"] for entry in ENTRIES}) >= 5
    assert {entry["status"] for entry in ENTRIES} >= {
        Status.FORMALIZED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
    }


def test_a_seeds_folder_without_a_timeline_builds_no_demo_fixture(seeds):
    (seeds / TIMELINE_FILE).unlink()
    assert build_demo_timeline(seeds, SEED_FIXTURES) is None


# Each class of mistake is reported with the file, the entry and the reason.


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"commitment": "cn-kz-visa-exemption"},
            "demo_timeline.yaml: entry 1 ('cn-kz-visa-exemption'): "
            "unknown commitment 'cn-kz-visa-exemption'",
        ),
        (
            {"status": "done"},
            "demo_timeline.yaml: entry 1 ('cn-kz-mutual-visa-exemption'): unknown status 'done'",
        ),
        (
            {"effective_date": "2023-04-01", "retrieved": "2023-04-02"},
            "entry 1 ('cn-kz-mutual-visa-exemption'): effective_date: The effective date "
            "2023-04-01 is before the commitment was made (2023-04-26).",
        ),
        (
            {"effective_date": "2999-01-01"},
            "entry 1 ('cn-kz-mutual-visa-exemption'): effective_date: The effective date "
            "2999-01-01 is in the future",
        ),
        (
            {"effective_date": "17 May 2023"},
            "entry 1 ('cn-kz-mutual-visa-exemption'): effective_date '17 May 2023' is not a date",
        ),
        (
            {"evidence_excerpt": "  "},
            "entry 1 ('cn-kz-mutual-visa-exemption'): evidence_excerpt is empty",
        ),
        ({"evidence_url": ""}, "entry 1 ('cn-kz-mutual-visa-exemption'): evidence_url is empty"),
        (
            {"evidence_url": "example.org/visa"},
            "entry 1 ('cn-kz-mutual-visa-exemption'): evidence_url: Enter a valid URL.",
        ),
        (
            {"retrieved": "2023-05-01"},
            "retrieved 2023-05-01 is before the event it shows (2023-05-17)",
        ),
        ({"qoute": "typo"}, "entry 1 ('cn-kz-mutual-visa-exemption'): unknown key qoute"),
    ],
)
def test_bad_entries_are_reported_with_their_place(seeds, change, expected):
    write_timeline(seeds, [{**VALID, **change}])
    assert expected in problems_for(seeds)


def test_missing_keys_are_named(seeds):
    entry = dict(VALID)
    del entry["evidence_excerpt"], entry["retrieved"]
    write_timeline(seeds, [entry])
    assert "entry 1 ('cn-kz-mutual-visa-exemption'): missing evidence_excerpt, retrieved" in (
        problems_for(seeds)
    )


def test_the_same_commitment_twice_on_one_day_is_a_duplicate(seeds):
    # Two entries on one day could not be ordered: which one is the status?
    later = {**VALID, "status": "completed", "evidence_url": "https://example.org/other"}
    write_timeline(seeds, [VALID, later])
    message = problems_for(seeds)
    assert "entry 2 ('cn-kz-mutual-visa-exemption'): duplicate of entry 1" in message
    assert "demo_timeline.yaml: entry 1 " not in message


def test_the_same_evidence_for_the_same_status_twice_is_a_duplicate(seeds):
    write_timeline(seeds, [VALID, {**VALID, "effective_date": "2023-05-18"}])
    assert (
        "entry 2 ('cn-kz-mutual-visa-exemption'): duplicate of entry 1 "
        "(same commitment, status and URL)"
    ) in problems_for(seeds)


def test_any_status_may_follow_any_other_as_the_model_allows(seeds):
    # The model refuses no transition (a wrong entry is corrected by a newer
    # one), so neither does the curation check.
    back = {**VALID, "status": "stalled", "effective_date": "2023-06-01", "retrieved": "2023-06-02"}
    write_timeline(seeds, [{**VALID, "status": "completed"}, back])
    entries = json.loads(build_demo_timeline(seeds, SEED_FIXTURES))["entries"]
    assert [entry["status"] for entry in entries] == ["completed", "stalled"]


def test_malformed_timeline_names_the_line(seeds):
    (seeds / TIMELINE_FILE).write_text("status_updates:\n  - commitment: [unclosed\n")
    message = problems_for(seeds)
    assert "demo_timeline.yaml: line" in message
    assert "malformed YAML" in message


def test_a_bad_timeline_stops_build_fixtures_and_writes_nothing(seeds, tmp_path):
    output = tmp_path / "fixtures"
    call_command("build_fixtures", seeds=seeds, output=output, stdout=io.StringIO())
    before = (output / DEMO_FIXTURE).read_bytes()
    write_timeline(seeds, [{**VALID, "status": "done"}])
    with pytest.raises(CommandError, match=r"demo_timeline\.yaml: entry 1 .*unknown status"):
        call_command("build_fixtures", seeds=seeds, output=output)
    assert (output / DEMO_FIXTURE).read_bytes() == before


def test_check_fails_when_the_demo_fixture_is_stale(tmp_path):
    call_command("build_fixtures", output=tmp_path, stdout=io.StringIO())
    call_command("build_fixtures", output=tmp_path, check=True, stdout=io.StringIO())
    stale = tmp_path / DEMO_FIXTURE
    stale.write_text(stale.read_text(encoding="utf-8").replace("completed", "cancelled"))
    with pytest.raises(CommandError, match=r"demo/status_updates\.json"):
        call_command("build_fixtures", output=tmp_path, check=True)


def test_seed_fixtures_are_unchanged_by_the_demo_timeline(tmp_path):
    # The demo lives in its own subfolder; the seed's fixtures stay what the
    # readout alone gives.
    call_command("build_fixtures", output=tmp_path, stdout=io.StringIO())
    for name, content in SEED_FIXTURES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == content
    assert "statusupdate" not in SEED_FIXTURES["commitments.json"]


# Recording the timeline into a database.


def run_setup_demo(*args) -> str:
    out = io.StringIO()
    call_command("setup_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_settings(settings, roles):
    settings.DEBUG = True
    return settings


@pytest.mark.django_db
def test_setup_demo_on_an_empty_database_records_the_sourced_timeline(demo_settings):
    run_setup_demo()
    updates = list(StatusUpdate.objects.all())
    assert len(updates) == len(ENTRIES) >= 10
    for update in updates:
        assert update.evidence_url.startswith("http")
        assert update.evidence_excerpt
    statuses = set(Commitment.objects.values_list("status", flat=True))
    assert len(statuses) >= 3
    assert Status.ANNOUNCED in statuses


@pytest.mark.django_db
def test_cached_status_is_the_latest_entry_of_each_timeline(demo_settings):
    # Recorded through record_status_update(), so the projection, its date and
    # the version all follow the timeline rather than the seed's "announced".
    run_setup_demo()
    counts = defaultdict(int)
    for entry in ENTRIES:
        counts[entry["commitment"]] += 1
    for slug, entry in latest_by_commitment().items():
        commitment = Commitment.objects.get(slug=slug)
        assert commitment.status == entry["status"], slug
        assert commitment.status_date == entry["effective_date"], slug
        assert (commitment.status, commitment.status_date) == commitment.projected_status()
        assert commitment.version == 1 + counts[slug], slug
        assert commitment.last_assessed_at is not None
    untouched = Commitment.objects.exclude(slug__in=counts)
    assert untouched.exists()
    assert set(untouched.values_list("status", flat=True)) == {Status.ANNOUNCED}


@pytest.mark.django_db
def test_running_setup_demo_twice_does_not_duplicate_updates(demo_settings):
    run_setup_demo()
    first = sorted(StatusUpdate.objects.values_list("uuid", flat=True))
    output = run_setup_demo()
    assert sorted(StatusUpdate.objects.values_list("uuid", flat=True)) == first
    assert "already loaded" in output


@pytest.mark.django_db
def test_recording_the_timeline_again_adds_nothing(demo_settings):
    run_setup_demo()
    versions = dict(Commitment.objects.values_list("slug", "version"))
    assert record_demo_timeline(FIXTURES / DEMO_FIXTURE) == 0
    assert StatusUpdate.objects.count() == len(ENTRIES)
    assert dict(Commitment.objects.values_list("slug", "version")) == versions


@pytest.mark.django_db
def test_setup_demo_leaves_an_existing_database_alone(demo_settings):
    CommitmentFactory(slug="cn-kz-mutual-visa-exemption")
    run_setup_demo()
    assert not StatusUpdate.objects.exists()
    assert Commitment.objects.count() == 1


@pytest.mark.django_db
def test_a_timeline_naming_a_missing_commitment_records_nothing(demo_settings, tmp_path):
    CommitmentFactory(slug="cn-kz-mutual-visa-exemption")
    path = tmp_path / "status_updates.json"
    entries = [{k: v for k, v in VALID.items() if k != "retrieved"}]
    entries.append({**entries[0], "commitment": "not-loaded", "effective_date": "2023-06-01"})
    path.write_text(json.dumps({"entries": entries}), encoding="utf-8")
    with pytest.raises(LookupError, match=r"entry 2 \('not-loaded'\): no such commitment"):
        record_demo_timeline(path)
    assert not StatusUpdate.objects.exists()


@pytest.mark.django_db
def test_setup_demo_prints_the_address_it_was_given(demo_settings):
    output = run_setup_demo("--address", "0.0.0.0:9123")
    assert "Open http://0.0.0.0:9123/admin/" in output
    assert "8000" not in output


@pytest.mark.django_db
def test_setup_demo_reads_a_bare_port_as_runserver_does(demo_settings):
    output = run_setup_demo("--address", "9124")
    assert "Open http://127.0.0.1:9124/admin/" in output


@pytest.mark.django_db
def test_loaddata_refuses_the_demo_file(demo_settings):
    # Raw rows would bypass record_status_update() and leave the cached status
    # stale, so the file is deliberately not a loaddata fixture.
    with pytest.raises(DeserializationError, match=r"demo/status_updates\.json"):
        call_command("loaddata", "demo/status_updates", verbosity=0)
    assert not StatusUpdate.objects.exists()


@pytest.mark.django_db
def test_the_demo_opens_with_a_readout_waiting_for_review(demo_settings):
    from commitments.choices import ReviewState
    from commitments.models import SourceDocument

    output = run_setup_demo()
    readout = SourceDocument.objects.get(url__contains="people.cn")
    assert f"/admin/commitments/proposal/source/{readout.pk}/review/" in output
    proposals = readout.proposals.all()
    assert proposals.exists()
    assert set(proposals.values_list("state", flat=True)) == {ReviewState.PENDING}
    # It reports the seed's talks again: most proposals offer a recorded commitment.
    with_matches = [p for p in proposals if p.matches]
    assert len(with_matches) > len(proposals) / 2
    # A second run adds no second copy.
    run_setup_demo()
    assert SourceDocument.objects.filter(sha256=readout.sha256).count() == 1
