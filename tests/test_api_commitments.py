"""GET /api/commitments/: representation, filters, ordering, time travel, pagination."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from commitments.choices import PartyRole, Status
from commitments.models import Commitment, CommitmentParty, PartyStatus

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/api/commitments/"


def slugs(response):
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["results"]]


def get_all(client, **params):
    return slugs(client.get(URL, {"limit": 500, **params}))


@pytest.fixture
def visa(seed_data):
    return Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")


def test_commitment_has_the_documented_shape(api_client, visa):
    body = api_client.get(f"{URL}{visa.slug}/").json()
    assert list(body) == [
        "slug",
        "title",
        "description",
        "category",
        "status",
        "status_date",
        "due_date",
        "overdue",
        "parties",
        "meeting",
        "origin",
        "mentions_count",
        "created_at",
        "updated_at",
        "version",
        "url",
    ]
    assert body["parties"] == [{"country": "CN", "role": "lead"}, {"country": "KZ", "role": "lead"}]
    assert body["meeting"]["date"] == "2023-04-26"
    assert body["meeting"]["city"] == "Xi’an"
    origin = body["origin"]
    text = visa.mentions.get().document.text
    assert text[origin["start"] : origin["end"]] == origin["quote"]
    assert origin["quote"].startswith("China and Kazakhstan will take the signing")
    assert body["status"] == "announced"
    assert body["url"] == f"http://testserver{URL}{visa.slug}/"


def test_list_and_detail_agree(api_client, visa):
    listed = next(
        item
        for item in api_client.get(URL, {"limit": 500}).json()["results"]
        if item["slug"] == visa.slug
    )
    assert listed == api_client.get(f"{URL}{visa.slug}/").json()


def test_unknown_slug_is_404_in_the_standard_shape(api_client, seed_data):
    response = api_client.get(f"{URL}no-such-commitment/")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "not_found"


def test_filter_by_country_returns_every_commitment_kazakhstan_is_party_to(api_client, seed_data):
    expected = set(Commitment.objects.filter(parties__country="KZ").values_list("slug", flat=True))
    assert set(get_all(api_client, country="KZ")) == expected
    assert "cn-consulate-general-aktobe" in expected
    assert "cn-tj-luban-workshop" not in expected
    assert set(get_all(api_client, country="kz")) == expected


def test_filter_by_lead_keeps_only_lead_parties(api_client, seed_data):
    led = set(get_all(api_client, lead="KZ"))
    assert "kz-consulate-general-xian" in led
    assert "cn-consulate-general-aktobe" not in led


@pytest.mark.parametrize("as_of", [None, "2024-06-30"])
def test_country_or_lead_with_statuses_equals_the_relations(api_client, db, settings, as_of):
    """Without `as_of`, the ids come from PartyStatus; as of a day, from the parties."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.API_RESPONSE_CACHE = False
    call_command("generate_data", commitments=300, seed=3, no_progress=True, stdout=io.StringIO())
    statuses = [Status.ANNOUNCED, Status.IN_PROGRESS]
    queryset = Commitment.objects.with_status(D.fromisoformat(as_of) if as_of else None)
    in_statuses = queryset.filter(effective_status__in=statuses)
    busiest = CommitmentParty.objects.values("country").annotate(n=Count("pk")).order_by("-n")
    checked = 0
    for code in [row["country"] for row in busiest[:3]]:
        for param, parties in (("country", {}), ("lead", {"parties__role": PartyRole.LEAD})):
            expected = set(
                in_statuses.filter(parties__country=code, **parties).values_list("slug", flat=True)
            )
            params = {param: code, "status": ",".join(statuses), "limit": 500}
            with CaptureQueriesContext(connection) as captured:
                response = api_client.get(URL, {**params, **({"as_of": as_of} if as_of else {})})
            assert set(slugs(response)) == expected
            assert response.json()["count"] == len(expected)
            table = PartyStatus._meta.db_table
            assert any(table in q["sql"] for q in captured) == (as_of is None)
            checked += len(expected)
    assert checked > 50


def test_filter_by_status_accepts_commas_and_repeats(api_client, visa, evidence):
    visa.record_status_update(status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence)
    assert get_all(api_client, status="completed") == [visa.slug]
    with_commas = get_all(api_client, status="completed,stalled")
    repeated = slugs(api_client.get(f"{URL}?status=completed&status=stalled&limit=500"))
    assert with_commas == repeated == [visa.slug]
    assert visa.slug not in get_all(api_client, status="announced")


def test_filter_by_category_and_meeting(api_client, seed_data):
    assert set(get_all(api_client, category="consular_presence")) == {
        "kz-consulate-general-xian",
        "cn-consulate-general-aktobe",
    }
    kg_talks = set(get_all(api_client, meeting="2023-04-26-xian-cn-kg-talks"))
    assert "cn-kg-uz-railway-feasibility-study" in kg_talks
    assert all(Commitment.objects.get(slug=s).meeting.slug.endswith("kg-talks") for s in kg_talks)


def test_due_and_overdue_filters(api_client, seed_data, evidence):
    sco = "cn-supports-kg-sco-heads-of-government-meeting-2023"
    assert get_all(api_client, due_before="2023-12-31") == [sco]
    assert get_all(api_client, due_after="2024-01-01") == []
    assert get_all(api_client, overdue="true") == [sco]
    assert sco not in get_all(api_client, overdue="false")
    Commitment.objects.get(slug=sco).record_status_update(
        status=Status.COMPLETED, effective_date=D(2023, 10, 26), **evidence
    )
    assert get_all(api_client, overdue="true") == []


