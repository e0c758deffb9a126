"""From the annotated seed readout to fixtures: verification, determinism, --check."""

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments.fixture_builder import AnnotationError, build_fixtures

SEEDS = Path(settings.BASE_DIR) / "seeds"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SOURCE = "000_44b88345c44fa60a.txt"


@pytest.fixture
def seeds(tmp_path):
    """Return a writable copy of seeds/ and a helper to rewrite its annotations."""
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    return copy


def edit_annotations(seeds_dir: Path, change) -> None:
    path = seeds_dir / "annotations.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def commitment(data, slug):
    return next(item for item in data["commitments"] if item["slug"] == slug)


def files_under(folder: Path) -> dict[str, bytes]:
    """Return {path relative to folder: content} of every file, subfolders included."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def problems_for(seeds_dir) -> str:
    with pytest.raises(AnnotationError) as excinfo:
        build_fixtures(seeds_dir)
    return str(excinfo.value)


def test_seed_source_is_the_shared_readout_byte_for_byte():
    shared = Path(settings.BASE_DIR).parent / "shared" / "seeds" / SOURCE
    if not shared.exists():
        pytest.skip("the shared seeds folder is not beside this checkout")
    assert (SEEDS / SOURCE).read_bytes() == shared.read_bytes()


def test_every_offset_points_at_its_quote_in_the_source():
    text = (SEEDS / SOURCE).read_text(encoding="utf-8")
    records = json.loads(build_fixtures(SEEDS)["commitments.json"])
    mentions = [r["fields"] for r in records if r["model"] == "commitments.mention"]
    assert mentions
    for mention in mentions:
        assert text[mention["start"] : mention["end"]] == mention["quote"]


def test_quotes_keep_the_sources_typos_and_curly_apostrophes():
    records = json.loads(build_fixtures(SEEDS)["commitments.json"])
    quotes = {r["fields"]["quote"] for r in records if r["model"] == "commitments.mention"}
    assert "set up consulates general in Xi’an and Aktobe, respectively" in quotes
    assert any("China- Kyrgyzstan" in quote for quote in quotes)


def test_build_is_deterministic(seeds):
    assert build_fixtures(seeds) == build_fixtures(seeds)


def test_committed_fixtures_match_a_fresh_build():
    for name, content in build_fixtures(SEEDS).items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == content, name


def test_written_files_are_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    call_command("build_fixtures", output=first, stdout=io.StringIO())
    call_command("build_fixtures", output=second, stdout=io.StringIO())
    written = files_under(first)
    assert written
    assert written == files_under(second)


def test_check_passes_on_fresh_fixtures_and_fails_on_stale_ones(tmp_path):
    call_command("build_fixtures", output=tmp_path, stdout=io.StringIO())
    call_command("build_fixtures", output=tmp_path, check=True, stdout=io.StringIO())
    stale = tmp_path / "commitments.json"
    stale.write_text(stale.read_text(encoding="utf-8").replace("Aktobe", "Aqtobe"))
    with pytest.raises(CommandError, match=r"commitments\.json"):
        call_command("build_fixtures", output=tmp_path, check=True)


def test_missing_quote_names_the_annotation_and_the_quote(seeds):
    def change(data):
        commitment(data, "cn-kz-mutual-visa-exemption")["mentions"][0]["quote"] = (
            "China and Kazakhstan will abolish visas"
        )

    edit_annotations(seeds, change)
    message = problems_for(seeds)
    assert "annotations.yaml: commitment 'cn-kz-mutual-visa-exemption'" in message
    assert 'quote not found in source text: "China and Kazakhstan will abolish visas"' in message


def test_straightened_apostrophe_is_not_the_same_quote(seeds):
    def change(data):
        commitment(data, "kz-consulate-general-xian")["mentions"][0]["quote"] = (
            "set up consulates general in Xi'an and Aktobe, respectively"
        )

    edit_annotations(seeds, change)
    assert "quote not found" in problems_for(seeds)


def test_ambiguous_quote_needs_an_occurrence_hint(seeds):
    def change(data):
        commitment(data, "cn-kz-mutual-visa-exemption")["mentions"][0]["quote"] = "Qin Gang said"

    edit_annotations(seeds, change)
    assert "occurs 5 times" in problems_for(seeds)

    def hint(data):
        commitment(data, "cn-kz-mutual-visa-exemption")["mentions"][0]["occurrence"] = 2

    edit_annotations(seeds, hint)
    records = json.loads(build_fixtures(seeds)["commitments.json"])
    text = (seeds / SOURCE).read_text(encoding="utf-8")
    mention = next(
        r["fields"]
        for r in records
        if r["model"] == "commitments.mention"
        and r["fields"]["commitment"] == ["cn-kz-mutual-visa-exemption"]
    )
    second = text.index("Qin Gang said", text.index("Qin Gang said") + 1)
    assert mention["start"] == second


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: commitment(d, "cn-tj-luban-workshop")["parties"].append(
                {"country": "XX", "role": "partner"}
            ),
            "commitment 'cn-tj-luban-workshop' party #3: unknown country code 'XX'",
        ),
        (
            lambda d: d["commitments"].append(dict(commitment(d, "cn-tj-luban-workshop"))),
            "duplicate slug 'cn-tj-luban-workshop'",
        ),
        (
            lambda d: d["officials"][0]["positions"][0].update(
                start_date="2023-01-01", end_date="2022-01-01"
            ),
            "official 'qin-gang' position #1: end_date 2022-01-01 is before start_date 2023-01-01",
        ),
        (
            lambda d: commitment(d, "cn-tj-luban-workshop").update(category="culture"),
            "category 'culture' is not one of",
        ),
        (
            lambda d: commitment(d, "cn-tj-luban-workshop").update(qoute="typo"),
            "commitment 'cn-tj-luban-workshop': unknown key qoute",
        ),
        (
            lambda d: commitment(d, "cn-tj-luban-workshop").update(due_date="soon"),
            "due_date 'soon' is not a date",
        ),
        (
            lambda d: commitment(d, "cn-tj-luban-workshop").update(meeting="nowhere"),
            "unknown meeting 'nowhere'",
        ),
    ],
)
def test_bad_annotations_are_reported_with_their_place(seeds, change, expected):
    edit_annotations(seeds, change)
    assert expected in problems_for(seeds)


def test_malformed_yaml_names_the_line(seeds):
    (seeds / "annotations.yaml").write_text("commitments:\n  - slug: [unclosed\n")
    message = problems_for(seeds)
    assert "annotations.yaml: line" in message
    assert "malformed YAML" in message


def test_a_failed_build_writes_nothing(seeds, tmp_path):
    output = tmp_path / "fixtures"
    call_command("build_fixtures", seeds=seeds, output=output, stdout=io.StringIO())
    before = files_under(output)

    def change(data):
        commitment(data, "cn-tj-luban-workshop")["mentions"][0]["quote"] = "nowhere to be found"
        data["commitments"][0]["title"] = "Changed title that must not be written"

    edit_annotations(seeds, change)
    with pytest.raises(CommandError, match="quote not found"):
        call_command("build_fixtures", seeds=seeds, output=output)
    assert files_under(output) == before
