"""Checking archived evidence links again: what each check records, and how politely."""

import datetime

import pytest
from django.utils import timezone

from commitments.choices import LinkHealth, Status
from commitments.evidence import services
from commitments.evidence.models import EvidenceCheck, EvidenceSnapshot
from tests.evidence.pages import ARTICLE, EXCERPT

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(commitment, site, django_capture_on_commit_callbacks):
    def archive(path: str, excerpt: str = EXCERPT) -> EvidenceSnapshot:
        with django_capture_on_commit_callbacks(execute=True):
            update = commitment.record_status_update(
                status=Status.COMPLETED,
                effective_date=commitment.made_on,
                evidence_url=site.url(path),
                evidence_excerpt=excerpt,
            )
        return EvidenceSnapshot.objects.get(status_update=update)

    return archive


def move(snapshot: EvidenceSnapshot, url: str) -> None:
    """Make the archived link lead somewhere else from now on."""
    EvidenceSnapshot.objects.filter(pk=snapshot.pk).update(requested_url=url)
    snapshot.requested_url = url


def check(snapshot: EvidenceSnapshot) -> EvidenceCheck:
    check = services.check_snapshot(snapshot)
    snapshot.refresh_from_db()
    assert (snapshot.link_health, snapshot.link_checked_at) == (check.outcome, check.checked_at)
    return check


def test_an_unchanged_page_is_ok_and_asked_for_conditionally(archive, site):
    snapshot = archive("/article")
    result = check(snapshot)
    assert (result.outcome, result.http_status) == (LinkHealth.OK, 304)
    # The server's ETag went back as If-None-Match: it answered 304 without a body.
    assert site.requests[-1][1]["If-None-Match"] == '"v1"'


def test_a_page_that_changes_but_keeps_the_excerpt_is_ok(archive, site):
    snapshot = archive("/changing")
    site.changing = ARTICLE.replace(b"Home | World", b"Home | World | Sport")
    result = check(snapshot)
    assert result.outcome == LinkHealth.OK
    assert result.reason == "the page changed; the excerpt is still there"
    assert result.sha256 != snapshot.sha256


def test_a_page_that_changes_and_loses_the_excerpt_is_changed(archive, site):
    snapshot = archive("/changing")
    assert check(snapshot).outcome == LinkHealth.OK
    site.changing = ARTICLE.replace(b"entered into force today", b"was postponed again")
    result = check(snapshot)
    assert (result.outcome, result.excerpt_found) == (LinkHealth.CHANGED, False)
    assert result.reason == "the page changed and the excerpt is no longer in it"


def test_a_page_that_now_answers_404_is_gone(archive, site):
    snapshot = archive("/changing")
    move(snapshot, site.url("/missing"))  # as if the page were taken down
    result = check(snapshot)
    assert (result.outcome, result.http_status) == (LinkHealth.GONE, 404)


def test_a_page_that_now_redirects_elsewhere_is_redirected(archive, site):
    snapshot = archive("/changing")
    move(snapshot, site.url("/moved"))
    result = check(snapshot)
    assert result.outcome == LinkHealth.REDIRECTED
    assert result.reason == f"now leads to {site.url('/elsewhere')}"


def test_a_redirect_to_a_private_address_is_failing_not_followed(archive, site):
    snapshot = archive("/changing")
    move(snapshot, site.url("/to-metadata"))
    result = check(snapshot)
    assert result.outcome == LinkHealth.FAILING
    assert "169.254.169.254 a private" in result.reason


def test_a_slow_page_is_failing(archive, site, settings):
    snapshot = archive("/changing")
    move(snapshot, site.url("/slow"))
    settings.EVIDENCE_FETCH_TIMEOUT = 0.2
    site.slow_seconds = 0.6
    assert check(snapshot).reason == "no complete answer within 0.2 s"


def test_failures_in_a_row_push_the_next_check_further_away(archive, site, settings):
    settings.EVIDENCE_CHECK_INTERVAL_DAYS = 7
    snapshot = archive("/changing")
    move(snapshot, site.url("/error"))
    assert [check(snapshot).failures_in_row for _ in range(3)] == [1, 2, 3]
    checked = snapshot.link_checked_at
    # After three failures the link waits 2**2 intervals, not one.
    assert services.due_snapshots(now=checked + datetime.timedelta(days=8)) == []
    assert services.due_snapshots(now=checked + datetime.timedelta(days=29)) == [snapshot]


def test_a_recently_checked_link_is_not_due(archive, settings):
    settings.EVIDENCE_CHECK_INTERVAL_DAYS = 7
    snapshot = archive("/article")
    assert services.due_snapshots() == [snapshot]
    check(snapshot)
    assert services.due_snapshots() == []
    assert services.due_snapshots(now=timezone.now() + datetime.timedelta(days=8)) == [snapshot]


def test_only_archived_snapshots_are_checked(archive):
    archive("/missing")
    assert services.due_snapshots(everything=True) == []


def test_requests_to_one_host_are_spaced_out_and_slowed_after_errors(archive, site):
    snapshots = [archive("/article"), archive("/changing"), archive("/changing")]
    move(snapshots[1], site.url("/error"))
    waits = []
    services.check_links(snapshots, host_delay=2.0, sleep=waits.append)
    # A wait of up to the base delay, then (after the 503) of up to twice it:
    # each is the delay less the time the previous request took.
    assert len(waits) == 2
    assert 0 < waits[0] <= 2.0
    assert 2.0 < waits[1] <= 4.0
