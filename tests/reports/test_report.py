"""The compliance report: its rows, scores, comparison, determinism and query count."""

import csv
import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.choices import Status
from commitments.models import Commitment, StatusUpdate
from commitments.reports.rendering import render_csv, render_html, report_as_dict
from commitments.reports.services import (
    ReportInputError,
    build_report,
    parse_day,
    report_from_inputs,
    resolve_scope,
)

from .conftest import FINAL, INTERIM, VISA_QUOTE_START, XIAN

pytestmark = pytest.mark.django_db
VISA = "cn-kz-mutual-visa-exemption"


def xian(as_of, compare_to=None):
    return build_report(scope=resolve_scope(meeting=XIAN), as_of=as_of, compare_to=compare_to)


def test_it_covers_the_meeting_and_its_child_meetings(demo_data):
    # The parent meeting holds no commitment itself: all 73 are in the five bilateral talks.
    report = xian(FINAL)
    assert len(report.rows) == Commitment.objects.count() == 73
    assert {row.meeting for row in report.rows} == {
        "2023-04-26-xian-cn-kz-talks",
        "2023-04-26-xian-cn-kg-talks",
        "2023-04-26-xian-cn-tj-talks",
        "2023-04-26-xian-cn-tm-talks",
        "2023-04-26-xian-cn-uz-talks",
    }


def test_each_commitment_reads_its_status_and_evidence_as_of_the_cut_off(demo_data):
    interim = {row.slug: row for row in xian(INTERIM).rows}[VISA]
    final = {row.slug: row for row in xian(FINAL).rows}[VISA]
    # Formalized on 2023-05-17; the later entries were not yet true on the interim cut-off.
    assert (interim.status, interim.status_date) == ("formalized", datetime.date(2023, 5, 17))
    assert [entry.status for entry in interim.evidence] == ["formalized"]
    assert interim.score == 0
    assert (final.status, final.score) == ("completed", 1)
    assert [entry.status for entry in final.evidence] == ["formalized", "in_progress", "completed"]
    assert final.quote.startswith(VISA_QUOTE_START)
    assert final.source_publisher.startswith("Ministry of Foreign Affairs")
    assert [(party.country, party.role) for party in final.parties] == [
        ("CN", "lead"),
        ("KZ", "lead"),
    ]
    assert final.evidence[0].url.startswith("https://")
    assert final.evidence[0].excerpt and final.evidence[0].publisher


def test_not_assessed_commitments_are_counted_apart_not_as_zero(demo_data):
    report = xian(FINAL)
    kz = next(row for row in report.by_country if row.key == "KZ")
    # Kazakhstan leads 11 commitments: 2 completed, 1 in progress, 8 without any
    # follow-up. Counted as zeros, the 8 would pull its average down to 2/11.
    assert kz.counts == {"completed": 2, "in_progress": 1, "announced": 8}
    assert (kz.total, kz.assessed, kz.not_assessed) == (11, 3, 8)
    assert kz.score == pytest.approx(2 / 3)
    assert kz.percentage == pytest.approx(100 * (2 / 3 + 1) / 2)


@pytest.mark.parametrize("as_of", [INTERIM, FINAL])
def test_scores_equal_the_dashboards_for_the_same_date(demo_data, client, viewer, as_of):
    # All the demo's commitments belong to the Xi'an meeting, so its report and
    # the dashboard (which covers everything) score the same commitments.
    client.force_login(viewer)
    page = client.get(reverse("admin:commitments_dashboard"), {"as_of": f"{as_of}"})
    assert page.status_code == 200
    dashboard = {row.country.code: row for row in page.context["compliance"]}
    report = {row.key: row for row in xian(as_of).by_country}
    assert set(dashboard) == set(report)
    for code, row in report.items():
        assert dashboard[code].counts == row.counts, code
        assert dashboard[code].score == row.score, code
        assert dashboard[code].percentage == row.percentage, code


def test_the_comparison_lists_what_moved_and_how_each_score_changed(demo_data):
    report = xian(FINAL, compare_to=INTERIM)
    moved = {row.slug: (row.earlier_status, row.status) for row in report.comparison.moved}
    assert moved[VISA] == ("formalized", "completed")
    assert moved["kg-cn-belt-and-road"] == ("announced", "in_progress")
    assert "kz-consulate-general-xian" not in moved  # completed on both dates
    assert all(before != after for before, after in moved.values())
    kz = next(change for change in report.comparison.countries if change.key == "KZ")
    # Interim: the consulate completed (+1), the visa formalized (0), high-level
    # exchanges in progress (0); final: the visa completed too.
    assert kz.earlier.score == pytest.approx(1 / 3)
    assert kz.later.score == pytest.approx(2 / 3)
    assert kz.delta == pytest.approx(1 / 3)
    page = render_html(report)
    assert "Change from 2023-06-30 to 2024-12-31" in page
    assert "formalized (2023-05-17)" in page


