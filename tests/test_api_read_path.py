"""The read path's JSON, written by the database, is exactly what the serializers describe."""

import datetime
import io

import orjson
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory

from commitments import generation
from commitments.api.read_path import (
    PAGE_COLUMNS,
    STORED_COLUMNS,
    commitment_json,
    counting_page_sql,
    page_sql,
)
from commitments.api.renderers import dumps
from commitments.api.serializers import CommitmentSerializer
from commitments.choices import Status
from commitments.filters import parties_with
from commitments.models import Commitment
from tests.factories import CommitmentFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def serializer_output(request, as_of):
    queryset = (
        Commitment.objects.with_status(as_of)
        .with_mentions_count()
        .with_relations()
        .order_by("slug")
    )
    data = CommitmentSerializer(
        queryset, many=True, context={"request": request, "as_of": as_of}
    ).data
    return orjson.loads(dumps(data))


def database_json_output(request, as_of):
    page = Commitment.objects.with_status(as_of).with_mentions_count().order_by("slug")
    return [orjson.loads(item) for item in commitment_json(page, request=request, as_of=as_of)]


@pytest.mark.parametrize("as_of", [None, D(2023, 4, 26), D(2023, 10, 1), D(2024, 6, 30)])
def test_read_path_equals_the_serializer_for_every_seed_commitment(seed_data, evidence, as_of):
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    visa.record_status_update(status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence)
    visa.record_status_update(status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence)
    Commitment.objects.get(slug="cn-tj-luban-workshop").record_status_update(
        status=Status.STALLED, effective_date=D(2024, 1, 5), **evidence
    )
    request = APIRequestFactory().get("/api/commitments/")
    expected = serializer_output(request, as_of)
    assert len(expected) == Commitment.objects.count()
    assert database_json_output(request, as_of) == expected


def test_the_database_writes_timestamps_as_python_does(seed_data):
    """Whole seconds without a fraction, any other with six digits, always in UTC."""
    utc = datetime.UTC
    stamps = {
        "cn-kz-mutual-visa-exemption": datetime.datetime(2023, 4, 26, 8, 0, tzinfo=utc),
        "cn-tj-luban-workshop": datetime.datetime(2023, 4, 26, 8, 0, 0, 5, tzinfo=utc),
    }
    for slug, stamp in stamps.items():
        Commitment.objects.filter(slug=slug).update(created_at=stamp, updated_at=stamp)
    request = APIRequestFactory().get("/api/commitments/")
    written = {item["slug"]: item for item in database_json_output(request, None)}
    assert written["cn-kz-mutual-visa-exemption"]["created_at"] == "2023-04-26T08:00:00Z"
    assert written["cn-tj-luban-workshop"]["updated_at"] == "2023-04-26T08:00:00.000005Z"
    assert list(written.values()) == serializer_output(request, None)


def test_a_page_read_through_stored_objects_selects_only_what_they_need(seed_data):
    """Each selected column is sorted with the page's rows: the long texts are in the objects."""
    page = page_sql(Commitment.objects.with_status(None).filter(title__contains="visa"))
    with connection.cursor() as cursor:
        for (sql, params), columns in ((page.stored, STORED_COLUMNS), (page.full, PAGE_COLUMNS)):
            cursor.execute(sql, params)
            selected = [column[0] for column in cursor.description]
            assert selected == [f"c_{name}" for name in columns]
            assert cursor.fetchall()
    assert "description" not in STORED_COLUMNS and "description" in PAGE_COLUMNS


def test_read_path_returns_nothing_for_an_empty_page(seed_data):
    request = APIRequestFactory().get("/api/commitments/")
    empty = Commitment.objects.with_status().with_mentions_count().none()
    assert commitment_json(empty, request=request, as_of=None) == []


@pytest.mark.parametrize("as_of", [None, D(2010, 1, 1)])
def test_read_path_equals_the_serializer_on_a_generated_corpus(db, as_of):
    call_command("generate_data", commitments=400, seed=7, no_progress=True, stdout=io.StringIO())
    request = APIRequestFactory().get("/api/commitments/")
    expected = serializer_output(request, as_of)
    assert len(expected) > 50
    assert any(item["due_date"] for item in expected)
    assert any(item["status"] != "announced" for item in expected)
    assert database_json_output(request, as_of) == expected


