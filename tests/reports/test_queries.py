"""The report and the export read in a constant number of queries, whatever their size."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commitments.choices import Status
from commitments.reports.dataset import write_dataset
from commitments.reports.rendering import render_csv, render_html
from commitments.reports.services import report_from_inputs
from tests.factories import CommitmentFactory, MeetingFactory, MentionFactory

pytestmark = pytest.mark.django_db
N = 5


def make_commitments(n: int) -> None:
    """Add n commitments (CN lead, KZ partner), each with an origin mention and two updates."""
    meeting = MeetingFactory()
    for _ in range(n):
        commitment = MentionFactory(commitment=CommitmentFactory(meeting=meeting)).commitment
        for status, day in [(Status.IN_PROGRESS, 1), (Status.COMPLETED, 20)]:
            commitment.record_status_update(
                status=status,
                effective_date=datetime.date(2023, 5, day),
                evidence_url="https://example.org/progress",
            )


def test_the_report_reads_in_a_constant_number_of_queries(db):
    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            report = report_from_inputs(country="KZ", as_of="2024-01-01", compare_to="2023-05-10")
            render_html(report)
            render_csv(report)
        return len(queries), len(report.rows)

    make_commitments(N)
    few, rows = count()
    make_commitments(2 * N)
    many, more_rows = count()
    assert (rows, more_rows) == (N, 3 * N)
    # The country, the commitments, their parties, origin mentions, evidence
    # trails (the statuses on both cut-offs are read from the trails) and the
    # last change.
    assert few == many == 6


def test_the_export_reads_each_table_in_one_query(db, tmp_path):
    def count(name: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            rows = write_dataset(tmp_path / name)
        return len(queries), rows["commitments"]

    make_commitments(N)
    few, rows = count("few")
    make_commitments(2 * N)
    many, more_rows = count("many")
    assert (rows, more_rows) == (N, 3 * N)
    assert few == many == 10
