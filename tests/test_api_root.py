"""/api/ lists the endpoints, and closing reads closes the root, the schema and the docs too."""

import pytest
import yaml

from tests.test_api_schema import SCHEMA_FILE

pytestmark = pytest.mark.django_db


def test_the_api_root_links_every_endpoint(api_client):
    response = api_client.get("/api/")
    assert response.status_code == 200
    links = response.json()
    assert links["commitments"] == "http://testserver/api/commitments/"
    assert links["status_updates"] == "http://testserver/api/status-updates/"
    assert {"countries", "officials", "meetings", "sources", "auth_token", "schema", "docs"} <= set(
        links
    )
    for url in links.values():
        if not url.endswith("/auth/token/"):
            assert api_client.get(url).status_code == 200, url


@pytest.mark.parametrize("path", ["/api/", "/api/schema/", "/api/docs/", "/api/commitments/"])
def test_login_required_closes_the_root_schema_and_docs(api_client, analyst_client, settings, path):
    settings.API_LOGIN_REQUIRED = True
    response = api_client.get(path)
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert analyst_client.get(path).status_code == 200


def test_the_schema_says_reads_are_open_and_writes_are_not():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    commitment = schema["paths"]["/api/commitments/{slug}/"]
    # {} is OpenAPI's "no authentication needed".
    assert {} in commitment["get"]["security"]
    assert {} not in commitment["patch"]["security"]
    timeline = schema["paths"]["/api/commitments/{slug}/status-updates/"]
    assert {} in timeline["get"]["security"]
    assert {} not in timeline["post"]["security"]


def test_a_session_in_the_browser_gets_the_browsable_api_and_a_token_client_json(
    client, analyst, analyst_client
):
    client.force_login(analyst)
    page = client.get("/api/countries/", HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")
    assert b"Country List" in page.content or b"Countries" in page.content
    token = analyst_client.get("/api/countries/", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert token["Content-Type"] == "application/json"


def test_view_on_site_leads_a_logged_in_analyst_to_a_readable_page(client, analyst, seed_data):
    from django.contrib.contenttypes.models import ContentType

    from commitments.models import Commitment

    client.force_login(analyst)
    commitment = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    content_type = ContentType.objects.get_for_model(Commitment)
    response = client.get(
        f"/admin/r/{content_type.pk}/{commitment.pk}/", HTTP_ACCEPT="text/html", follow=True
    )
    assert response.redirect_chain[-1][0].endswith(f"/api/commitments/{commitment.slug}/")
    assert response["Content-Type"].startswith("text/html")
    assert commitment.title.encode() in response.content


@pytest.mark.parametrize(
    "query", ["limit=3&offset=2", "limit=3&cursor=", "limit=3&country=KZ&ordering=-due_date"]
)
def test_the_browsable_api_shows_the_page_the_json_holds(
    client, analyst, api_client, seed_data, query
):
    client.force_login(analyst)
    page = client.get(f"/api/commitments/?{query}", HTTP_ACCEPT="text/html")
    assert page["Content-Type"].startswith("text/html")
    expected = api_client.get(f"/api/commitments/?{query}").json()
    assert len(expected["results"]) == 3
    assert {key: page.data[key] for key in expected} == expected
    for item in expected["results"]:
        assert item["slug"] in page.content.decode()