@pytest.mark.parametrize(
    "query",
    [
        "limit=4&offset=3",
        "limit=4&offset=0",
        "country=KZ&status=announced,formalized&ordering=-status_date&limit=2&offset=1",
        "ordering=due_date&limit=5&offset=6",
        "lead=CN&ordering=title&limit=3&offset=2",
        "limit=4&offset=3&as_of=2023-10-01",
    ],
)
def test_a_deep_page_equals_the_page_read_plainly(
    api_client, seed_data, monkeypatch, settings, query
):
    """PostgreSQL reads a deep page's slugs first (read_path.deep_page_sql): the same page."""
    from commitments.api import read_path, views

    settings.API_RESPONSE_CACHE = False  # Both reads are made.

    statements = []

    def spy(render):
        def spied(page, *args, **kwargs):
            statements.append(page.stored[0])
            return render(page, *args, **kwargs)

        return spied

    for name in ("render_page", "render_counted_page"):
        monkeypatch.setattr(views, name, spy(getattr(read_path, name)))
    plain = api_client.get(f"/api/commitments/?{query}")
    read_path.LIST_SHAPES.clear()
    monkeypatch.setattr(views, "DEEP_OFFSET", 1)
    deep = api_client.get(f"/api/commitments/?{query}")
    assert plain.status_code == deep.status_code == 200
    assert plain.content == deep.content
    assert len(plain.json()["results"]) > 0
    uses_slugs_first = (
        connection.vendor == "postgresql" and "offset=0" not in query and "as_of" not in query
    )
    assert ["unnest" in sql for sql in statements] == [False, uses_slugs_first]


