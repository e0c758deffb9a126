"""The open-data package: valid as Frictionless data, and a faithful copy of the database."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from frictionless import validate

from commitments.models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    MeetingParticipant,
    Mention,
    Official,
    Position,
    SourceDocument,
    StatusUpdate,
)
from commitments.reports.dataset import TABLES, DatasetError, load_dataset, write_dataset

from .conftest import INTERIM

pytestmark = pytest.mark.django_db


def export(folder, **options) -> str:
    out = io.StringIO()
    call_command("export_dataset", output=str(folder), stdout=out, **options)
    return out.getvalue()


def csv_files(folder) -> dict[str, bytes]:
    return {table.path: (folder / table.path).read_bytes() for table in TABLES}


def test_the_package_is_valid_frictionless_data(demo_data, tmp_path):
    summary = export(tmp_path / "pkg")
    assert "73 commitments" in summary and "15 status_updates" in summary
    report = validate(str(tmp_path / "pkg" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert {task.name for task in report.tasks} == {table.name for table in TABLES}
    assert sum(task.stats["rows"] for task in report.tasks) > 73 + 15


def test_validation_catches_a_broken_foreign_key(demo_data, tmp_path):
    # So that the test above means something: a party of an unknown country fails.
    folder = tmp_path / "pkg"
    write_dataset(folder)
    parties = folder / "parties.csv"
    parties.write_text(parties.read_text().replace(",KZ,", ",QQ,", 1))
    report = validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert report.flatten(["type"]) == [["foreign-key"]]


def test_the_schema_describes_every_column_with_keys_and_vocabularies(demo_data, tmp_path):
    write_dataset(tmp_path)
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    resources = {resource["name"]: resource for resource in package["resources"]}
    assert set(resources) == {
        "countries", "officials", "positions", "meetings", "participants", "sources",
        "commitments", "parties", "mentions", "status_updates",
    }  # fmt: skip
    for resource in resources.values():
        assert resource["schema"]["primaryKey"]
        assert all(field["description"] for field in resource["schema"]["fields"])
    fields = {f["name"]: f for f in resources["commitments"]["schema"]["fields"]}
    assert fields["status"]["constraints"]["enum"] == [
        "announced", "formalized", "in_progress", "completed", "stalled", "cancelled",
    ]  # fmt: skip
    assert resources["mentions"]["schema"]["primaryKey"] == ["commitment", "source", "start"]
    assert {"fields": ["source"], "reference": {"resource": "sources", "fields": ["slug"]}} in (
        resources["mentions"]["schema"]["foreignKeys"]
    )
    sources = {f["name"] for f in resources["sources"]["schema"]["fields"]}
    assert {"sha256", "text"} <= sources
    readme = (tmp_path / "README.md").read_text()
    assert "How to cite" in readme and "| `commitments.csv` | 73 |" in readme
    assert "Creative Commons" in (tmp_path / "LICENSE.md").read_text()


MODELS = [
    StatusUpdate,
    Mention,
    CommitmentParty,
    Commitment,
    MeetingParticipant,
    Meeting,
    SourceDocument,
    Position,
    Official,
    Country,
]


def test_reimporting_the_csvs_into_an_empty_database_reproduces_every_row(demo_data, tmp_path):
    write_dataset(tmp_path / "first", version="1")
    expected_status = dict(Commitment.objects.values_list("slug", "status"))
    expected_versions = dict(Commitment.objects.values_list("slug", "status_date"))
    # Empty the database (the test's savepoint brings everything back afterwards).
    for model in MODELS:
        model.objects.all()._raw_delete(model.objects.db)
    assert not Commitment.objects.exists() and not Country.objects.exists()

    load_dataset(tmp_path / "first")
    write_dataset(tmp_path / "second", version="1")
    assert csv_files(tmp_path / "second") == csv_files(tmp_path / "first")
    # The cached status was recomputed from the imported timeline.
    assert dict(Commitment.objects.values_list("slug", "status")) == expected_status
    assert dict(Commitment.objects.values_list("slug", "status_date")) == expected_versions
    assert Mention.objects.count() == 73 and StatusUpdate.objects.count() == 15


def test_loading_refuses_a_database_that_is_not_empty(demo_data, tmp_path):
    write_dataset(tmp_path)
    with pytest.raises(DatasetError, match="not empty"):
        load_dataset(tmp_path)


def test_loading_refuses_a_source_whose_text_does_not_match_its_hash(demo_data, tmp_path):
    write_dataset(tmp_path)
    sources = tmp_path / "sources.csv"
    rows = list(csv.reader(sources.open(encoding="utf-8", newline="")))
    rows[1][-1] = rows[1][-1] + " (edited)"  # the text; its sha256 cell left as it was
    with sources.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    for model in MODELS:
        model.objects.all()._raw_delete(model.objects.db)
    with pytest.raises(DatasetError, match=r"sources.csv: row 2 .*SHA-256"):
        load_dataset(tmp_path)


def test_as_of_exports_the_state_of_that_day(demo_data, tmp_path):
    export(tmp_path, as_of=f"{INTERIM}")
    updates = (tmp_path / "status_updates.csv").read_text().strip().split("\n")[1:]
    # Only the updates effective by 2023-06-30: the visa's signature, the
    # consulate in Xi'an and the high-level exchanges.
    assert len(updates) == 3
    commitments = (tmp_path / "commitments.csv").read_text()
    assert ",formalized,2023-05-17\n" in commitments  # the visa, not yet completed
    assert json.loads((tmp_path / "datapackage.json").read_text())["version"] == "2023.06.30"
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid


def test_the_command_names_the_option_at_fault(demo_data, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    (tmp_path / "file").write_text("")
    for options, message in [
        ({"output": str(tmp_path / "new"), "as_of": "2023-02-30"}, "--as-of: '2023-02-30'"),
        ({"output": str(tmp_path / "new"), "as_of": "2999-01-01"}, "in the future"),
        ({"output": str(tmp_path / "full")}, "is not empty; give --force"),
        ({"output": str(tmp_path / "file")}, "is a file"),
        ({"output": str(tmp_path / "no" / "such")}, "does not exist"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("export_dataset", stdout=io.StringIO(), **options)
