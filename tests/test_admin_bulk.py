"""The bulk status-update action: all or none, on exactly what was selected."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from commitments.models import Commitment, StatusUpdate
from tests.admin_pages import hidden_inputs
from tests.factories import CommitmentFactory, MeetingFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:commitments_commitment_changelist"
UPDATE = {
    "status": "in_progress",
    "effective_date": "2024-03-01",
    "evidence_url": "https://example.org/progress",
    "evidence_title": "Work began",
}


@pytest.fixture
def analyst_browser(client, analyst):
    client.force_login(analyst)
    return client


def confirm(client, url, first_post):
    """Post the action, then post back the confirmation page as the browser would."""
    page = client.post(url, first_post)
    assert page.status_code == 200
    data = {}
    for name, value in hidden_inputs(page.content.decode()):
        data.setdefault(name, []).append(value)
    return page, client.post(url, {**data, **UPDATE, "apply": "1"})


def test_it_records_on_every_commitment_when_all_are_selected_across_pages(analyst_browser):
    # "Select all 60" must mean all 60, not the 50 rows on the first page.
    meeting = MeetingFactory()
    commitments = [CommitmentFactory(meeting=meeting) for _ in range(60)]
    url = reverse(CHANGELIST)
    first_page = [c.pk for c in commitments[:50]]
    page, response = confirm(
        analyst_browser,
        url,
        {
            "action": "record_bulk_status_update",
            "select_across": "1",
            "index": "0",
            "_selected_action": first_page,
        },
    )
    assert "Record on 60 commitments" in page.content.decode()
    assert response.status_code == 302
    assert StatusUpdate.objects.count() == 60
    assert not Commitment.objects.exclude(status="in_progress").exists()


def test_it_records_only_on_the_filtered_list_when_all_are_selected(analyst_browser):
    meeting = MeetingFactory()
    kept = [CommitmentFactory(meeting=meeting) for _ in range(3)]
    other = CommitmentFactory(meeting=meeting)
    other.record_status_update(
        status="stalled",
        effective_date=meeting.date,
        **{"evidence_url": "https://example.org/stalled"},
    )
    url = reverse(CHANGELIST) + "?status__exact=announced"
    _, response = confirm(
        analyst_browser,
        url,
        {
            "action": "record_bulk_status_update",
            "select_across": "1",
            "index": "0",
            "_selected_action": [c.pk for c in kept],
        },
    )
    assert response.status_code == 302
    assert set(
        StatusUpdate.objects.filter(status="in_progress").values_list("commitment_id", flat=True)
    ) == {c.pk for c in kept}


def test_the_success_message_counts_the_commitments_before_they_leave_the_filter(
    analyst_browser,
):
    # Filtered by "announced", the three recorded commitments no longer match
    # once they are in progress: the message must still say three.
    meeting = MeetingFactory()
    chosen = [CommitmentFactory(meeting=meeting) for _ in range(3)]
    url = reverse(CHANGELIST) + "?status__exact=announced"
    _, response = confirm(
        analyst_browser,
        url,
        {
            "action": "record_bulk_status_update",
            "index": "0",
            "_selected_action": [c.pk for c in chosen],
        },
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["Recorded “In progress” on 3 commitments."]


def test_a_refusal_is_reported_once_per_reason_not_once_per_commitment(analyst_browser):
    # An effective date before the meeting is wrong for every commitment in the
    # same way: one error naming them, not the same sentence 3 times.
    meeting = MeetingFactory()
    chosen = [CommitmentFactory(meeting=meeting) for _ in range(3)]
    response = analyst_browser.post(
        reverse(CHANGELIST),
        {
            "action": "record_bulk_status_update",
            "index": "0",
            "apply": "1",
            "_selected_action": [c.pk for c in chosen],
            **UPDATE,
            "effective_date": "2020-01-01",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("is before the commitment was made") == 1
    assert "(3 commitments: " in page
    for commitment in chosen:
        assert commitment.slug in page
    assert StatusUpdate.objects.count() == 0


def test_the_bulk_form_offers_an_evidence_document_and_a_way_back(analyst_browser):
    meeting = MeetingFactory()
    chosen = CommitmentFactory(meeting=meeting)
    url = reverse(CHANGELIST) + "?status__exact=announced"
    page = analyst_browser.post(
        url, {"action": "record_bulk_status_update", "index": "0", "_selected_action": [chosen.pk]}
    ).content.decode()
    assert 'name="evidence_document"' in page
    assert "Evidence URL" in page
    assert 'type="date"' not in page and "vDateField" in page
    assert f'href="{url}"' in page.replace("&amp;", "&")
