"""The archive in the admin: timeline column, text view, WARC download, dashboard."""

import pytest
from django.urls import reverse

from commitments.choices import Status
from commitments.evidence import services
from commitments.evidence.models import EvidenceSnapshot
from tests.admin_pages import change_url
from tests.evidence.pages import EXCERPT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(commitment, site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        commitment.record_status_update(
            status=Status.COMPLETED,
            effective_date=commitment.made_on,
            evidence_url=site.url("/changing"),
            evidence_excerpt=EXCERPT,
        )
    return EvidenceSnapshot.objects.get()


def test_the_timeline_shows_archived_and_excerpt_found_with_the_copy(
    client, viewer, commitment, snapshot
):
    client.force_login(viewer)
    html = client.get(change_url(commitment)).content.decode()
    assert f"archived · excerpt found · {snapshot.retrieved_at:%Y-%m-%d}" in html
    assert reverse("admin:commitments_evidence_text", args=[snapshot.pk]) in html
    assert reverse("admin:commitments_evidence_warc", args=[snapshot.pk]) in html


def test_the_timeline_says_why_a_page_was_not_archived(
    client, analyst, commitment, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        commitment.record_status_update(
            status=Status.COMPLETED,
            effective_date=commitment.made_on,
            evidence_url=site.url("/missing"),
        )
    client.force_login(analyst)
    html = client.get(change_url(commitment)).content.decode()
    assert "failed · " in html
    assert "HTTP 404 Not Found" in html


def test_the_text_view_shows_the_text_escaped_never_the_page(client, viewer, snapshot):
    client.force_login(viewer)
    response = client.get(reverse("admin:commitments_evidence_text", args=[snapshot.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "entered into force today" in html
    # The archived page's script is not on our page, and our own policy applies.
    assert "scripted" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Excerpt found" in html


def test_the_warc_is_a_download_under_a_policy_that_allows_nothing(client, viewer, snapshot):
    client.force_login(viewer)
    response = client.get(reverse("admin:commitments_evidence_warc", args=[snapshot.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{snapshot.uuid}.warc.gz"'
    assert response["Content-Type"] == "application/warc"
    assert response["Content-Security-Policy"].startswith("default-src 'none'; sandbox")
    assert b"".join(response.streaming_content)[:2] == b"\x1f\x8b"


def test_the_copy_needs_the_permission_to_see_the_timeline(client, snapshot):
    client.force_login(UserFactory(is_staff=True))
    for name in ("admin:commitments_evidence_text", "admin:commitments_evidence_warc"):
        assert client.get(reverse(name, args=[snapshot.pk])).status_code == 403


def test_an_unknown_snapshot_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("admin:commitments_evidence_text", args=[999])).status_code == 404


def test_the_dashboard_lists_rotted_evidence_with_the_archived_copy(
    client, viewer, commitment, snapshot, site
):
    client.force_login(viewer)
    dashboard = reverse("admin:commitments_dashboard")
    assert "No evidence link has rotted" in client.get(dashboard).content.decode()
    site.changing = b"<html><body><p>This page was replaced.</p></body></html>"
    services.check_links(services.due_snapshots(everything=True))
    html = client.get(dashboard).content.decode()
    assert "Evidence whose link has rotted (1)" in html
    assert "<strong>changed</strong>" in html
    assert str(commitment) in html
    assert reverse("admin:commitments_evidence_text", args=[snapshot.pk]) in html


def test_the_snapshot_list_opens_for_viewers(client, viewer, snapshot):
    client.force_login(viewer)
    response = client.get(reverse("admin:commitments_evidencesnapshot_changelist"))
    assert response.status_code == 200
    assert snapshot.requested_url in response.content.decode()
    filtered = client.get(
        reverse("admin:commitments_evidencesnapshot_changelist")
        + "?link_health__in=redirected,gone,failing,changed"
    )
    assert filtered.status_code == 200
    page = client.get(reverse("admin:commitments_evidencesnapshot_change", args=[snapshot.pk]))
    assert page.status_code == 200
