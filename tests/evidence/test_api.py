"""`evidence_archive` on each timeline entry, and the archived copy served by the API."""

import gzip
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from warcio.archiveiterator import ArchiveIterator

from commitments.choices import Status
from commitments.evidence.models import EvidenceSnapshot
from tests.evidence.pages import ARTICLE, EXCERPT
from tests.factories import CommitmentFactory, MentionFactory

pytestmark = pytest.mark.django_db


def record(commitment, url, excerpt=EXCERPT):
    return commitment.record_status_update(
        status=Status.COMPLETED,
        effective_date=commitment.made_on,
        evidence_url=url,
        evidence_excerpt=excerpt,
    )


@pytest.fixture
def archived_update(commitment, site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return record(commitment, site.url("/hop/1"))


def timeline(api_client, commitment):
    response = api_client.get(f"/api/commitments/{commitment.slug}/status-updates/")
    assert response.status_code == 200
    return response.json()["results"]


def test_it_is_null_until_a_fetch_has_finished(api_client, commitment, site):
    record(commitment, site.url("/article"))
    [entry] = timeline(api_client, commitment)
    assert entry["evidence_archive"] is None


def test_it_describes_the_archived_copy(api_client, commitment, archived_update, site):
    [entry] = timeline(api_client, commitment)
    snapshot = EvidenceSnapshot.objects.get()
    archive = entry["evidence_archive"]
    base = f"http://testserver/api/status-updates/{archived_update.uuid}/evidence"
    assert archive == {
        "state": "archived",
        "reason": "",
        "retrieved_at": archive["retrieved_at"],
        "http_status": 200,
        "final_url": site.url("/article"),
        "sha256": snapshot.sha256,
        "excerpt_found": True,
        "text_url": f"{base}/text/",
        "warc_url": f"{base}/warc/",
    }
    assert archive["retrieved_at"].startswith(snapshot.retrieved_at.strftime("%Y-%m-%dT%H:%M"))


def test_it_gives_the_reason_when_a_page_was_refused(
    api_client, commitment, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(commitment, site.url("/image.png"))
    [entry] = timeline(api_client, commitment)
    archive = entry["evidence_archive"]
    assert archive["state"] == "refused"
    assert archive["reason"].startswith("the content type image/png is not archived")
    assert (archive["text_url"], archive["warc_url"], archive["excerpt_found"]) == (
        None,
        None,
        None,
    )


def test_the_feed_carries_it_too(api_client, archived_update):
    [entry] = api_client.get("/api/status-updates/").json()["results"]
    assert entry["id"] == str(archived_update.uuid)
    assert entry["evidence_archive"]["state"] == "archived"


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in context.captured_queries]


def test_timeline_and_feed_read_a_constant_number_of_queries(
    api_client, site, django_capture_on_commit_callbacks
):
    # Archived and not-yet-archived entries alike: the snapshot is joined to
    # the page's one query of updates, never read per entry.
    commitment = MentionFactory(commitment=CommitmentFactory()).commitment
    timeline_url = f"/api/commitments/{commitment.slug}/status-updates/"
    counts = {}
    for number in range(12):
        if number % 2:
            record(commitment, site.url(f"/article?n={number}"))
        else:
            with django_capture_on_commit_callbacks(execute=True):
                record(commitment, site.url("/article"))
        if number in (0, 11):
            counts[number] = [
                queries_for(api_client, timeline_url),
                queries_for(api_client, "/api/status-updates/"),
            ]
    assert EvidenceSnapshot.objects.count() == 6
    for first, last in zip(counts[0], counts[11], strict=True):
        assert len(first) == len(last)
        assert not any(
            sql.lstrip().startswith('SELECT "commitments_evidencesnapshot"') for sql in last
        )
    # The commitment, the count and the page; and the feed's count and page
    # (plus whatever the middleware reads once per request).
    assert len(counts[11][0]) <= 4
    assert len(counts[11][1]) <= 3


def test_the_text_endpoint_serves_plain_text_that_runs_nothing(api_client, archived_update):
    response = api_client.get(f"/api/status-updates/{archived_update.uuid}/evidence/text/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Security-Policy"].startswith("default-src 'none'; sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"
    text = response.content.decode()
    assert "entered into force today" in text
    assert "<script" not in text


def test_the_warc_endpoint_is_a_download(api_client, archived_update):
    response = api_client.get(
        f"/api/status-updates/{archived_update.uuid}/evidence/warc/", HTTP_ACCEPT="*/*"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/warc"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    data = b"".join(response.streaming_content)
    assert gzip.decompress(data).startswith(b"WARC/1.1")
    bodies = [
        record.content_stream().read()
        for record in ArchiveIterator(io.BytesIO(data))
        if record.rec_type == "response"
    ]
    assert bodies[-1] == ARTICLE


def test_the_copy_endpoints_answer_404_without_an_archived_copy(api_client, commitment, site):
    update = record(commitment, site.url("/article"))
    for kind in ("text", "warc"):
        response = api_client.get(f"/api/status-updates/{update.uuid}/evidence/{kind}/")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"
    assert api_client.get("/api/status-updates/not-a-uuid/evidence/text/").status_code == 404


def test_the_copy_is_closed_when_the_api_needs_a_login(
    api_client, viewer_client, archived_update, settings
):
    settings.API_LOGIN_REQUIRED = True
    url = f"/api/status-updates/{archived_update.uuid}/evidence/text/"
    assert api_client.get(url).status_code == 401
    assert viewer_client.get(url).status_code == 200