def test_updated_since(api_client, visa, evidence):
    before = timezone.now()
    visa.record_status_update(status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence)
    assert get_all(api_client, updated_since=before.isoformat()) == [visa.slug]


def test_search_covers_title_description_and_quote(api_client, seed_data):
    assert "cn-kg-uz-railway-feasibility-study" in get_all(api_client, search="railway")
    # "Aktobe" is in the quote and titles; "respectively" only in the quote.
    assert set(get_all(api_client, search="respectively")) >= {
        "kz-consulate-general-xian",
        "cn-consulate-general-aktobe",
    }
    assert get_all(api_client, search="Luban") == ["cn-tj-luban-workshop"]


@pytest.mark.parametrize("field", ["status_date", "due_date", "updated_at", "title"])
def test_ordering_ascending_and_descending(api_client, seed_data, field):
    ascending = api_client.get(URL, {"ordering": field, "limit": 500}).json()["results"]
    descending = api_client.get(URL, {"ordering": f"-{field}", "limit": 500}).json()["results"]
    keys = [item[field] for item in ascending]
    present = [key for key in keys if key is not None]
    # Empty values come last in both directions, on every database.
    assert keys == sorted(present) + [None] * (len(keys) - len(present))
    assert [item[field] for item in descending] == sorted(present, reverse=True) + [None] * (
        len(keys) - len(present)
    )


def test_time_travel_reads_the_timeline(api_client, visa, evidence):
    visa.record_status_update(status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence)
    visa.record_status_update(status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence)
    past = api_client.get(f"{URL}{visa.slug}/", {"as_of": "2023-10-01"}).json()
    assert (past["status"], past["status_date"]) == ("formalized", "2023-09-01")
    assert get_all(api_client, status="completed", as_of="2023-12-31") == [visa.slug]
    assert get_all(api_client, status="completed", as_of="2023-11-09") == []
    assert visa.slug in get_all(api_client, status="formalized", as_of="2023-11-09")
    assert visa.slug in get_all(api_client, status="announced", as_of="2023-04-26")


def test_time_travel_leaves_out_commitments_not_yet_made(api_client, visa):
    assert get_all(api_client, as_of="2023-04-25") == []
    assert api_client.get(f"{URL}{visa.slug}/", {"as_of": "2023-04-25"}).status_code == 404
    assert len(get_all(api_client, as_of="2023-04-26")) == Commitment.objects.count()


def test_time_travel_combines_with_ordering(api_client, visa, evidence):
    visa.record_status_update(status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence)
    ordered = get_all(api_client, as_of="2023-12-31", ordering="-status_date")
    assert ordered[0] == visa.slug
    ordered = get_all(api_client, as_of="2023-05-01", ordering="-status_date")
    assert ordered[0] != visa.slug or len(set(ordered)) == 1


def test_limit_is_clamped_to_the_documented_maximum(api_client, seed_data, settings):
    body = api_client.get(URL, {"limit": 100000}).json()
    assert len(body["results"]) == min(Commitment.objects.count(), settings.API_MAX_PAGE_SIZE)


def test_pages_do_not_overlap(api_client, seed_data):
    first = slugs(api_client.get(URL, {"limit": 10}))
    second = slugs(api_client.get(URL, {"limit": 10, "offset": 10}))
    assert not set(first) & set(second)
    everything = get_all(api_client)
    assert everything[:20] == first + second


FILTERED = {"country": "KZ", "status": "announced,completed", "category": "trade,visa_regime"}


@pytest.mark.parametrize("size", [1, 10, 100, 500])
@pytest.mark.parametrize(
    ("params", "queries"),
    [
        ({}, 2),
        (FILTERED, 2),
        ({**FILTERED, "ordering": "-status_date", "as_of": "2024-01-01"}, 2),
        ({**FILTERED, "cursor": ""}, 2),
    ],
)
def test_list_runs_a_constant_number_of_queries(
    api_client, seed_data, django_assert_num_queries, size, params, queries
):
    # the data generation, and the page with its parties and origins,
    # rendered to JSON by the database, which also counts the results (not
    # in cursor mode) when no count is kept for the filters yet
    api_client.get(URL, {"country": "KZ"})  # Known country codes are then cached.
    with django_assert_num_queries(queries):
        response = api_client.get(URL, {"limit": size, **params})
    assert response.status_code == 200
    assert response.json()["results"]


def test_default_order_is_by_slug(api_client, seed_data):
    listed = get_all(api_client)
    assert listed == sorted(listed)


def test_cursor_pages_walk_everything_once_in_slug_order(api_client, seed_data):
    seen, url, pages = [], f"{URL}?cursor=&limit=7", 0
    while url:
        body = api_client.get(url).json()
        assert body["count"] is None and body["previous"] is None
        assert len(body["results"]) <= 7
        seen += [item["slug"] for item in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(Commitment.objects.values_list("slug", flat=True))
    assert pages == -(-len(seen) // 7)


def test_cursor_pages_combine_with_filters(api_client, seed_data):
    first = api_client.get(URL, {"cursor": "", "limit": 5, "country": "KZ"}).json()
    second = api_client.get(first["next"]).json()
    slugs_ = [item["slug"] for item in first["results"] + second["results"]]
    assert slugs_ == get_all(api_client, country="KZ")[:10]


@pytest.mark.parametrize(
    "params", [{"cursor": "not-a-cursor"}, {"cursor": "", "ordering": "-status_date"}]
)
def test_bad_cursor_requests_are_400(api_client, seed_data, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "cursor"
