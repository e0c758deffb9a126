"""Bad input gets a 4xx in one JSON shape, never a 500, and writes nothing."""

import pytest

from commitments.models import Commitment, StatusUpdate

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
TIMELINE = f"/api/commitments/{VISA}/status-updates/"


def assert_error(response, status, attr=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}
    if attr is not None:
        assert attr in [error["attr"] for error in body["errors"]], body
    return body


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"status": "done"}, "status"),
        ({"category": "space"}, "category"),
        ({"country": "ZZ"}, "country"),
        ({"lead": "Kazakhstan"}, "lead"),
        ({"meeting": "nowhere"}, "meeting"),
        ({"due_before": "31/12/2023"}, "due_before"),
        ({"due_after": "2023-13-01"}, "due_after"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"updated_since": "last week"}, "updated_since"),
        ({"ordering": "password"}, "ordering"),
        ({"as_of": "2023-02-30"}, "as_of"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"search": "rail\x00way"}, "search"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_parameter(api_client, seed_data, params, attr):
    assert_error(api_client.get("/api/commitments/", params), 400, attr)


def test_as_of_on_the_detail_is_validated(api_client, seed_data):
    assert_error(api_client.get(f"/api/commitments/{VISA}/", {"as_of": "soon"}), 400, "as_of")


def test_malformed_json_is_400(analyst_client, seed_data):
    response = analyst_client.generic(
        "POST", TIMELINE, '{"status": "completed",', content_type="application/json"
    )
    assert_error(response, 400)
    assert StatusUpdate.objects.count() == 0


def test_wrong_content_type_is_415(analyst_client, seed_data):
    response = analyst_client.generic(
        "POST", TIMELINE, "status=completed", content_type="text/plain"
    )
    assert_error(response, 415)


def test_body_over_the_limit_is_refused(analyst_client, seed_data, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = analyst_client.post(
        TIMELINE,
        {"status": "completed", "effective_date": "2023-11-10", "note": "x" * 5000},
        format="json",
    )
    assert response.status_code in (400, 413)
    assert_error(response, response.status_code)
    assert StatusUpdate.objects.count() == 0


def test_over_long_strings_are_400(analyst_client, seed_data):
    response = analyst_client.post(
        TIMELINE,
        {
            "status": "completed",
            "effective_date": "2023-11-10",
            "evidence_url": "https://example.org/" + "a" * 600,
        },
        format="json",
    )
    assert_error(response, 400, "evidence_url")


def test_json_that_is_not_an_object_is_400(analyst_client, seed_data):
    response = analyst_client.post(TIMELINE, ["completed"], format="json")
    assert_error(response, 400)
    response = analyst_client.patch(
        f"/api/commitments/{VISA}/", "null", content_type="application/json", HTTP_IF_MATCH='"1"'
    )
    assert_error(response, 400)
    assert Commitment.objects.get(slug=VISA).version == 1


def test_unknown_routes_and_methods(api_client, seed_data):
    assert api_client.delete(f"/api/commitments/{VISA}/").status_code in (401, 405)
    assert_error(api_client.get("/api/countries/XX/"), 404)
