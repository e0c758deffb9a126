"""End-to-end: analysts and viewers in a real headless Chromium, against the live server."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from commitments.models import Commitment
from tests.conftest import SEED_FIXTURES

# serialized_rollback: the flush between tests would drop the groups the
# data migration created.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "browser-test-pass-1"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = (
            f"Chromium not found at {CHROMIUM}: install it with "
            "`apt-get install chromium` (or set CHROMIUM_PATH) to run the browser tests."
        )
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests still
    # talk to the database synchronously between browser steps.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def seeded(live_server, roles):
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    for username, group in [("ana", "Analysts"), ("ben", "Analysts"), ("vic", "Viewers")]:
        user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=group))


def log_in(browser, live_server, username):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
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


def test_analyst_records_a_status_update_and_sees_it_everywhere(browser, live_server, seeded):
    page = log_in(browser, live_server, "ana")
    page.click("#content-main a[href='/admin/commitments/commitment/']")
    page.click("#changelist-filter >> text=Kazakhstan")
    page.click("#changelist-filter >> text=Announced")
    assert "party=KZ" in page.url and "status__exact=announced" in page.url
    screenshot(page, "changelist")
    page.click("text=China-Kazakhstan mutual visa exemption agreement")

    assert page.locator("mark").inner_text().startswith("China and Kazakhstan will take")
    form = 'select[name^="status_updates"][name$="-0-status"]'
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


def test_second_analyst_saving_a_stale_page_is_refused(browser, live_server, seeded):
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    url = f"{live_server.url}/admin/commitments/commitment/{visa.pk}/change/"
    first = log_in(browser, live_server, "ana")
    second = log_in(browser, live_server, "ben")
    first.goto(url)
    second.goto(url)

    first.fill("#id_title", "Visa exemption, as Ana wrote it")
    first.click("input[name=_continue]")
    first.wait_for_selector(".messagelist .success")

    second.fill("#id_title", "Visa exemption, as Ben wrote it")
    second.click("input[name=_continue]")
    error = second.locator(".errornote, .errorlist").first
    error.wait_for()
    page_text = second.locator("#content").inner_text()
    assert "Someone saved this commitment while you were editing it" in page_text
    assert "Visa exemption, as Ana wrote it" in page_text
    screenshot(second, "stale-save")
    assert Commitment.objects.get(pk=visa.pk).title == "Visa exemption, as Ana wrote it"
    first.context.close()
    second.context.close()
