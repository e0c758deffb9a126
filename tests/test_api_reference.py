"""Countries, officials, meetings and source documents."""

import pytest

pytestmark = pytest.mark.django_db


def test_countries_by_code(api_client, seed_data):
    listed = api_client.get("/api/countries/").json()
    assert {c["code"] for c in listed["results"]} == {"CN", "KZ", "KG", "TJ", "UZ", "TM"}
    body = api_client.get("/api/countries/KZ/").json()
    assert body == {
        "code": "KZ",
        "alpha3": "KAZ",
        "name": "Kazakhstan",
        "url": "http://testserver/api/countries/KZ/",
    }


def test_officials_carry_aliases_and_positions(api_client, seed_data):
    body = api_client.get("/api/officials/zheenbek-kulubaev/").json()
    assert body["name"] == "Kulubaev Zheenbek Moldokanovich"
    assert "Jeenbek Kulubayev" in body["aliases"]
    assert body["positions"] == [
        {
            "title": "Minister of Foreign Affairs",
            "country": "KG",
            "start_date": None,
            "end_date": None,
        }
    ]


def test_meetings_show_participants_and_parent(api_client, seed_data):
    body = api_client.get("/api/meetings/2023-04-26-xian-cn-kz-talks/").json()
    assert body["kind"] == "bilateral_talks"
    assert body["parent"] == "2023-04-27-xian-4th-china-central-asia-foreign-ministers-meeting"
    assert {(p["official"], p["role"]) for p in body["participants"]} == {
        ("qin-gang", "host"),
        ("murat-nurtleu", "guest"),
    }


def test_source_text_only_on_the_detail(api_client, seed_data):
    listed = api_client.get("/api/sources/").json()["results"]
    assert "text" not in listed[0]
    detail = api_client.get(listed[0]["url"]).json()
    assert detail["text"].startswith("Ministry of Foreign Affairs")
    assert len(detail["sha256"]) == 64


@pytest.mark.parametrize(
    "url", ["/api/countries/", "/api/officials/", "/api/meetings/", "/api/sources/"]
)
@pytest.mark.parametrize("size", [1, 10, 100, 500])
def test_reference_lists_run_a_constant_number_of_queries(
    api_client, seed_data, django_assert_max_num_queries, url, size
):
    # The data generation, then what the page itself needs.
    with django_assert_max_num_queries(5):
        assert api_client.get(url, {"limit": size}).status_code == 200
