"""Recording status updates through the API, and the global feed."""

import datetime

import pytest
from django.utils import timezone

from commitments.models import Commitment, StatusUpdate

pytestmark = pytest.mark.django_db

D = datetime.date
VISA = "cn-kz-mutual-visa-exemption"
TIMELINE = f"/api/commitments/{VISA}/status-updates/"
PAYLOAD = {
    "status": "completed",
    "effective_date": "2023-11-10",
    "evidence_url": "https://example.org/visa-free-regime",
    "evidence_title": "Visa-free regime between China and Kazakhstan takes effect",
    "evidence_publisher": "Example News",
    "evidence_excerpt": "The agreement entered into force on 10 November 2023.",
    "note": "Entry into force.",
}


def test_analyst_records_an_update_and_gets_the_new_state(analyst_client, seed_data):
    response = analyst_client.post(TIMELINE, PAYLOAD, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["update"]["status"] == "completed"
    assert body["update"]["recorded_by"] == "analyst"
    assert body["update"]["evidence_url"] == PAYLOAD["evidence_url"]
    assert body["commitment"] == {
        "slug": VISA,
        "status": "completed",
        "status_date": "2023-11-10",
        "version": 2,
    }
    assert response["ETag"] == '"2"'
    commitment = Commitment.objects.get(slug=VISA)
    assert (commitment.status, commitment.version) == ("completed", 2)


def test_form_encoded_updates_are_accepted(analyst_client, seed_data):
    response = analyst_client.post(TIMELINE, PAYLOAD, format="multipart")
    assert response.status_code == 201, response.content


def test_timeline_lists_newest_first(analyst_client, api_client, seed_data):
    analyst_client.post(TIMELINE, {**PAYLOAD, "effective_date": "2023-11-10"}, format="json")
    analyst_client.post(
        TIMELINE,
        {**PAYLOAD, "status": "formalized", "effective_date": "2023-09-01"},
        format="json",
    )
    results = api_client.get(TIMELINE).json()["results"]
    assert [r["effective_date"] for r in results] == ["2023-11-10", "2023-09-01"]
    assert Commitment.objects.get(slug=VISA).status == "completed"


def test_status_may_move_backwards(analyst_client, seed_data):
    analyst_client.post(
        TIMELINE, {**PAYLOAD, "status": "stalled", "effective_date": "2023-06-01"}, format="json"
    )
    analyst_client.post(
        TIMELINE,
        {**PAYLOAD, "status": "in_progress", "effective_date": "2023-07-01"},
        format="json",
    )
    assert Commitment.objects.get(slug=VISA).status == "in_progress"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"evidence_url": ""}, "evidence_url", "needs evidence"),
        ({"status": "done"}, "status", "not a valid choice"),
        ({"effective_date": "10/11/2023"}, "effective_date", "wrong format"),
        ({"effective_date": "2023-04-01"}, "effective_date", "before the commitment was made"),
        ({"evidence_url": "not a url"}, "evidence_url", "valid URL"),
        ({"evidence_title": "x" * 301}, "evidence_title", "no more than 300"),
        ({"evidence_document": "no-such-source"}, "evidence_document", "does not exist"),
    ],
)
def test_bad_updates_are_refused_and_write_nothing(
    analyst_client, seed_data, change, field, fragment
):
    response = analyst_client.post(TIMELINE, {**PAYLOAD, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    error = next(e for e in body["errors"] if e["attr"] == field)
    assert fragment in error["detail"]
    assert StatusUpdate.objects.count() == 0
    assert Commitment.objects.get(slug=VISA).version == 1


def test_future_effective_date_is_refused(analyst_client, seed_data):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = analyst_client.post(TIMELINE, {**PAYLOAD, "effective_date": tomorrow}, format="json")
    assert response.status_code == 400
    assert "in the future" in response.json()["errors"][0]["detail"]
    assert StatusUpdate.objects.count() == 0


def test_a_source_document_is_evidence_enough(analyst_client, seed_data):
    payload = {"status": "formalized", "effective_date": "2023-05-01"}
    payload["evidence_document"] = "mfa-cn-2023-04-26-qin-gang-talks-central-asian-ministers"
    response = analyst_client.post(TIMELINE, payload, format="json")
    assert response.status_code == 201, response.content


def test_update_on_unknown_commitment_is_404(analyst_client, seed_data):
    response = analyst_client.post(
        "/api/commitments/nothing/status-updates/", PAYLOAD, format="json"
    )
    assert response.status_code == 404


def test_global_feed_filters(analyst_client, api_client, seed_data):
    start = timezone.now()
    analyst_client.post(TIMELINE, PAYLOAD, format="json")
    analyst_client.post(
        "/api/commitments/cn-tj-luban-workshop/status-updates/",
        {**PAYLOAD, "status": "in_progress"},
        format="json",
    )
    feed = api_client.get("/api/status-updates/").json()["results"]
    assert [u["commitment"] for u in feed] == ["cn-tj-luban-workshop", VISA]
    kz = api_client.get("/api/status-updates/", {"country": "KZ"}).json()["results"]
    assert [u["commitment"] for u in kz] == [VISA]
    completed = api_client.get("/api/status-updates/", {"status": "completed"}).json()["results"]
    assert [u["commitment"] for u in completed] == [VISA]
    since = api_client.get("/api/status-updates/", {"since": start.isoformat()}).json()
    assert since["count"] == 2
    later = api_client.get(
        "/api/status-updates/",
        {"since": (timezone.now() + datetime.timedelta(seconds=1)).isoformat()},
    ).json()
    assert later["count"] == 0


def test_feed_rejects_unknown_country_and_bad_timestamp(api_client, seed_data):
    assert api_client.get("/api/status-updates/", {"country": "ZZ"}).status_code == 400
    assert api_client.get("/api/status-updates/", {"since": "yesterday"}).status_code == 400


@pytest.mark.parametrize("size", [1, 10, 100, 500])
def test_feed_runs_a_constant_number_of_queries(
    analyst_client, api_client, seed_data, django_assert_max_num_queries, size
):
    for slug in Commitment.objects.values_list("slug", flat=True)[:20]:
        analyst_client.post(f"/api/commitments/{slug}/status-updates/", PAYLOAD, format="json")
    with django_assert_max_num_queries(3):
        response = api_client.get(
            "/api/status-updates/", {"limit": size, "country": "KZ", "status": "completed"}
        )
    assert response.status_code == 200