@pytest.mark.parametrize(
    "query", ["", "status=announced,formalized", "as_of=2023-10-01&status=announced"]
)
def test_every_page_read_from_an_anchor_is_the_page_at_its_offset(
    api_client, seed_data, monkeypatch, settings, query
):
    """Anchors every 3 rows: each page of 4, from before the first to past the last."""
    from commitments.api import read_path

    settings.API_RESPONSE_CACHE = False
    everything = api_client.get(f"/api/commitments/?limit=100&{query}").json()
    slugs = [item["slug"] for item in everything["results"]]
    assert everything["count"] == len(slugs) > 12
    monkeypatch.setattr(read_path, "ANCHOR_EVERY", 3)
    for offset in range(len(slugs) + 2):
        page = api_client.get(f"/api/commitments/?limit=4&offset={offset}&{query}").json()
        assert [item["slug"] for item in page["results"]] == slugs[offset : offset + 4]
        assert page["count"] == len(slugs)
    (anchors,) = read_path.ANCHORS._values.values()
    assert anchors == {k: slugs[3 * k] for k in range(1, (len(slugs) - 1) // 3 + 1)}


def test_only_a_shape_in_slug_order_alone_has_anchors(seed_data):
    from commitments.api.read_path import anchoring_sql

    commitments = Commitment.objects.with_status(None)
    assert anchoring_sql(commitments.order_by("slug")) is not None
    assert anchoring_sql(commitments.order_by("title", "slug")) is None
    assert anchoring_sql(commitments.order_by("-slug")) is None


def test_only_a_page_filtered_by_keys_counts_its_result_as_it_reads_it(seed_data):
    """By country or lead it reads every row of the keys anyway; any other may stop early."""
    commitments = Commitment.objects.with_status(None)
    by_country = commitments.filter(parties_with("KZ")).filter(status=Status.ANNOUNCED)
    assert counting_page_sql(by_country.order_by("title", "slug")) is not None
    assert counting_page_sql(commitments.filter(parties_with("CN", "lead"))) is not None
    assert counting_page_sql(commitments.order_by("slug")) is None
    assert counting_page_sql(commitments.filter(status=Status.ANNOUNCED)) is None
    assert counting_page_sql(commitments.exclude(parties_with("KZ"))) is None


def test_a_country_s_first_page_counts_in_its_own_rows(api_client, seed_data, settings):
    settings.API_RESPONSE_CACHE = False
    url = "/api/commitments/?country=KZ&ordering=title&limit=2"
    api_client.get(url)  # Compiled, and counted in this generation.
    Commitment.objects.filter(slug="cn-kz-mutual-visa-exemption").update(title="Visa-free travel")
    with CaptureQueriesContext(connection) as queries:
        page = api_client.get(url).json()
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 2  # The generation, and the page with its count.
    assert "COUNT(*) OVER ()" in statements[1]
    assert "SELECT COUNT(*) FROM (" not in statements[1]
    assert page["count"] == Commitment.objects.filter(parties__country="KZ").distinct().count()


def test_a_page_is_never_read_from_an_anchor_of_another_generation(
    api_client, seed_data, monkeypatch, settings
):
    """A request that read the generation before a write reads its page after it, plainly.

    Its anchor, read before the write, now stands one row further: from it,
    the page would be shifted by one.
    """
    from commitments.api import read_path, views

    settings.API_RESPONSE_CACHE = False
    monkeypatch.setattr(read_path, "ANCHOR_EVERY", 3)
    url = "/api/commitments/?limit=2&offset=7"
    api_client.get(url)  # It counts (in its own statement); the next read is from an anchor.
    before = [item["slug"] for item in api_client.get(url).json()["results"]]
    assert read_path.ANCHORS._values
    read_before_the_write = generation.current()
    CommitmentFactory(slug="0-sorts-first")
    api_client.get("/api/commitments/?limit=2")  # Counted in the new generation.
    monkeypatch.setattr(views, "data_generation", lambda request: read_before_the_write)
    after = [item["slug"] for item in api_client.get(url).json()["results"]]
    slugs = list(Commitment.objects.order_by("slug").values_list("slug", flat=True))
    assert after == slugs[7:9]
    assert after[1] == before[0]  # The write moved every row one further.


@pytest.mark.postgres
def test_a_prepared_page_keeps_one_plan_for_every_offset(api_client, seed_data, settings):
    """Left to choose, PostgreSQL would plan the list's page again for each offset."""
    settings.API_RESPONSE_CACHE = False
    for offset in range(8):
        assert api_client.get(f"/api/commitments/?limit=2&offset={offset}").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ['%ORDER BY "commitments_commitment"."slug" ASC LIMIT $% OFFSET $%'],
        )
        plans = cursor.fetchall()
    assert plans
    assert all(generic > 0 and custom == 0 for generic, custom in plans)


@pytest.mark.postgres
def test_the_read_paths_statements_are_prepared_once_they_repeat(api_client, seed_data, settings):
    """The generation's read and a detail's statement: parsed and planned once per connection.

    Logged all the same with the values they ran with (statements.LoggedCursor).
    """
    settings.API_RESPONSE_CACHE = False
    slugs = list(Commitment.objects.order_by("slug").values_list("slug", flat=True))
    for slug in slugs[:6]:
        assert api_client.get(f"/api/commitments/{slug}/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(f"/api/commitments/{slugs[6]}/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any("set_config($1" in statement for statement in prepared)
    assert any('"commitments_commitment"."slug" = $' in statement for statement in prepared)
    logged = [query["sql"] for query in queries.captured_queries]
    assert len(logged) == 2
    assert "set_config('commitments.generation_bumped'" in logged[0]
    assert f'"commitments_commitment"."slug" = \'{slugs[6]}\'' in logged[1]


def test_each_scheme_and_host_reads_urls_of_its_own(api_client, seed_data, settings):
    """The detail URL's text is kept per scheme and host: a read never gets another host's."""
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]
    slug = "cn-kz-mutual-visa-exemption"
    for host, secure in [("one.example", False), ("two.example", True), ("one.example", True)]:
        base = f"{'https' if secure else 'http'}://{host}/api/commitments/"
        page = api_client.get("/api/commitments/?limit=3", HTTP_HOST=host, secure=secure).json()
        detail = api_client.get(f"/api/commitments/{slug}/", HTTP_HOST=host, secure=secure)
        assert [item["url"] for item in page["results"]] == [
            f"{base}{item['slug']}/" for item in page["results"]
        ]
        assert detail.json()["url"] == f"{base}{slug}/"
