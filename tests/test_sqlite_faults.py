"""SQLite under a long lock or read-only: 503 with Retry-After within budget, then recovery.

A backup tool holding BEGIN EXCLUSIVE, or a disk gone read-only, is a
passing fault like a PostgreSQL restart: the client should hear "try again"
quickly, and the first request after the fault must work, not reuse a
connection opened while it lasted.
"""

import sqlite3
import time

import pytest
from django.core.management import call_command
from django.db import connection

from commitments.models import StatusUpdate
from tests.seed import SEED_FIXTURES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]

TIMELINE = "/api/commitments/cn-kz-mutual-visa-exemption/status-updates/"
BUSY_TIMEOUT = 1.0
# The request budget: gunicorn's worker timeout.
REQUEST_BUDGET = 30.0


@pytest.fixture
def seeded(transactional_db, roles):
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)


@pytest.fixture
def short_busy_timeout():
    """Reconnect with a one-second busy timeout, as SQLITE_BUSY_TIMEOUT would set it."""
    options = connection.settings_dict["OPTIONS"]
    saved = options["timeout"]
    options["timeout"] = BUSY_TIMEOUT
    connection.close()
    yield
    options["timeout"] = saved
    connection.close()


def update(day: int) -> dict:
    return {
        "status": "in_progress",
        "effective_date": f"2023-11-{day:02d}",
        "evidence_url": f"https://example.org/news/{day}",
    }


def test_a_write_under_an_exclusive_lock_is_503_within_budget_then_recovers(
    seeded, analyst_client, short_busy_timeout
):
    analyst_client.raise_request_exception = False  # A 503 is logged as an error.
    analyst_client.get(TIMELINE)  # Open the app's connection before the lock.
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        response = analyst_client.post(TIMELINE, update(1), format="json")
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.content
        assert response["Retry-After"] == "5"
        assert response.json()["errors"][0]["code"] == "database_unavailable"
        assert elapsed < REQUEST_BUDGET
    finally:
        holder.rollback()
        holder.close()
    # The lock is gone: the very next write succeeds, with nothing lost before it.
    response = analyst_client.post(TIMELINE, update(2), format="json")
    assert response.status_code == 201, response.content
    assert list(StatusUpdate.objects.values_list("effective_date__day", flat=True)) == [2]


def test_a_read_only_database_is_503_and_the_next_connection_writes(seeded, analyst_client):
    # A connection opened while the file was read-only stays read-only: the
    # same as SQLite's query_only mode, which refuses every write the same way.
    analyst_client.raise_request_exception = False
    analyst_client.get(TIMELINE)
    connection.cursor().execute("PRAGMA query_only = ON")
    response = analyst_client.post(TIMELINE, update(1), format="json")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    # The faulty connection was discarded, so this write opens a fresh one.
    response = analyst_client.post(TIMELINE, update(2), format="json")
    assert response.status_code == 201, response.content
    assert StatusUpdate.objects.count() == 1


def test_the_admin_answers_503_under_a_lock_too(seeded, admin_client, short_busy_timeout):
    from commitments.models import Commitment

    commitment = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    url = f"/admin/commitments/commitment/{commitment.pk}/change/"
    admin_client.get(url)
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        admin_client.raise_request_exception = False
        response = admin_client.post(url, {"title": "Changed under a lock"})
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
    finally:
        holder.rollback()
        holder.close()
    assert Commitment.objects.get(pk=commitment.pk).title != "Changed under a lock"
