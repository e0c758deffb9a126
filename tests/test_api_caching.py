"""Conditional GETs and the shared response cache: never stale, never across audiences.

Every write path is caught because the database itself bumps the data
generation (commitments/generation.py); these tests write the ways the
product writes, and read straight after.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from commitments import generation
from commitments.choices import Status
from commitments.models import Commitment, Country
from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
LIST = "/api/commitments/?limit=5"


def read(client, url, **headers):
    return client.get(url, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


def test_every_served_table_carries_the_generation_triggers(db):
    assert set(generation.served_tables()) <= generation.triggered_tables()
    assert "commitments_commitment" in generation.served_tables()


@pytest.mark.parametrize(
    "write",
    [
        lambda: Country.objects.filter(pk="KZ").update(name="Kazakhstan (renamed)"),
        lambda: Commitment.objects.get(slug=VISA).save(),
        lambda: Commitment.objects.get(slug=VISA).delete(),
        lambda: call_command("loaddata", "countries", verbosity=0),
        lambda: connection.cursor().execute(
            "UPDATE commitments_commitment SET title = 'raw' WHERE slug = %s", [VISA]
        ),
        lambda: Commitment.objects.get(slug=VISA).record_status_update(
            status=Status.FORMALIZED,
            effective_date=datetime.date(2023, 9, 1),
            evidence_url="https://example.org/a",
            evidence_title="A",
            evidence_publisher="P",
            evidence_excerpt="x",
        ),
    ],
    ids=["queryset-update", "save", "delete-cascade", "loaddata", "raw-sql", "status-update"],
)
def test_every_kind_of_write_moves_the_generation(seed_data, write):
    before = generation.current()
    write()
    assert generation.current() != before


def test_a_new_epoch_changes_the_generation_without_a_write(db):
    before = generation.current()
    generation.new_epoch()
    assert generation.current() != before


ENDPOINTS = [
    "/api/",
    "/api/countries/",
    "/api/countries/KZ/",
    "/api/officials/",
    "/api/meetings/",
    "/api/sources/",
    "/api/commitments/",
    "/api/commitments/?country=KZ&status=announced&ordering=-status_date",
    f"/api/commitments/{VISA}/",
    f"/api/commitments/{VISA}/?as_of=2023-05-01",
    f"/api/commitments/{VISA}/status-updates/",
    "/api/status-updates/",
    "/api/schema/",
]


@pytest.mark.parametrize("cache_on", [True, False], ids=["cache-on", "cache-off"])
@pytest.mark.parametrize("url", ENDPOINTS)
def test_every_get_endpoint_answers_if_none_match_with_304(
    api_client, seed_data, settings, url, cache_on
):
    settings.API_RESPONSE_CACHE = cache_on
    first = api_client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert first["Cache-Control"] == "public, no-cache"
    again = read(api_client, url, if_none_match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    other = read(api_client, url, if_none_match='"something-else"')
    assert other.status_code == 200
    assert other.content == first.content


def test_the_detail_etag_is_the_commitments_version(api_client, seed_data):
    response = api_client.get(f"/api/commitments/{VISA}/")
    assert response["ETag"] == f'"{response.json()["version"]}"'


def test_an_authenticated_read_is_private_and_its_etag_names_the_user(
    api_client, analyst_client, viewer, seed_data
):
    mine = analyst_client.get(LIST)
    assert mine.status_code == 200
    assert mine["Cache-Control"] == "private, no-cache"
    # Anonymous clients and other users never match the analyst's tag.
    assert read(api_client, LIST, if_none_match=mine["ETag"]).status_code == 200
    api_client.force_authenticate(viewer)
    assert read(api_client, LIST, if_none_match=mine["ETag"]).status_code == 200
    assert read(analyst_client, LIST, if_none_match=mine["ETag"]).status_code == 304


def test_a_change_of_permissions_changes_the_users_etag(analyst_client, analyst, seed_data):
    etag = analyst_client.get(LIST)["ETag"]
    analyst.groups.clear()
    assert read(analyst_client, LIST, if_none_match=etag).status_code == 200


def test_with_login_required_anonymous_requests_get_401_first(
    api_client, analyst_client, seed_data, settings
):
    etag = api_client.get(LIST)["ETag"]
    settings.API_LOGIN_REQUIRED = True
    assert read(api_client, LIST, if_none_match=etag).status_code == 401
    assert api_client.get(LIST).status_code == 401
    assert analyst_client.get(LIST).status_code == 200


def test_an_invalid_token_gets_401_not_a_304(api_client, seed_data):
    etag = api_client.get(LIST)["ETag"]
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert read(api_client, LIST, if_none_match=etag).status_code == 401


def test_a_cached_body_is_never_served_to_a_user_who_sent_credentials(
    api_client, analyst_client, seed_data
):
    api_client.get(LIST)  # Cached for anonymous readers.
    Commitment.objects.filter(slug=VISA).update(title="Changed")  # No signal, no save().
    assert analyst_client.get(f"/api/commitments/{VISA}/").json()["title"] == "Changed"


def titles(client):
    return [item["title"] for item in client.get("/api/commitments/?limit=500").json()["results"]]


def test_no_stale_read_after_a_patch(api_client, analyst_client, seed_data):
    before = titles(api_client)
    version = analyst_client.get(f"/api/commitments/{VISA}/")["ETag"]
    response = analyst_client.patch(
        f"/api/commitments/{VISA}/", {"title": "Visa exemption, patched"}, HTTP_IF_MATCH=version
    )
    assert response.status_code == 200
    after = titles(api_client)
    assert "Visa exemption, patched" in after and after != before


def test_no_stale_read_after_a_queryset_update_or_raw_sql(api_client, seed_data):
    titles(api_client)
    Commitment.objects.filter(slug=VISA).update(title="By update()")
    assert "By update()" in titles(api_client)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE commitments_commitment SET title = 'By SQL' WHERE slug = %s", [VISA])
    assert "By SQL" in titles(api_client)


def test_no_stale_read_after_an_admin_bulk_action(api_client, client, seed_data, analyst):
    analyst.is_staff = True
    analyst.save()
    client.force_login(analyst)
    body = api_client.get(f"/api/commitments/?limit=500&status={Status.ANNOUNCED}").json()
    assert body["count"] > 0
    ids = list(Commitment.objects.filter(status=Status.ANNOUNCED).values_list("pk", flat=True))
    response = client.post(
        "/admin/commitments/commitment/",
        {"action": "delete_selected", "_selected_action": ids[:1], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    fresh = api_client.get(f"/api/commitments/?limit=500&status={Status.ANNOUNCED}").json()
    assert Commitment.objects.filter(status=Status.ANNOUNCED).count() == fresh["count"]


def test_no_stale_read_after_a_restore(api_client, seed_data, tmp_path):
    backup = tmp_path / "backup.json"
    call_command("backup", "--output", str(backup), stdout=io.StringIO())
    before = titles(api_client)
    call_command("flush", "--no-input", verbosity=0)
    assert titles(api_client) == []
    call_command("restore", str(backup), stdout=io.StringIO(), stderr=io.StringIO())
    assert titles(api_client) == before


def test_the_cache_can_be_turned_off_and_gives_the_same_bytes(api_client, seed_data, settings):
    cached = [api_client.get(url).content for url in ENDPOINTS]
    settings.API_RESPONSE_CACHE = False
    assert [api_client.get(url).content for url in ENDPOINTS] == cached


def test_a_cache_hit_runs_no_query_but_the_generation(
    api_client, seed_data, django_assert_num_queries
):
    api_client.get(LIST)
    with django_assert_num_queries(1):
        assert api_client.get(LIST).status_code == 200


def test_a_fresh_read_is_stored_once_its_response_is_sent(seed_data, rf):
    from django.core.cache import caches

    from commitments.api.caching import CACHE_ALIAS, ApiResponseCacheMiddleware, request_digest
    from config.wsgi import django_application

    request = rf.get(LIST)
    response = ApiResponseCacheMiddleware(django_application.get_response)(request)
    assert response.status_code == 200
    cache = caches[CACHE_ALIAS]
    key = f"api:{request_digest(request, 'anonymous')}"
    assert cache.get(key) is None  # Nothing written before the server has sent it.
    response.close()  # What the server does once the body is sent.
    assert cache.get(key)[2] == response.content


def test_in_production_a_read_is_stored_the_second_time_a_worker_misses_it(
    api_client, seed_data, settings, django_assert_num_queries
):
    settings.API_RESPONSE_CACHE_STORE_ON_SECOND_MISS = True
    body = api_client.get(LIST).content
    # Not stored: the second read is made again, the generation's query and
    # the page's (the count is kept for the generation since the first).
    with django_assert_num_queries(2):
        assert api_client.get(LIST).content == body
    with django_assert_num_queries(1):  # Stored at its second miss: only the generation.
        assert api_client.get(LIST).content == body
    # Another page is another key, missed once so far.
    api_client.get(f"{LIST}&offset=1")
    with django_assert_num_queries(2):
        api_client.get(f"{LIST}&offset=1")


def test_the_keys_missed_once_are_few_and_bounded():
    from commitments.api.caching import MissedOnce

    missed = MissedOnce(size=2)
    assert not missed.missed_before("a")
    assert missed.missed_before("a")
    assert not missed.missed_before("a")  # Stored at its second miss: forgotten here.
    missed.missed_before("b")
    missed.missed_before("c")  # Full: it starts again.
    assert not missed.missed_before("b")


def counts(sql: str) -> bool:
    """Whether a statement counts the list's results.

    By count_sql()'s statement, alone or in a page, or by the page's own rows
    (read_path.counting_page_sql).
    """
    sql = sql.upper()
    return "SELECT COUNT(*) FROM (" in sql or "COUNT(*) OVER ()" in sql


def test_the_count_is_read_once_per_generation(api_client, seed_data, settings):
    from commitments.api.pagination import COUNTS

    settings.API_RESPONSE_CACHE = False
    api_client.get(LIST)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        api_client.get(LIST)
    assert not any(counts(q["sql"]) for q in queries.captured_queries)
    COUNTS.clear()  # Another worker: it reads the count from the shared cache.
    with CaptureQueriesContext(connection) as queries:
        api_client.get(LIST)
    assert not any(counts(q["sql"]) for q in queries.captured_queries)
    Commitment.objects.filter(slug=VISA).delete()
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(LIST).json()["count"] == Commitment.objects.count()
    assert any(counts(q["sql"]) for q in queries.captured_queries)


@pytest.mark.parametrize(
    ("query", "lookups", "order"),
    [
        ("status=announced", {"status": "announced"}, ["slug"]),
        (
            "country=KZ&status=cancelled",
            {"parties__country": "KZ", "status": "cancelled"},
            ["slug"],
        ),
        (
            "lead=CN&ordering=-title",
            {"parties__country": "CN", "parties__role": "lead"},
            ["-title", "slug"],
        ),
        ("", {}, ["slug"]),
    ],
)
def test_a_filter_counted_by_its_page_has_its_count_on_every_page(
    api_client, seed_data, settings, query, lookups, order
):
    """With no count kept yet, the page counts: at any offset, past the last result too."""
    from django.core.cache import caches

    from commitments.api.caching import clear_process_stores

    settings.API_RESPONSE_CACHE = False
    expected = Commitment.objects.filter(**lookups).distinct()
    total = expected.count()
    slugs = list(expected.order_by(*order).values_list("slug", flat=True))
    for offset in sorted({0, max(total - 1, 0), total, total + 1, 10**6}):
        caches["api_responses"].clear()
        clear_process_stores()  # As in another worker, in a new generation.
        page = api_client.get(f"/api/commitments/?{query}&limit=3&offset={offset}").json()
        assert page["count"] == total
        assert [item["slug"] for item in page["results"]] == slugs[offset : offset + 3]


def test_one_count_serves_every_ordering_of_a_filter(api_client, seed_data, settings):
    from django.test.utils import CaptureQueriesContext

    settings.API_RESPONSE_CACHE = False
    filtered = "/api/commitments/?country=KZ&status=announced&limit=2"
    first = api_client.get(f"{filtered}&ordering=title").json()["count"]
    with CaptureQueriesContext(connection) as queries:
        resorted = api_client.get(f"{filtered}&ordering=-due_date").json()
    assert not any(counts(q["sql"]) for q in queries.captured_queries)
    assert resorted["count"] == first
    # Another filter is another count.
    with CaptureQueriesContext(connection) as queries:
        api_client.get(f"{filtered}&ordering=title&category=trade")
    assert any(counts(q["sql"]) for q in queries.captured_queries)


def test_the_generation_is_the_epoch_and_the_sum_of_every_slot(db):
    """However the writers spread their bumps over the slots, and with none yet."""
    generation.DataGeneration.objects.all().delete()
    assert generation.current() == "0.0"
    epoch = 2**62 - 1
    generation.DataGeneration.objects.bulk_create(
        [
            generation.DataGeneration(slot=generation.EPOCH_SLOT, value=epoch),
            *(
                generation.DataGeneration(slot=slot, value=2**40 + slot)
                for slot in range(generation.SLOTS)
            ),
        ]
    )
    total = sum(2**40 + slot for slot in range(generation.SLOTS))
    assert generation.current() == f"{epoch:x}.{total}"
    assert generation.numbers(generation.current()) == (epoch, total)


def test_a_transaction_moves_the_generation_whatever_it_holds(seed_data):
    before = generation.current()
    with transaction.atomic():
        for name in ("One", "Two", "Three"):
            Country.objects.filter(pk="KZ").update(name=name)
    assert generation.current() != before


@pytest.mark.postgres
def test_on_postgresql_a_transaction_bumps_once_however_many_statements(seed_data):
    """Bumping one row per statement would make a long transaction (a restore) quadratic."""
    count = int(generation.current().split(".")[1])
    with transaction.atomic():
        for name in ("One", "Two", "Three"):
            Country.objects.filter(pk="KZ").update(name=name)
        # A savepoint rolled back takes its bump with it; the next write bumps again.
        with pytest.raises(RuntimeError), transaction.atomic():
            Country.objects.filter(pk="KZ").update(name="Four")
            raise RuntimeError
    assert int(generation.current().split(".")[1]) == count + 1
    # Reading the generation lets the transaction's next write bump again.
    Country.objects.filter(pk="KZ").update(name="After a read")
    assert int(generation.current().split(".")[1]) == count + 2
    with transaction.atomic():
        try:
            with transaction.atomic():
                Country.objects.filter(pk="KZ").update(name="Five")
                raise RuntimeError
        except RuntimeError:
            pass
        Country.objects.filter(pk="KZ").update(name="Six")
    assert int(generation.current().split(".")[1]) == count + 3


def start_of_a_request():
    """What Django does to a kept connection when a request starts (close_old_connections)."""
    connection.ensure_connection()
    connection.close_if_unusable_or_obsolete()
    assert connection.health_check_enabled and not connection.health_check_done


@pytest.mark.django_db(transaction=True)
def test_the_generation_read_stands_in_for_the_connections_health_check(monkeypatch):
    start_of_a_request()
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append("SELECT 1") or True)
    generation.current_checking()
    assert Commitment.objects.count() == 0  # the request's next query
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_generation_read_on_a_usable_connection_is_not_retried(monkeypatch):
    from django.db import OperationalError

    start_of_a_request()
    kept = connection.connection
    calls = []

    def locked(using="default"):
        calls.append(using)
        raise OperationalError("database is locked")

    monkeypatch.setattr(generation, "current", locked)
    with pytest.raises(OperationalError, match="locked"):
        generation.current_checking()
    assert calls == ["default"]
    assert connection.connection is kept


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_between_requests_is_replaced_by_the_generation_read():
    from django.db import connections

    start_of_a_request()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        dropped = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
    finally:
        other.close()
    start_of_a_request()
    assert generation.current_checking() == generation.current()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dropped


def test_a_filtered_list_compiled_earlier_reads_the_new_data(api_client, seed_data, settings):
    settings.API_RESPONSE_CACHE = False
    url = f"/api/commitments/?country=KZ&status={Status.ANNOUNCED}&ordering=title"
    before = api_client.get(url).json()
    assert VISA in [item["slug"] for item in before["results"]]
    Commitment.objects.filter(slug=VISA).update(status=Status.FORMALIZED)
    after = api_client.get(url).json()
    # The shape's SQL is reused; its count and rows are read again.
    assert after["count"] == before["count"] - 1
    assert VISA not in [item["slug"] for item in after["results"]]


def test_a_meeting_filter_is_compiled_again_after_its_meeting_is_replaced(
    api_client, seed_data, settings
):
    from tests.factories import MeetingFactory

    settings.API_RESPONSE_CACHE = False
    meeting = MeetingFactory(slug="replaced-meeting")
    CommitmentFactory(meeting=meeting, title="Under the first meeting")
    url = "/api/commitments/?meeting=replaced-meeting"
    assert [c["title"] for c in api_client.get(url).json()["results"]] == [
        "Under the first meeting"
    ]
    Commitment.objects.filter(meeting=meeting).delete()
    meeting.delete()
    CommitmentFactory(meeting=MeetingFactory(slug="replaced-meeting"), title="Under the second")
    # The filter's SQL holds the meeting's id: a new meeting of the same slug
    # must not be read through the old one's.
    assert [c["title"] for c in api_client.get(url).json()["results"]] == ["Under the second"]


def test_a_shape_compiled_by_one_worker_is_read_by_the_others(
    api_client, seed_data, settings, monkeypatch
):
    from commitments.api.read_path import LIST_SHAPES
    from commitments.api.views import CommitmentViewSet

    settings.API_RESPONSE_CACHE = False
    url = f"/api/commitments/?country=KZ&status={Status.ANNOUNCED}&limit=2"
    first = api_client.get(url).json()
    compiled = []
    original = CommitmentViewSet.filter_queryset
    monkeypatch.setattr(
        CommitmentViewSet,
        "filter_queryset",
        lambda self, queryset: compiled.append(1) or original(self, queryset),
    )
    LIST_SHAPES.clear()  # Another worker: nothing compiled in its memory.
    assert api_client.get(url).json() == first
    assert api_client.get(f"{url}&offset=2").status_code == 200
    assert compiled == []
    # A shape never seen is compiled, and an invalid one is a 400 kept nowhere.
    assert api_client.get(url.replace("KZ", "UZ")).status_code == 200
    assert api_client.get(url.replace("KZ", "ZZ")).status_code == 400
    assert api_client.get(url.replace("KZ", "ZZ")).status_code == 400
    assert len(compiled) == 3


def test_an_anonymous_304_needs_only_the_tag_and_a_write_ends_it(api_client, seed_data):
    from django.core.cache import caches

    etag = api_client.get(LIST)["ETag"]
    caches["api_responses"].clear()  # Evicted: the tag still names this generation's body.
    assert read(api_client, LIST, if_none_match=etag).status_code == 304
    Commitment.objects.filter(slug=VISA).update(title="Changed")
    fresh = read(api_client, LIST, if_none_match=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        f"/api/commitments/{VISA}/",
        "/api/commitments/no-such-commitment/",
        f"{LIST}&country=ZZ",
    ],
)
@pytest.mark.parametrize(
    "header",
    ["*", "\x00", '"\ud800"', "W/*", ", ,,", '"' + "g" * 8000 + '"', ",".join(['"x"'] * 2000)],
)
def test_a_hostile_if_none_match_never_gets_a_304(api_client, seed_data, url, header):
    plain = api_client.get(url)
    response = read(api_client, url, if_none_match=header)
    assert response.status_code == plain.status_code != 304
    assert response.content == plain.content


def test_a_weak_or_listed_tag_still_matches(api_client, seed_data):
    etag = api_client.get(LIST)["ETag"]
    assert read(api_client, LIST, if_none_match=f'"x", W/{etag}').status_code == 304