def test_a_country_report_covers_the_commitments_it_is_party_to(demo_data):
    report = build_report(scope=resolve_scope(country="tm"), as_of=FINAL)
    expected = Commitment.objects.filter(parties__country="TM").count()
    assert report.scope.title == "Turkmenistan (TM)"
    assert len(report.rows) == expected
    assert all("TM" in [party.country for party in row.parties] for row in report.rows)


def test_commitments_made_after_the_cut_off_are_left_out(demo_data):
    report = xian(datetime.date(2023, 4, 25))
    assert report.rows == [] and report.overall.total == 0
    assert "No commitment in this scope had been made by 2023-04-25" in render_html(report)


def test_the_same_inputs_and_data_give_byte_identical_html_csv_and_json(demo_data, tmp_path):
    first, second = xian(FINAL, INTERIM), xian(FINAL, INTERIM)
    assert render_html(first) == render_html(second)
    assert render_csv(first) == render_csv(second)
    assert report_as_dict(first) == report_as_dict(second)
    for name in ("a", "b"):
        call_command(
            "compliance_report",
            meeting=XIAN,
            as_of=f"{FINAL}",
            format="html",
            output=str(tmp_path / f"{name}.html"),
            stderr=io.StringIO(),
        )
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()
    assert (tmp_path / "a.html").read_text() == render_html(xian(FINAL))


def test_a_new_status_update_changes_the_data_version(demo_data, evidence):
    before = xian(FINAL).data_version
    Commitment.objects.get(slug="cn-tj-luban-workshop").record_status_update(
        status=Status.COMPLETED, effective_date=datetime.date(2024, 8, 1), **evidence
    )
    after = xian(FINAL)
    assert after.data_version != before
    assert next(row for row in after.rows if row.slug == "cn-tj-luban-workshop").score == 1


def test_the_last_change_is_the_latest_edit_or_update_effective_by_the_cut_off(demo_data, evidence):
    later = datetime.date(2025, 1, 10)
    Commitment.objects.get(slug="cn-tj-luban-workshop").record_status_update(
        status=Status.COMPLETED, effective_date=later, **evidence
    )
    recorded = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
    StatusUpdate.objects.filter(effective_date=later).update(recorded_at=recorded)

    def latest(as_of):  # every commitment of the demo is in the Xi'an scope
        edits = [c.updated_at for c in Commitment.objects.all()]
        updates = [u.recorded_at for u in StatusUpdate.objects.filter(effective_date__lte=as_of)]
        return max(edits + updates)

    assert resolve_scope(meeting=XIAN).commitments().count() == Commitment.objects.count()
    # An update recorded last but effective after the cut-off is not a change of that report.
    assert xian(FINAL).last_change == latest(FINAL) < recorded
    assert xian(later).last_change == latest(later) == recorded


def test_the_data_version_follows_every_field_even_one_json_cannot_hold(demo_data):
    from dataclasses import replace

    from commitments.reports.services import data_version

    report = xian(FINAL)
    assert data_version(report) == report.data_version
    versions = {report.data_version}
    for title in ["Another title", "A lone \ud800 surrogate", "Another \ud800 surrogate"]:
        report.rows[0] = replace(report.rows[0], title=title)
        versions.add(data_version(report))
    report.rows[0].parties[0] = replace(report.rows[0].parties[0], role="beneficiary")
    versions.add(data_version(report))
    assert len(versions) == 5
    assert all(re.fullmatch("[0-9a-f]{16}", version) for version in versions)


def test_the_csv_has_one_row_per_commitment_with_its_status_and_score(demo_data):
    rows = list(csv.DictReader(io.StringIO(render_csv(xian(FINAL, INTERIM)))))
    assert len(rows) == 73
    visa = next(row for row in rows if row["slug"] == VISA)
    assert (visa["status"], visa["status_date"], visa["score"]) == (
        "completed",
        "2023-11-10",
        "1",
    )
    assert (visa["earlier_status"], visa["earlier_status_date"]) == ("formalized", "2023-05-17")
    assert visa["parties"] == "CN:lead; KZ:lead"
    assert visa["evidence_count"] == "3"
    announced = next(row for row in rows if row["status"] == "announced")
    assert announced["score"] == ""  # not assessed, not 0


def test_inputs_that_cannot_be_used_are_refused_naming_them():
    today = datetime.date(2026, 1, 1)
    for raw, message in [
        ("2024-13-01", "not a date"),
        ("20240101", "not a date"),
        ("2024-W01-1", "not a date"),
        ("2027-01-01", "is in the future"),
    ]:
        with pytest.raises(ReportInputError, match=message) as error:
            parse_day(raw, "as_of", today=today)
        assert error.value.field == "as_of"
    assert parse_day("", "as_of", today=today) is None


