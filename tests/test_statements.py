"""The read path's cursor on PostgreSQL (commitments/statements.py): libpq, psycopg's types.

Each test runs outside a test transaction, as requests do: inside one, a
psycopg cursor runs the statements (a test below checks that too).
"""

import datetime
import decimal
import zoneinfo

import psycopg
import pytest
from django.db import DataError, ProgrammingError, connection, transaction

from commitments import statements
from commitments.choices import PartyRole
from commitments.models import Commitment
from tests.factories import CommitmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KATHMANDU = zoneinfo.ZoneInfo("Asia/Kathmandu")
VALUES = [
    0,
    -1,
    2**15,
    2**31,
    2**63 - 1,
    2**63,
    -(2**70),
    True,
    False,
    None,
    "",
    "%",
    "%s",
    "%%s",
    "ü€😀",
    'it\'s "quoted"',
    1e308,
    decimal.Decimal("1.50"),
    datetime.date(2023, 4, 26),
    datetime.datetime(2023, 4, 26, 9, 15, tzinfo=KATHMANDU),
]
REFUSED = ["a\x00b", "\ud800"]


def through_psycopg(sql, params):
    """Run a statement as a psycopg cursor does (the path inside transactions, and before)."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def through_libpq(sql, params):
    with statements.cursor(connection) as cursor:
        assert isinstance(cursor.cursor, statements.LibpqCursor)
        cursor.execute(sql, params)
        return cursor.fetchall()


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_goes_and_comes_back_as_through_a_psycopg_cursor(value):
    sql = "SELECT x, pg_typeof(x)::text, '100%%' FROM (SELECT %s) v(x)"
    expected = through_psycopg(sql, (value,))
    for _ in range(7):  # Unprepared five times, then prepared.
        assert through_libpq(sql, (value,)) == expected
    assert expected[0][2] == "100%"


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_a_value_text_cannot_hold_is_refused_as_through_a_psycopg_cursor(value):
    with pytest.raises(Exception) as expected:
        through_psycopg("SELECT %s", (value,))
    with pytest.raises(Exception) as refused:
        through_libpq("SELECT %s", (value,))
    assert type(refused.value).__name__ == type(expected.value).__name__
    assert through_libpq("SELECT %s", ("after",)) == [("after",)]


def test_named_parameters_are_left_to_a_psycopg_cursor():
    assert through_libpq("SELECT %(a)s::int + %(b)s::int, '%%'", {"a": 1, "b": 2}) == [(3, "%")]


def test_errors_are_djangos_and_leave_the_connection_usable():
    with pytest.raises(DataError, match="division by zero"):
        through_libpq("SELECT 1 / %s", (0,))
    with pytest.raises(ProgrammingError, match="syntax error"):
        through_libpq("SELEKT %s", (1,))
    with pytest.raises(ProgrammingError, match=r"relation .* does not exist"):
        through_libpq("SELECT * FROM no_such_table WHERE id = %s", (1,))
    assert through_libpq("SELECT %s + 1", (1,)) == [(2,)]


def test_a_statement_is_prepared_once_it_has_run_as_often_as_the_threshold_says():
    sql = "SELECT %s::int * 3"
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold == 5  # config/settings
    for run in range(threshold):
        assert through_libpq(sql, (run,)) == [(run * 3,)]
    assert "SELECT $1::int * 3" not in prepared_statements()
    assert through_libpq(sql, (7,)) == [(21,)]
    assert "SELECT $1::int * 3" in prepared_statements()
    assert through_libpq(sql, (8,)) == [(24,)]


def test_without_prepared_statements_nothing_is_prepared(monkeypatch):
    """DATABASE_PREPARED_STATEMENTS=0 leaves Django's prepare_threshold: None, never."""
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    for run in range(12):
        assert through_libpq("SELECT %s::int - 1", (run,)) == [(run - 1,)]
    assert prepared_statements() == []


def test_the_least_recently_used_statement_is_dropped_past_psycopgs_limit(monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepared_max", 2)
    for sql in ("SELECT %s::int + 10", "SELECT %s::int + 20", "SELECT %s::int + 30"):
        for run in range(7):
            through_libpq(sql, (run,))
    assert sorted(prepared_statements()) == ["SELECT $1::int + 20", "SELECT $1::int + 30"]
    assert through_libpq("SELECT %s::int + 10", (1,)) == [(11,)]


def test_statements_dropped_by_someone_else_are_run_again_unprepared():
    for run in range(7):
        through_libpq("SELECT %s::text || '!'", (str(run),))
    assert prepared_statements()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert through_libpq("SELECT %s::text || '!'", ("again",)) == [("again!",)]
    for run in range(7):  # Prepared afresh once it has run often enough again.
        through_libpq("SELECT %s::text || '!'", (str(run),))
    assert prepared_statements() == ["SELECT $1::text || '!'"]


def test_inside_a_transaction_a_psycopg_cursor_runs_the_statement():
    """A psycopg cursor opens the transaction an atomic block expects; libpq alone would not."""
    with transaction.atomic():
        through_libpq("SELECT set_config('commitments.probe', %s, true)", ("kept",))
        assert through_libpq("SELECT current_setting('commitments.probe', true)", ()) == [("kept",)]
    assert through_libpq("SELECT current_setting('commitments.probe', true)", ()) == [("",)]


def test_fetch_as_text_first_gives_the_servers_bytes():
    sql = "SELECT x, length(x) FROM (VALUES (%s), (NULL), ('ü€😀')) v(x)"
    with statements.cursor(connection) as cursor:
        cursor.execute(sql, ("plain",))
        assert statements.fetchall_text_first(cursor) == [
            (b"plain", 5),
            (None, None),
            ("ü€😀".encode(), 3),
        ]
        cursor.execute(sql, ("again",))
        assert cursor.fetchone() == ("again", 5)
        assert statements.fetchall_text_first(cursor) == [(None, None), ("ü€😀".encode(), 3)]
        assert cursor.fetchone() is None


def test_the_apis_reads_are_the_same_either_way(client, settings):
    """A list page with its count, a filtered page and a detail: libpq against psycopg."""
    settings.API_RESPONSE_CACHE = False
    for number in range(12):
        partner = "KZ" if number % 2 else "UZ"
        CommitmentFactory(
            slug=f"c-{number:02d}",
            title=f"Title ü {number} 100%",
            parties=[("CN", PartyRole.LEAD), (partner, PartyRole.PARTNER)],
        )
    slug = Commitment.objects.order_by("slug").values_list("slug", flat=True)[3]
    urls = [
        "/api/commitments/?limit=5&offset=2",
        "/api/commitments/?country=KZ&ordering=-title&limit=4",
        f"/api/commitments/{slug}/",
    ]
    libpq = {}
    for url in urls:
        for _ in range(7):  # Unprepared, then prepared.
            response = client.get(url)
            assert response.status_code == 200
            libpq.setdefault(url, set()).add(response.content)
    assert all(len(bodies) == 1 for bodies in libpq.values())
    with transaction.atomic():  # Through a psycopg cursor.
        for url in urls:
            assert {client.get(url).content} == libpq[url]
