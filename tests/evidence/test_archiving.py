"""Recording a status update archives its evidence afterwards, whatever the page does."""

import hashlib
import logging
from unittest import mock

import pytest
from django.core.files.storage import default_storage

from commitments.choices import ArchiveState, Status
from commitments.evidence import services
from commitments.evidence.models import EvidenceSnapshot
from tests.evidence.pages import ARTICLE, EXCERPT, PLAIN

pytestmark = pytest.mark.django_db

TIMELINE = "/api/commitments/{slug}/status-updates/"


def record(commitment, url, excerpt=EXCERPT, **extra):
    return commitment.record_status_update(
        status=Status.COMPLETED,
        effective_date=commitment.made_on,
        evidence_url=url,
        evidence_excerpt=excerpt,
        **extra,
    )


def archived(commitment, url, capture, excerpt=EXCERPT) -> EvidenceSnapshot:
    with capture(execute=True):
        update = record(commitment, url, excerpt)
    return EvidenceSnapshot.objects.get(status_update=update)


def test_it_archives_a_normal_article_once_the_update_is_stored(
    commitment, site, django_capture_on_commit_callbacks
):
    snapshot = archived(commitment, site.url("/article"), django_capture_on_commit_callbacks)
    assert snapshot.state == ArchiveState.ARCHIVED
    assert (snapshot.http_status, snapshot.size) == (200, len(ARTICLE))
    assert snapshot.sha256 == hashlib.sha256(ARTICLE).hexdigest()
    assert snapshot.content_type == "text/html; charset=utf-8"
    assert snapshot.final_url == snapshot.requested_url == site.url("/article")
    assert snapshot.excerpt_found is True
    assert snapshot.etag == '"v1"'
    # The files are in storage, named in the row; the row holds no body.
    assert default_storage.exists(snapshot.warc_file)
    assert snapshot.warc_file.endswith(".warc.gz")
    text = snapshot.read_text()
    assert "entered into force today" in text
    assert "scripted" not in text and "Copyright the publisher" not in text


def test_it_does_not_fetch_before_the_transaction_commits(commitment, site):
    # Inside the test's transaction nothing commits: no fetch, no snapshot.
    record(commitment, site.url("/article"))
    assert not EvidenceSnapshot.objects.exists()
    assert site.requests == []


def test_it_records_the_final_url_of_a_redirect_chain(
    commitment, site, django_capture_on_commit_callbacks
):
    snapshot = archived(commitment, site.url("/hop/3"), django_capture_on_commit_callbacks)
    assert snapshot.state == ArchiveState.ARCHIVED
    assert snapshot.requested_url == site.url("/hop/3")
    assert snapshot.final_url == site.url("/article")


@pytest.mark.parametrize(
    ("path", "state", "status", "reason"),
    [
        ("/missing", "failed", 404, "HTTP 404 Not Found"),
        ("/huge", "refused", None, "over the 100000-byte limit"),
        ("/image.png", "refused", 200, "the content type image/png is not archived"),
        ("/to-metadata", "refused", 302, "169.254.169.254 a private"),
    ],
)
def test_it_records_why_a_page_was_not_archived(
    commitment, site, django_capture_on_commit_callbacks, path, state, status, reason
):
    snapshot = archived(commitment, site.url(path), django_capture_on_commit_callbacks)
    assert (snapshot.state, snapshot.http_status) == (state, status)
    assert reason in snapshot.reason
    assert (snapshot.warc_file, snapshot.text_file, snapshot.sha256) == ("", "", "")
    assert snapshot.excerpt_found is None


def test_it_records_a_slow_page_as_failed(
    commitment, site, settings, django_capture_on_commit_callbacks
):
    settings.EVIDENCE_FETCH_TIMEOUT = 0.2
    site.slow_seconds = 0.6
    snapshot = archived(commitment, site.url("/slow"), django_capture_on_commit_callbacks)
    assert (snapshot.state, snapshot.reason) == ("failed", "no complete answer within 0.2 s")


def test_it_archives_plain_text_and_checks_the_excerpt_in_it(
    commitment, site, django_capture_on_commit_callbacks
):
    snapshot = archived(
        commitment,
        site.url("/notice.txt"),
        django_capture_on_commit_callbacks,
        excerpt="the railway feasibility study was signed",
    )
    assert snapshot.state == ArchiveState.ARCHIVED
    assert snapshot.read_text() == PLAIN.decode()
    assert snapshot.excerpt_found is True


@pytest.mark.parametrize(
    ("excerpt", "found"),
    [
        ("The agreement … entered into force today", True),
        ("the agreement  on mutual visa exemption between the People’s Republic", True),
        ("The agreement was cancelled", False),
        ("", None),
    ],
)
def test_it_checks_the_excerpt_ignoring_case_quotes_spacing_and_omissions(
    commitment, site, django_capture_on_commit_callbacks, excerpt, found
):
    snapshot = archived(
        commitment, site.url("/article"), django_capture_on_commit_callbacks, excerpt=excerpt
    )
    assert snapshot.excerpt_found is found


def test_recording_through_the_api_answers_201_whatever_the_page_does(
    analyst_client, commitment, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(
            TIMELINE.format(slug=commitment.slug),
            {
                "status": "completed",
                "effective_date": commitment.made_on.isoformat(),
                "evidence_url": site.url("/to-metadata"),
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    assert EvidenceSnapshot.objects.get().state == ArchiveState.REFUSED


def test_a_failure_to_enqueue_is_logged_not_raised(
    commitment, site, django_capture_on_commit_callbacks, caplog
):
    with (
        mock.patch("commitments.evidence.tasks.archive_evidence") as task,
        caplog.at_level(logging.ERROR, logger="commitments.evidence.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        task.enqueue.side_effect = RuntimeError("queue down")
        update = record(commitment, site.url("/article"))
    assert update.pk is not None
    assert not EvidenceSnapshot.objects.exists()
    assert "archive_evidence --pending" in caplog.text


def test_a_crash_while_archiving_does_not_reach_the_recorder(
    commitment, site, django_capture_on_commit_callbacks
):
    # The task runner keeps the task's exception in its result.
    with (
        mock.patch.object(services, "fetch", side_effect=RuntimeError("bug")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        update = record(commitment, site.url("/article"))
    assert update.pk is not None
    assert not EvidenceSnapshot.objects.exists()


def test_an_update_without_an_evidence_url_enqueues_nothing(
    commitment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        commitment.record_status_update(
            status=Status.ANNOUNCED, effective_date=commitment.made_on, note="Restated."
        )
    assert callbacks == []


def test_a_second_archive_of_the_same_update_keeps_the_first(
    commitment, site, django_capture_on_commit_callbacks
):
    snapshot = archived(commitment, site.url("/article"), django_capture_on_commit_callbacks)
    again = services.archive_status_update(status_update_id=snapshot.status_update_id)
    assert again.pk == snapshot.pk
    assert len(site.requests) == 1


def test_a_concurrent_second_snapshot_loses_and_leaves_no_files(
    commitment, site, django_capture_on_commit_callbacks
):
    snapshot = archived(commitment, site.url("/article"), django_capture_on_commit_callbacks)
    result = services.fetch(site.url("/article"))
    kept = services.record_snapshot(snapshot.status_update, result)
    assert kept.pk == snapshot.pk
    files = default_storage.listdir(snapshot.warc_file.rsplit("/", 1)[0])[1]
    assert sorted(files) == sorted(
        name.rsplit("/", 1)[1] for name in (snapshot.warc_file, snapshot.text_file)
    )