def test_a_scope_must_name_one_existing_meeting_or_country(db):
    for kwargs, field, message in [
        ({}, "meeting", "either a meeting"),
        ({"meeting": "x", "country": "KZ"}, "meeting", "not both"),
        ({"meeting": "no-such-meeting"}, "meeting", "no meeting has the slug"),
        ({"meeting": "bad\x00slug"}, "meeting", "is not a slug"),
        ({"country": "ZZ"}, "country", "no country has the code"),
        ({"country": "KAZ"}, "country", "not a two-letter"),
    ]:
        with pytest.raises(ReportInputError, match=message) as error:
            resolve_scope(**kwargs)
        assert error.value.field == field


def test_an_earlier_date_must_come_before_the_cut_off(demo_data):
    with pytest.raises(ReportInputError, match="must be before the cut-off"):
        report_from_inputs(meeting=XIAN, as_of=f"{INTERIM}", compare_to=f"{FINAL}")


def test_the_command_names_the_option_at_fault(demo_data, tmp_path):
    for options, message in [
        ({"meeting": XIAN, "as_of": "2024-02-30"}, "--as-of: '2024-02-30' is not a date"),
        ({"meeting": XIAN, "compare_to": "soon"}, "--compare-to: 'soon' is not a date"),
        ({"country": "QQ"}, "--country: no country has the code"),
        ({"meeting": XIAN, "output": str(tmp_path / "missing" / "r.html")}, "does not exist"),
        ({"meeting": XIAN, "output": str(tmp_path)}, "is a folder"),
        ({"meeting": XIAN, "format": "pdf", "output": "-"}, "a PDF is binary"),
        ({"meeting": XIAN, "site_url": "ftp://x"}, "--site-url"),
    ]:
        options = {"output": str(tmp_path / "r.html"), **options}
        with pytest.raises(CommandError, match=message):
            call_command("compliance_report", **options, stderr=io.StringIO())


def test_the_command_writes_csv(demo_data, tmp_path):
    out = tmp_path / "report.csv"
    call_command(
        "compliance_report",
        meeting=XIAN,
        as_of=f"{INTERIM}",
        format="csv",
        output=str(out),
        stderr=io.StringIO(),
    )
    assert out.read_text() == render_csv(xian(INTERIM))


def test_the_trail_links_the_archived_copy_where_one_exists(demo_data):
    from commitments.evidence.models import EvidenceSnapshot

    signed = StatusUpdate.objects.get(commitment__slug=VISA, status="formalized")
    EvidenceSnapshot.objects.create(
        status_update=signed,
        state="archived",
        requested_url=signed.evidence_url,
        final_url=signed.evidence_url,
        sha256="0" * 64,
        warc_file="evidence/2026/11/x.warc.gz",
        text_file="evidence/2026/11/x.txt",
        retrieved_at=datetime.datetime(2026, 11, 28, 9, 30, tzinfo=datetime.UTC),
    )
    failed = StatusUpdate.objects.get(commitment__slug=VISA, status="in_progress")
    EvidenceSnapshot.objects.create(
        status_update=failed,
        state="failed",
        requested_url=failed.evidence_url,
        retrieved_at=datetime.datetime(2026, 11, 28, 9, 31, tzinfo=datetime.UTC),
    )
    textless = StatusUpdate.objects.get(commitment__slug=VISA, status="completed")
    EvidenceSnapshot.objects.create(
        status_update=textless,
        state="archived",
        requested_url=textless.evidence_url,
        sha256="1" * 64,
        warc_file="evidence/2026/11/y.warc.gz",
        retrieved_at=datetime.datetime(2026, 11, 28, 9, 32, tzinfo=datetime.UTC),
    )
    with CaptureQueriesContext(connection) as queries:
        report = build_report(
            scope=resolve_scope(meeting=XIAN), as_of=FINAL, site_url="https://x.org/"
        )
    # The scope, then the rows and the last change: the archived copies add none.
    assert len(queries) == 2 + 5
    trail = next(row for row in report.rows if row.slug == VISA).evidence
    link = f"https://x.org/api/status-updates/{signed.uuid}/evidence/text/"
    # Only an archived copy with a text is linked: not a failed one, nor one without text.
    assert [entry.archived_url for entry in trail] == [link, "", ""]
    assert [entry.archived_at for entry in trail] == [
        datetime.datetime(2026, 11, 28, 9, 30, tzinfo=datetime.UTC),
        None,
        None,
    ]
    page = render_html(report)
    assert f'<a href="{link}">archived copy</a>, retrieved 2026-11-28' in page
    visa = next(row for row in report_as_dict(report)["commitments"] if row["slug"] == VISA)
    assert visa["evidence"][0]["archived_url"] == link


def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_escaped(demo_data):
    Commitment.objects.filter(slug=VISA).update(title="=HYPERLINK(1)")
    rows = list(csv.DictReader(io.StringIO(render_csv(xian(FINAL)))))
    assert next(row for row in rows if row["slug"] == VISA)["title"] == "'=HYPERLINK(1)"
