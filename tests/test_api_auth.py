"""Who may read and write: anonymous, viewer, analyst, bad token; the token endpoint."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from commitments.models import StatusUpdate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
TIMELINE = f"/api/commitments/{VISA}/status-updates/"
UPDATE = {
    "status": "formalized",
    "effective_date": "2023-09-01",
    "evidence_url": "https://example.org/signed",
}


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def test_anonymous_clients_read_but_cannot_write(api_client, seed_data):
    assert api_client.get("/api/commitments/").status_code == 200
    response = api_client.post(TIMELINE, UPDATE, format="json")
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    response = api_client.patch(
        f"/api/commitments/{VISA}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 401
    assert StatusUpdate.objects.count() == 0


def test_reads_can_require_login(api_client, viewer_client, seed_data, settings):
    settings.API_LOGIN_REQUIRED = True
    assert api_client.get("/api/commitments/").status_code == 401
    assert api_client.get("/api/countries/KZ/").status_code == 401
    assert viewer_client.get("/api/commitments/").status_code == 200


def test_viewer_cannot_write(viewer_client, seed_data):
    assert viewer_client.post(TIMELINE, UPDATE, format="json").status_code == 403
    response = viewer_client.patch(
        f"/api/commitments/{VISA}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert StatusUpdate.objects.count() == 0


def test_analyst_can_write(analyst_client, seed_data):
    assert analyst_client.post(TIMELINE, UPDATE, format="json").status_code == 201
    response = analyst_client.patch(
        f"/api/commitments/{VISA}/", {"title": "New"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 200


def test_bad_token_is_401_even_for_reads(api_client, seed_data):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get("/api/commitments/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_session_writes_need_csrf(seed_data, analyst):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(analyst)
    response = client.post(TIMELINE, UPDATE, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("fmt", ["json", "multipart"])
def test_token_endpoint_accepts_json_and_forms(api_client, fmt):
    UserFactory(username="ana", password="s3cret-pass-word")
    response = api_client.post(
        "/api/auth/token/", {"username": "ana", "password": "s3cret-pass-word"}, format=fmt
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/commitments/").status_code == 200


def test_token_endpoint_refuses_wrong_password(api_client):
    UserFactory(username="ana", password="s3cret-pass-word")
    response = api_client.post(
        "/api/auth/token/", {"username": "ana", "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_endpoint_is_throttled(api_client, settings):
    settings.API_TOKEN_THROTTLE_RATE = "3/minute"
    codes = [
        api_client.post(
            "/api/auth/token/", {"username": "x", "password": "y"}, format="json"
        ).status_code
        for _ in range(5)
    ]
    assert codes == [400, 400, 400, 429, 429]


def test_anonymous_reads_are_throttled(api_client, seed_data, settings):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    codes = [api_client.get(f"/api/countries/?limit={n}").status_code for n in (1, 2, 3)]
    assert codes == [200, 200, 429]


def test_a_cached_anonymous_read_skips_the_throttle(api_client, seed_data, settings):
    """Repeating a read the cache holds costs no work, so it is not counted."""
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    codes = [api_client.get("/api/countries/").status_code for _ in range(4)]
    codes.append(api_client.get("/api/countries/?limit=3").status_code)
    assert codes == [200, 200, 200, 200, 200]
    assert api_client.get("/api/countries/?limit=4").status_code == 429
