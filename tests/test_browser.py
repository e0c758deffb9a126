"""End-to-end: analysts and viewers in a real headless Chromium, against the live server."""

import csv
import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from commitments.models import Commitment, StatusUpdate
from commitments.resources import CommitmentResource
from tests.seed import SEED_FIXTURES

# serialized_rollback: the flush between tests would drop the groups the
# data migration created.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "browser-test-pass-1"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
D = datetime.date


@pytest.fixture
def seeded(live_server, roles):
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    for username, group in [("ana", "Analysts"), ("ben", "Analysts"), ("vic", "Viewers")]:
        user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))


VIEWPORT = {"width": 1440, "height": 900}
VISA = "cn-kz-mutual-visa-exemption"
# Load time, requests and bytes of the page just loaded, from the browser's own timing.
PAGE_WEIGHT = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    ms: Math.round(nav.loadEventEnd - nav.startTime),
    requests: resources.length + 1,
    bytes: resources.reduce((sum, r) => sum + r.transferSize, nav.transferSize),
    cached: resources.filter((r) => r.transferSize === 0).length,
  };
}"""


def log_in(browser, live_server, username):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def screenshot(page, name, *, full_page=False):
    """Save the page under docs/screenshots/ when SAVE_SCREENSHOTS is set (make screenshots)."""
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def change_url(live_server, slug):
    pk = Commitment.objects.get(slug=slug).pk
    return f"{live_server.url}/admin/commitments/commitment/{pk}/change/"


def test_analyst_records_a_status_update_and_sees_it_everywhere(browser, live_server, seeded):
    page = log_in(browser, live_server, "ana")
    page.click("#content-main a[href='/admin/commitments/commitment/']")
    page.click("#changelist-filter >> text=Kazakhstan")
    page.click("#changelist-filter >> text=Announced")
    assert "party=KZ" in page.url and "status__exact=announced" in page.url
    page.wait_for_selector("#result_list")
    # Every column fits: no horizontal scrolling, of the page or of the table.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "(() => { const r = document.querySelector('#result_list').parentElement;"
        " return r.scrollWidth <= r.clientWidth; })()"
    )
    screenshot(page, "changelist")
    page.click("text=China-Kazakhstan mutual visa exemption agreement")

    assert page.locator("mark").inner_text().startswith("China and Kazakhstan will take")
    quote_size = page.locator("blockquote.origin-context").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert quote_size >= 13
    assert "#:~:text=" in page.locator(".origin-source a").get_attribute("href")
    form = 'select[name^="status_updates"][name$="-0-status"]'
    page.select_option(form, "completed")
    # Without an effective date the save is refused; the banner links to the field.
    page.click("input[name=_continue]")
    jump = page.locator(".errornote ul.error-jump a")
    jump.first.wait_for()
    assert "Effective date" in jump.first.inner_text()
    jump.first.click()
    assert page.evaluate("window.scrollY") > 900
    page.select_option(form, "completed")
    page.fill('input[name^="status_updates"][name$="-0-effective_date"]', "2023-11-10")
    page.fill('input[name^="status_updates"][name$="-0-evidence_url"]', "https://example.org/visa")
    page.fill('input[name^="status_updates"][name$="-0-evidence_title"]', "Visa-free travel begins")
    page.fill('input[name^="status_updates"][name$="-0-evidence_publisher"]', "Example News")
    page.fill(
        'textarea[name^="status_updates"][name$="-0-evidence_excerpt"]',
        "Citizens may stay up to 30 days without a visa.",
    )
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    timeline = page.locator("fieldset:has-text('Status timeline')")
    assert "Completed" in timeline.inner_text()
    assert "Visa-free travel begins" in timeline.inner_text()
    screenshot(page, "commitment", full_page=True)
    assert Commitment.objects.get(slug="cn-kz-mutual-visa-exemption").status == "completed"

    page.goto(f"{live_server.url}/admin/commitments/commitment/?status__exact=completed")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "China-Kazakhstan mutual visa exemption agreement" in rows.inner_text()

    page.goto(f"{live_server.url}/admin/")
    page.click("text=Dashboard >> nth=0")
    status_chart = page.locator("#by-status svg")
    assert "Completed: 1" in status_chart.inner_html()
    screenshot(page, "dashboard")
    page.context.close()


def test_viewer_cannot_change_anything(browser, live_server, seeded):
    page = log_in(browser, live_server, "vic")
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    page.goto(f"{live_server.url}/admin/commitments/commitment/{visa.pk}/change/")
    assert page.locator("mark").count() == 1
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("input[name=_continue]").count() == 0
    assert page.locator("select[name$='-0-status']").count() == 0
    token = page.context.cookies()
    csrf = next((c["value"] for c in token if c["name"] == "csrftoken"), "")
    response = page.request.post(
        f"{live_server.url}/admin/commitments/commitment/{visa.pk}/change/",
        form={"title": "Changed by a viewer", "csrfmiddlewaretoken": csrf},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert response.status == 403
    assert Commitment.objects.get(pk=visa.pk).title != "Changed by a viewer"
    page.context.close()


def test_a_stale_save_names_the_other_edit_and_keeps_what_was_typed(browser, live_server, seeded):
    url = change_url(live_server, VISA)
    first = log_in(browser, live_server, "ana")
    second = log_in(browser, live_server, "ben")
    first.goto(url)
    second.goto(url)

    first.fill("#id_title", "Visa exemption, as Ana wrote it")
    first.click("input[name=_continue]")
    first.wait_for_selector(".messagelist .success")

    second.fill("#id_title", "Visa exemption, as Ben wrote it")
    second.select_option('select[name^="status_updates"][name$="-0-status"]', "formalized")
    second.fill('input[name^="status_updates"][name$="-0-effective_date"]', "2023-09-01")
    second.fill('input[name^="status_updates"][name$="-0-evidence_url"]', "https://example.org/s")
    second.fill('input[name^="status_updates"][name$="-0-evidence_title"]', "Agreement signed")
    second.click("input[name=_continue]")
    second.locator(".errornote").first.wait_for()
    message = second.locator(".errorlist.nonfield").inner_text()
    assert "ana saved this commitment while you were editing it" in message
    assert "Visa exemption, as Ana wrote it" in message
    # Nothing Ben typed is lost: his title and his pending status update.
    assert second.input_value("#id_title") == "Visa exemption, as Ben wrote it"
    assert (
        second.input_value('input[name^="status_updates"][name$="-0-evidence_title"]')
        == "Agreement signed"
    )
    screenshot(second, "stale-save")
    assert Commitment.objects.get(slug=VISA).title == "Visa exemption, as Ana wrote it"

    # Having read Ana's title, Ben keeps his own and saves again.
    second.click("input[name=_continue]")
    second.wait_for_selector(".messagelist .success")
    visa = Commitment.objects.get(slug=VISA)
    assert (visa.title, visa.status) == ("Visa exemption, as Ben wrote it", "formalized")
    first.context.close()
    second.context.close()


def test_select_all_records_a_status_update_on_every_page(browser, live_server, seeded):
    total = Commitment.objects.count()
    assert total > 50  # more than one changelist page
    page = log_in(browser, live_server, "ana")
    page.goto(f"{live_server.url}/admin/commitments/commitment/")
    page.check("#action-toggle")
    page.click(f"text=Select all {total} commitments")
    page.select_option("select[name=action]", "record_bulk_status_update")
    page.click("button[name=index]")
    page.wait_for_selector("#bulk-status-update")
    submit = page.locator("input[name=apply]")
    assert submit.get_attribute("value") == f"Record on {total} commitments"
    page.select_option("#id_status", "in_progress")
    page.fill("#id_effective_date", "2024-03-01")
    page.fill("#id_evidence_url", "https://example.org/progress")
    page.fill("#id_evidence_title", "Progress report")
    submit.click()
    success = page.locator(".messagelist .success")
    success.wait_for()
    assert f"on {total} commitments" in success.inner_text()
    assert StatusUpdate.objects.count() == total
    assert not Commitment.objects.exclude(status="in_progress").exists()
    page.context.close()


def test_import_preview_shows_one_change_and_the_parties(browser, live_server, seeded, tmp_path):
    dataset = CommitmentResource().export(Commitment.objects.order_by("slug"))
    rows = [dict(zip(dataset.headers, row, strict=True)) for row in dataset]
    changed = next(row for row in rows if row["slug"] == VISA)
    changed["title"] = "Mutual visa exemption agreement, renamed by import"
    upload = tmp_path / "commitments.csv"
    with upload.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=dataset.headers)
        writer.writeheader()
        writer.writerows(rows)
    versions = dict(Commitment.objects.values_list("slug", "version"))

    page = log_in(browser, live_server, "ana")
    page.goto(f"{live_server.url}/admin/commitments/commitment/import/")
    page.set_input_files("#id_import_file", str(upload))
    page.select_option("#id_format", label="csv")
    page.click("input[type=submit][value='Preview the import']")
    page.wait_for_selector("table.import-preview")
    updates = page.locator("table.import-preview tr.update")
    assert updates.count() == 1
    assert page.locator("table.import-preview tr.skip").count() == len(rows) - 1
    assert "CN:lead; KZ:lead" in updates.inner_text()
    assert "CommitmentParty.None" not in page.content()
    page.click("input[name=confirm]")
    success = page.locator(".messagelist .success")
    success.wait_for()
    assert (
        "1 updated" in success.inner_text() and f"{len(rows) - 1} skipped" in success.inner_text()
    )
    after = dict(Commitment.objects.values_list("slug", "version"))
    assert {slug for slug in after if after[slug] != versions[slug]} == {VISA}
    page.context.close()


def test_revert_restores_an_earlier_title_and_keeps_the_timeline(
    browser, live_server, seeded, evidence
):
    page = log_in(browser, live_server, "ana")
    url = change_url(live_server, VISA)
    page.goto(url)
    page.fill("#id_title", "Visa exemption agreement (checked)")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    visa = Commitment.objects.get(slug=VISA)
    visa.record_status_update(status="formalized", effective_date=D(2023, 9, 1), **evidence)
    page.goto(url)
    page.fill("#id_title", "A title typed by mistake")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    page.click("a.historylink")
    page.click("#change-history tbody tr:last-child a")
    assert "timeline is kept" in page.locator(".revert-note").inner_text()
    page.click("input[type=submit][value=Revert]")
    page.wait_for_selector(".messagelist .success")
    visa = Commitment.objects.get(slug=VISA)
    assert visa.title == "Visa exemption agreement (checked)"
    assert (visa.status, visa.status_updates.count()) == ("formalized", 1)
    page.context.close()


def test_page_weight_of_the_changelist_and_the_commitment_page(
    browser, live_server, seeded, capsys
):
    # Printed, not asserted: timings depend on the machine. A repeat view
    # shows what the browser's cache saves.
    page = log_in(browser, live_server, "ana")
    lines = []
    for name, url in [
        ("changelist", f"{live_server.url}/admin/commitments/commitment/"),
        ("commitment page", change_url(live_server, VISA)),
    ]:
        for view in ("first", "repeat"):
            page.goto(url)
            weight = page.evaluate(PAGE_WEIGHT)
            lines.append(
                f"page weight: {name}, {view} view: {weight['ms']} ms, "
                f"{weight['requests']} requests ({weight['cached']} from cache), "
                f"{weight['bytes'] / 1024:.0f} KiB transferred"
            )
        page.context.clear_cookies()
        page = log_in(browser, live_server, "ana")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(lines) == 4
    page.context.close()


def test_the_workbench_pages_run_under_the_content_security_policy(
    browser, live_server, seeded, evidence
):
    # Every script and style of these pages is a static file: the policy
    # refuses inline ones, which would leave a control dead.
    visa = Commitment.objects.get(slug=VISA)
    visa.record_status_update(status="formalized", effective_date=D(2023, 9, 1), **evidence)
    page = log_in(browser, live_server, "ana")
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    admin = f"{live_server.url}/admin/commitments/commitment"
    for url in [
        f"{admin}/",
        change_url(live_server, VISA),
        f"{admin}/{visa.pk}/history/",
        f"{admin}/dashboard/",
        f"{admin}/import/",
    ]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto(f"{admin}/export/?party=TM")
    assert "of the list as you filtered it" in page.locator(".export-scope").inner_text()
    page.uncheck("#select-all-toggle")
    columns = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert columns.count() > 1
    assert not any(columns.nth(i).is_checked() for i in range(columns.count()))
    page.goto(f"{admin}/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "record_bulk_status_update")
    page.click("button[name=index]")
    page.wait_for_selector("#bulk-status-update .datetimeshortcuts")
    assert refused == []
    page.context.close()
