"""Saving, conflicts, history and revert on the commitment page."""

import datetime

import pytest
from django.urls import reverse

from commitments.choices import Status
from commitments.models import Commitment, StatusUpdate
from tests.admin_forms import change_form_data
from tests.admin_pages import change_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
VISA = "cn-kz-mutual-visa-exemption"


@pytest.fixture
def ben(roles):
    return UserFactory(username="ben", group="Analysts")


def new_update_prefix(response):
    return next(
        inline.formset.prefix
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.__class__.__name__ == "NewStatusUpdateInline"
    )


def pending_update(response, **values):
    prefix = new_update_prefix(response)
    return {f"{prefix}-0-{name}": value for name, value in values.items()}


def open_page(client, user, commitment):
    client.force_login(user)
    response = client.get(change_url(commitment))
    return response, change_form_data(response)


def save(client, user, commitment, data):
    client.force_login(user)
    return client.post(change_url(commitment), data)


COMPLETED = {
    "status": "completed",
    "effective_date": "2023-11-10",
    "evidence_url": "https://example.org/visa-free",
    "evidence_title": "Visa-free travel begins",
}


def test_it_names_what_the_other_analyst_changed_and_keeps_what_you_typed(
    client, visa, analyst, ben
):
    # Ana opens the page, Ben changes the description, Ana then changes the
    # description too and adds a status update: she must learn what Ben wrote,
    # and find her own text and her pending update still in the form.
    ana_page, ana = open_page(client, analyst, visa)
    _, theirs = open_page(client, ben, visa)
    theirs["description"] = "Ben wrote this description."
    assert save(client, ben, visa, theirs).status_code == 302

    ana["description"] = "Ana wrote this description."
    ana.update(pending_update(ana_page, **COMPLETED))
    response = save(client, analyst, visa, ana)
    assert response.status_code == 200
    page = response.content.decode()
    assert "ben" in page and "Ben wrote this description." in page
    form = response.context["adminform"].form
    assert form["description"].value() == "Ana wrote this description."
    prefix = new_update_prefix(response)
    assert form.data[f"{prefix}-0-evidence_title"] == "Visa-free travel begins"
    assert 'value="Visa-free travel begins"' in page
    assert StatusUpdate.objects.count() == 0

    # Having read Ben's text, Ana saves again what the page now holds.
    again = save(client, analyst, visa, form.data)
    assert again.status_code == 302, again.context and again.context["errors"]
    visa.refresh_from_db()
    assert visa.description == "Ana wrote this description."
    assert visa.status == Status.COMPLETED


def test_an_edit_of_other_fields_keeps_the_other_analysts_change(client, visa, analyst, ben):
    _, ana = open_page(client, analyst, visa)
    _, theirs = open_page(client, ben, visa)
    theirs["description"] = "Ben wrote this description."
    assert save(client, ben, visa, theirs).status_code == 302

    ana["title"] = "Mutual visa exemption (Ana)"
    assert save(client, analyst, visa, ana).status_code == 302
    visa.refresh_from_db()
    assert (visa.title, visa.description) == (
        "Mutual visa exemption (Ana)",
        "Ben wrote this description.",
    )


def test_a_status_update_is_not_refused_because_another_was_recorded(
    client, visa, analyst, ben, evidence
):
    ana_page, ana = open_page(client, analyst, visa)
    client.force_login(ben)
    visa.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), recorded_by=ben, **evidence
    )
    ana.update(pending_update(ana_page, **COMPLETED))
    response = save(client, analyst, visa, ana)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert sorted(visa.status_updates.values_list("status", flat=True)) == [
        "completed",
        "formalized",
    ]


def test_a_status_update_adds_no_empty_row_to_the_history(client, visa, analyst):
    response, data = open_page(client, analyst, visa)
    before = visa.history.count()
    data.update(pending_update(response, **COMPLETED))
    assert save(client, analyst, visa, data).status_code == 302
    assert visa.history.count() == before
    history = client.get(reverse("admin:commitments_commitment_history", args=[visa.pk]))
    assert "None" not in history.content.decode().split('id="change-history"')[-1]


def test_revert_restores_the_descriptive_fields_and_keeps_the_timeline(
    client, visa, analyst, evidence
):
    _, data = open_page(client, analyst, visa)
    original_title = "China–Kazakhstan mutual visa exemption agreement (checked)"
    data["title"] = original_title
    assert save(client, analyst, visa, data).status_code == 302
    first = visa.history.order_by("history_date").first()
    visa.record_status_update(status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence)
    _, data = open_page(client, analyst, visa)
    data["title"] = "A title that was a mistake"
    assert save(client, analyst, visa, data).status_code == 302
    current = Commitment.objects.get(pk=visa.pk)

    url = reverse("admin:commitments_commitment_simple_history", args=[visa.pk, first.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["adminform"].form["expected_version"].value() == current.version
    response = client.post(url, change_form_data(page))
    assert response.status_code == 302, response.context and response.context["errors"]
    reverted = Commitment.objects.get(pk=visa.pk)
    assert reverted.title == original_title
    assert reverted.version == current.version + 1
    assert (reverted.status, reverted.status_date) == ("formalized", D(2023, 9, 1))
    assert reverted.status_updates.count() == 1


def test_recorded_by_is_shown_without_a_link_to_the_user_admin(client, visa, analyst, evidence):
    visa.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), recorded_by=analyst, **evidence
    )
    _, data = open_page(client, analyst, visa)
    data["title"] = "Renamed"
    save(client, analyst, visa, data)
    update = visa.status_updates.get()
    pages = [
        change_url(visa),
        reverse("admin:commitments_statusupdate_change", args=[update.pk]),
        reverse("admin:commitments_commitment_history", args=[visa.pk]),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "analyst" in page, url
        assert "/admin/auth/user/" not in page, url
