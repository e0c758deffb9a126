"""The analysts' workbench in the Django admin."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from commitments.choices import Status
from commitments.models import Commitment, CommitmentParty, StatusUpdate
from tests.admin_forms import change_form_data
from tests.admin_pages import change_url
from tests.factories import CommitmentFactory, MeetingFactory

pytestmark = pytest.mark.django_db

D = datetime.date
VISA = "cn-kz-mutual-visa-exemption"


@pytest.fixture
def analyst_browser(client, analyst):
    client.force_login(analyst)
    return client


def test_roles_are_created_by_migration():
    analysts = Group.objects.get(name="Analysts")
    codenames = set(analysts.permissions.values_list("codename", flat=True))
    assert {"add_statusupdate", "change_commitment", "add_commitment", "add_mention"} <= codenames
    assert "change_statusupdate" not in codenames
    assert "delete_statusupdate" not in codenames
    viewers = set(Group.objects.get(name="Viewers").permissions.values_list("codename", flat=True))
    assert viewers and all(code.startswith("view_") for code in viewers)


def test_commitment_page_shows_quote_in_context_parties_and_timeline(
    analyst_browser, visa, evidence
):
    visa.record_status_update(status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence)
    visa.record_status_update(status=Status.COMPLETED, effective_date=D(2023, 11, 10), **evidence)
    page = analyst_browser.get(change_url(visa)).content.decode()
    assert "<mark>China and Kazakhstan will take the signing" in page
    # The highlighted quote sits inside its paragraph.
    assert "The two sides reached extensive common understandings" in page
    assert page.index("2023-11-10") < page.index("2023-09-01") or "Nov. 10, 2023" in page
    assert "new status update" in page.lower()


def test_recording_an_update_from_the_commitment_page(analyst_browser, visa, analyst):
    response = analyst_browser.get(change_url(visa))
    data = change_form_data(response)
    prefix = next(
        inline.formset.prefix
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.__class__.__name__ == "NewStatusUpdateInline"
    )
    data.update(
        {
            f"{prefix}-0-status": "completed",
            f"{prefix}-0-effective_date": "2023-11-10",
            f"{prefix}-0-evidence_url": "https://example.org/visa-free",
            f"{prefix}-0-evidence_title": "Visa-free travel begins",
        }
    )
    response = analyst_browser.post(change_url(visa), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    visa.refresh_from_db()
    assert (visa.status, visa.status_date) == ("completed", D(2023, 11, 10))
    update = visa.status_updates.get()
    assert update.recorded_by == analyst


def test_an_update_without_evidence_is_refused_on_the_page(analyst_browser, visa):
    response = analyst_browser.get(change_url(visa))
    data = change_form_data(response)
    prefix = next(
        inline.formset.prefix
        for inline in response.context["inline_admin_formsets"]
        if inline.opts.__class__.__name__ == "NewStatusUpdateInline"
    )
    data.update({f"{prefix}-0-status": "completed", f"{prefix}-0-effective_date": "2023-11-10"})
    response = analyst_browser.post(change_url(visa), data)
    assert response.status_code == 200
    assert "needs evidence" in response.content.decode()
    assert StatusUpdate.objects.count() == 0


def test_second_of_two_concurrent_saves_is_refused(client, visa, analyst):
    from tests.factories import UserFactory

    other = UserFactory(username="second", group="Analysts")
    client.force_login(analyst)
    first_data = change_form_data(client.get(change_url(visa)))
    client.force_login(other)
    second_data = change_form_data(client.get(change_url(visa)))

    client.force_login(analyst)
    first_data["title"] = "Visa exemption (first analyst)"
    assert client.post(change_url(visa), first_data).status_code == 302

    client.force_login(other)
    second_data["title"] = "Visa exemption (second analyst)"
    response = client.post(change_url(visa), second_data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "analyst saved this commitment while you were editing it" in page
    assert "Visa exemption (first analyst)" in page
    visa.refresh_from_db()
    assert visa.title == "Visa exemption (first analyst)"


def test_viewer_sees_no_save_button_and_cannot_post(client, visa, viewer):
    client.force_login(viewer)
    response = client.get(change_url(visa))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    response = client.post(change_url(visa), {"title": "Hijacked"})
    assert response.status_code == 403
    visa.refresh_from_db()
    assert visa.title != "Hijacked"


def test_status_updates_cannot_be_changed_or_deleted_in_the_admin(client, visa, evidence):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_superuser=True))
    update = visa.record_status_update(
        status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence
    )
    url = reverse("admin:commitments_statusupdate_change", args=[update.pk])
    client.post(url, {"note": "rewritten"})
    delete = reverse("admin:commitments_statusupdate_delete", args=[update.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert StatusUpdate.objects.get(pk=update.pk).note == ""


def test_bulk_action_records_the_same_update_on_each(analyst_browser, seed_data):
    chosen = Commitment.objects.filter(
        slug__in=["kz-consulate-general-xian", "cn-consulate-general-aktobe"]
    )
    response = analyst_browser.post(
        reverse("admin:commitments_commitment_changelist"),
        {
            "action": "record_bulk_status_update",
            "_selected_action": [c.pk for c in chosen],
            "apply": "1",
            "status": "in_progress",
            "effective_date": "2024-03-01",
            "evidence_url": "https://example.org/consulates",
            "evidence_title": "Consulates open",
        },
    )
    assert response.status_code == 302
    for commitment in chosen:
        commitment.refresh_from_db()
        assert commitment.status == "in_progress"
        assert commitment.status_updates.get().evidence_url == "https://example.org/consulates"


def test_bulk_action_writes_nothing_when_one_commitment_refuses(analyst_browser, seed_data):
    late = CommitmentFactory(meeting=MeetingFactory(date=D(2024, 6, 1)))
    early = Commitment.objects.get(slug="kz-consulate-general-xian")
    response = analyst_browser.post(
        reverse("admin:commitments_commitment_changelist"),
        {
            "action": "record_bulk_status_update",
            "_selected_action": [early.pk, late.pk],
            "apply": "1",
            "status": "in_progress",
            "effective_date": "2024-03-01",
            "evidence_url": "https://example.org/consulates",
        },
    )
    assert response.status_code == 200
    assert "before the commitment was made" in response.content.decode()
    assert StatusUpdate.objects.count() == 0


def test_history_records_who_changed_what(analyst_browser, visa, analyst):
    data = change_form_data(analyst_browser.get(change_url(visa)))
    data["title"] = "Mutual visa exemption agreement"
    analyst_browser.post(change_url(visa), data)
    record = visa.history.latest()
    assert record.history_user == analyst
    assert record.title == "Mutual visa exemption agreement"
    history = analyst_browser.get(
        reverse("admin:commitments_commitment_history", args=[visa.pk])
    ).content.decode()
    assert "Mutual visa exemption agreement" in history


def test_changelist_query_count_does_not_grow_with_rows(analyst_browser, seed_data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = analyst_browser.get(reverse("admin:commitments_commitment_changelist"))
        assert response.status_code == 200
        return len(queries)

    few = count()
    meeting = MeetingFactory()
    for _ in range(60):
        CommitmentFactory(meeting=meeting)
    assert count() == few


def test_dashboard_counts_and_compliance(analyst_browser, seed_data, evidence):
    Commitment.objects.get(slug="cn-consulate-general-aktobe").record_status_update(
        status=Status.COMPLETED, effective_date=D(2024, 1, 1), **evidence
    )
    Commitment.objects.get(slug="kz-consulate-general-xian").record_status_update(
        status=Status.STALLED, effective_date=D(2024, 1, 1), **evidence
    )
    response = analyst_browser.get(reverse("admin:commitments_dashboard"))
    assert response.status_code == 200
    rows = {row.country.code: row for row in response.context["compliance"]}
    kz_total = CommitmentParty.objects.filter(country="KZ", role="lead").count()
    assert rows["KZ"].counts["stalled"] == 1
    assert rows["KZ"].total == kz_total
    # Only the stalled one is assessed: the announced ones are left out of the mean, not zeros.
    assert rows["KZ"].not_assessed == kz_total - 1
    assert rows["KZ"].score == pytest.approx(-1)
    assert rows["CN"].counts["completed"] == 1
    assert response.context["overdue_count"] == 1
    assert b"<svg" in response.content
    stale = analyst_browser.get(reverse("admin:commitments_dashboard"), {"days": "36500"})
    assert stale.context["stale_count"] == 0
    bad = analyst_browser.get(reverse("admin:commitments_dashboard"), {"days": "-3"})
    assert "must be a whole number" in bad.content.decode()


def test_dashboard_needs_login(client):
    response = client.get(reverse("admin:commitments_dashboard"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_export_escapes_formula_cells(analyst_browser, visa):
    Commitment.objects.filter(pk=visa.pk).update(title='=HYPERLINK("http://evil")')
    Commitment.objects.filter(slug="cn-tj-luban-workshop").update(description="@SUM(A1)")
    url = reverse("admin:commitments_commitment_export")
    response = analyst_browser.post(
        url,
        {
            "format": "0",
            **{f"commitmentresource_{f}": "on" for f in ["slug", "title", "description"]},
        },
    )
    assert response.status_code == 200, response.content[:500]
    content = response.content.decode()
    assert "'=HYPERLINK" in content
    assert "'@SUM(A1)" in content
    assert "\n=HYPERLINK" not in content and ",=HYPERLINK" not in content


def test_export_xlsx_escapes_formula_cells(analyst_browser, visa):
    Commitment.objects.filter(pk=visa.pk).update(title="+1+1")
    url = reverse("admin:commitments_commitment_export")
    page = analyst_browser.get(url)
    choices = dict(page.context["form"].fields["format"].choices)
    xlsx = next(key for key, label in choices.items() if str(label).lower() == "xlsx")
    response = analyst_browser.post(
        url, {"format": xlsx, **{f"commitmentresource_{f}": "on" for f in ["slug", "title"]}}
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    titles = [row[1] for row in workbook.active.iter_rows(values_only=True)]
    assert "'+1+1" in titles


IMPORT_HEADER = "slug,title,description,category,meeting,due_date,parties\n"


def import_file(client, text):
    url = reverse("admin:commitments_commitment_import")
    upload = io.BytesIO(text.encode())
    upload.name = "commitments.csv"
    page = client.get(url)
    choices = dict(page.context["form"].fields["format"].choices)
    csv_format = next(key for key, label in choices.items() if str(label).lower() == "csv")
    return client.post(url, {"format": csv_format, "import_file": upload, "resource": "0"})


def test_import_previews_then_writes(analyst_browser, seed_data):
    text = IMPORT_HEADER + (
        "cn-kz-new-border-crossing,New border crossing,,transport_connectivity,"
        "2023-04-26-xian-cn-kz-talks,2025-12-31,CN:lead; KZ:lead\n"
    )
    preview = import_file(analyst_browser, text)
    assert preview.status_code == 200
    assert not Commitment.objects.filter(slug="cn-kz-new-border-crossing").exists()
    confirm = preview.context["confirm_form"]
    data = {name: confirm.initial.get(name, "") for name in confirm.fields}
    response = analyst_browser.post(reverse("admin:commitments_commitment_process_import"), data)
    assert response.status_code == 302
    created = Commitment.objects.get(slug="cn-kz-new-border-crossing")
    assert created.status == "announced"
    assert list(created.parties.values_list("country", "role")) == [("CN", "lead"), ("KZ", "lead")]


def test_import_with_a_bad_row_reports_it_and_writes_nothing(analyst_browser, seed_data):
    before = Commitment.objects.count()
    text = IMPORT_HEADER + (
        "good-row,Good,,trade,2023-04-26-xian-cn-kz-talks,,CN:lead\n"
        "bad-row,Bad,,trade,2023-04-26-xian-cn-kz-talks,,XX:lead\n"
        "worse-row,Worse,,no_such_category,nowhere,not-a-date,CN:boss\n"
    )
    response = import_file(analyst_browser, text)
    page = response.content.decode()
    assert "Unknown country code “XX”" in page
    assert "Unknown meeting “nowhere”" in page
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Commitment.objects.count() == before


def test_last_assessed_tracks_the_latest_recording(visa, evidence):
    assert visa.last_assessed_at is None
    visa.record_status_update(status=Status.FORMALIZED, effective_date=D(2023, 9, 1), **evidence)
    assert (
        visa.status_updates.get().recorded_at == Commitment.objects.get(pk=visa.pk).last_assessed_at
    )
    cutoff = timezone.now() + datetime.timedelta(seconds=1)
    assert Commitment.objects.not_assessed_since(cutoff).filter(pk=visa.pk).exists()


def test_editing_a_party_in_the_admin_moves_the_commitment_version(analyst_browser, visa):
    party = visa.parties.get(country="KZ")
    url = reverse("admin:commitments_commitmentparty_change", args=[party.pk])
    response = analyst_browser.post(
        url, {"commitment": visa.pk, "country": "KZ", "role": "partner"}
    )
    assert response.status_code == 302
    visa.refresh_from_db()
    assert visa.version == 2
    assert visa.parties.get(country="KZ").role == "partner"


def test_a_mention_is_entered_as_a_quote_and_gets_its_offsets(analyst_browser, visa):
    document = visa.mentions.get().document
    quote = "China and Tajikistan will expand industrial-park cooperation"
    response = analyst_browser.post(
        reverse("admin:commitments_mention_add"),
        {
            "commitment": visa.pk,
            "document": document.pk,
            "meeting": visa.meeting.pk,
            "quote": quote,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    mention = visa.mentions.get(is_origin=False)
    assert document.text[mention.start : mention.end] == quote
    missing = analyst_browser.post(
        reverse("admin:commitments_mention_add"),
        {
            "commitment": visa.pk,
            "document": document.pk,
            "meeting": visa.meeting.pk,
            "quote": "words that are not in the readout",
        },
    )
    assert "quote not found in source text" in missing.content.decode()


def test_changelist_shows_the_essential_columns_and_marks_only_overdue_rows(
    analyst_browser, seed_data
):
    overdue = Commitment.objects.get(slug="kz-consulate-general-xian")
    Commitment.objects.filter(pk=overdue.pk).update(due_date=D(2024, 1, 31))
    page = analyst_browser.get(reverse("admin:commitments_commitment_changelist"))
    html = page.content.decode()
    headers = [str(h["text"]).lower() for h in page.context["result_headers"]]
    assert headers[1:] == ["title", "parties", "status", "status date", "due"]
    # Only the overdue row says so; rows without a due date show no cross.
    overdue_count = Commitment.objects.overdue().count()
    assert 1 <= overdue_count < 50
    assert html.count('class="overdue"') == overdue_count
    assert "icon-no.svg" not in html
    assert "2024-01-31" in html and "Jan. 31, 2024" not in html
    assert "CN lead, KZ lead" in html


def test_commitment_page_links_the_quote_to_its_source_and_says_when_nothing_was_recorded(
    analyst_browser, visa
):
    page = analyst_browser.get(change_url(visa)).content.decode()
    source = visa.mentions.get().document
    url = source.url or reverse("admin:commitments_sourcedocument_change", args=[source.pk])
    assert f'href="{url}#:~:text=China%20and%20Kazakhstan%20will,' in page
    assert "No status update recorded yet: announced on 2023-04-26" in page


def test_viewer_sees_no_empty_update_form_and_no_occurrence(client, visa, viewer):
    client.force_login(viewer)
    page = client.get(change_url(visa)).content.decode()
    assert "record a status update" not in page.lower()
    assert "Occurrence" not in page


def test_dashboard_says_not_assessed_and_caps_the_stale_list(analyst_browser, seed_data):
    response = analyst_browser.get(reverse("admin:commitments_dashboard"), {"days": "1"})
    page = response.content.decode()
    assert "not assessed" in page and "50%" not in page and "50&nbsp;%" not in page
    stale_count = response.context["stale_count"]
    assert stale_count > 10 and len(response.context["stale"]) == 10
    assert f"see all {stale_count} in the commitment list" in page
    listed = analyst_browser.get(
        reverse("admin:commitments_commitment_changelist"), {"not_assessed_days": "1"}
    )
    assert listed.context["cl"].result_count == stale_count


def test_import_page_names_its_columns_and_shows_row_errors_in_words(analyst_browser, seed_data):
    page = analyst_browser.get(reverse("admin:commitments_commitment_import")).content.decode()
    assert "Exported but never imported: <code>status, status_date</code>" in page
    text = IMPORT_HEADER + "bad-date,Bad,,trade,2023-04-26-xian-cn-kz-talks,31/12/2025,CN:lead\n"
    response = import_file(analyst_browser, text).content.decode()
    assert "write it as YYYY-MM-DD" in response
    assert 'class="row-errors"' in response


def test_export_page_says_how_many_filtered_rows_it_exports(analyst_browser, seed_data):
    url = reverse("admin:commitments_commitment_export")
    page = analyst_browser.get(url, {"party": "TM"}).content.decode()
    count = Commitment.objects.filter(parties__country="TM").count()
    assert f"Exports the {count} commitments of the list as you filtered it" in page


def test_every_admin_page_names_the_favicon(analyst_browser, visa):
    for url in [
        reverse("admin:index"),
        reverse("admin:commitments_commitment_changelist"),
        change_url(visa),
        reverse("admin:commitments_dashboard"),
        reverse("admin:commitments_commitment_history", args=[visa.pk]),
    ]:
        assert 'rel="icon"' in analyst_browser.get(url).content.decode(), url
