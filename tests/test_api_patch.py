"""PATCH /api/commitments/{slug}/ with ETag preconditions."""

import pytest

from commitments.models import Commitment

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
URL = f"/api/commitments/{VISA}/"


def etag(client):
    return client.get(URL)["ETag"]


def test_get_sends_the_version_as_etag(api_client, seed_data):
    assert etag(api_client) == '"1"'


def test_patch_with_current_etag_edits_and_bumps_the_version(analyst_client, seed_data):
    response = analyst_client.patch(
        URL,
        {"title": "Mutual visa exemption", "due_date": "2024-12-31"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Mutual visa exemption"
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    commitment = Commitment.objects.get(slug=VISA)
    assert commitment.title == "Mutual visa exemption"
    assert commitment.history.count() >= 1


def test_patch_without_if_match_is_428_and_writes_nothing(analyst_client, seed_data):
    response = analyst_client.patch(URL, {"title": "Changed"}, format="json")
    assert response.status_code == 428
    assert response.json()["errors"][0]["code"] == "precondition_required"
    assert Commitment.objects.get(slug=VISA).title != "Changed"


@pytest.mark.parametrize("header", ['"7"', "1", "*", 'W/"0"'])
def test_patch_with_stale_or_malformed_etag_is_412(analyst_client, seed_data, header):
    response = analyst_client.patch(URL, {"title": "Changed"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 412
    assert Commitment.objects.get(slug=VISA).title != "Changed"


def test_a_status_update_makes_an_old_etag_stale(analyst_client, seed_data):
    old = etag(analyst_client)
    analyst_client.post(
        f"{URL}status-updates/",
        {
            "status": "formalized",
            "effective_date": "2023-09-01",
            "evidence_url": "https://example.org/signed",
        },
        format="json",
    )
    response = analyst_client.patch(URL, {"title": "Changed"}, format="json", HTTP_IF_MATCH=old)
    assert response.status_code == 412


def test_status_cannot_be_patched(analyst_client, seed_data):
    response = analyst_client.patch(
        URL, {"status": "completed"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert Commitment.objects.get(slug=VISA).status == "announced"


def test_parties_can_be_replaced(analyst_client, seed_data):
    response = analyst_client.patch(
        URL,
        {"parties": [{"country": "KZ", "role": "lead"}, {"country": "CN", "role": "partner"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["parties"] == [
        {"country": "CN", "role": "partner"},
        {"country": "KZ", "role": "lead"},
    ]


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"parties": [{"country": "XX", "role": "lead"}]}, "parties.0.country"),
        ({"parties": []}, "parties"),
        ({"category": "nonsense"}, "category"),
        ({"title": "x" * 301}, "title"),
        ({"due_date": "2020-01-01"}, "due_date"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_patches_are_400_and_write_nothing(analyst_client, seed_data, payload, attr):
    response = analyst_client.patch(URL, payload, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400, response.content
    assert attr in [error["attr"] for error in response.json()["errors"]]
    commitment = Commitment.objects.get(slug=VISA)
    assert commitment.version == 1
    assert list(commitment.parties.values_list("country", flat=True)) == ["CN", "KZ"]


def test_put_is_not_allowed(analyst_client, seed_data):
    response = analyst_client.put(URL, {"title": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 405


def test_a_patch_that_changes_nothing_keeps_the_version_and_etag(analyst_client, seed_data):
    # Bumping the version on a no-op would invalidate every client's ETag
    # (and every analyst's open form) for nothing.
    commitment = Commitment.objects.get(slug=VISA)
    parties = [{"country": p.country_id, "role": p.role} for p in commitment.parties.all()]
    response = analyst_client.patch(
        URL,
        {"title": commitment.title, "category": commitment.category, "parties": parties},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"1"'
    assert Commitment.objects.get(slug=VISA).version == 1
    assert commitment.history.count() == Commitment.objects.get(slug=VISA).history.count()


def test_a_party_without_its_country_is_400_naming_it(analyst_client, seed_data):
    response = analyst_client.patch(
        URL, {"parties": [{"role": "lead"}]}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == "parties.0.country"
    assert Commitment.objects.get(slug=VISA).version == 1
