"""End-to-end: a viewer opens the compliance report in Chromium and downloads it."""

import pytest
from django.contrib.auth.models import Group, User

from tests.test_browser import PASSWORD, log_in, screenshot

from .conftest import FINAL, INTERIM, VISA_QUOTE_START, XIAN, load_demo

# serialized_rollback: the flush between tests would drop the groups the
# data migrations created.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def seeded(live_server, roles):
    load_demo()
    user = User.objects.create_user("vic", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Viewers"))


def test_a_viewer_opens_the_report_of_the_xian_meeting_and_downloads_it(
    browser, live_server, seeded
):
    page = log_in(browser, live_server, "vic")
    page.click("text=Compliance report of a meeting or a country")
    page.select_option("#meeting", XIAN)
    page.fill("#as_of", f"{FINAL}")
    page.fill("#compare_to", f"{INTERIM}")
    page.click("#report-form input[type=submit]")
    page.wait_for_selector("article.report")
    assert f"as_of={FINAL}" in page.url
    summary = page.locator("section.summary table.scores").first
    kazakhstan = summary.locator("tr", has_text="Kazakhstan").inner_text().split()
    assert kazakhstan[-4:] == ["8", "0.67", "83", "%"]
    assert (
        page.locator("#cn-kz-mutual-visa-exemption blockquote")
        .inner_text()
        .startswith(f"“{VISA_QUOTE_START}")
    )
    assert page.locator("section.comparison").is_visible()
    # The report fits the admin's 1440-pixel window without scrolling sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("section.summary").scroll_into_view_if_needed()
    screenshot(page, "report")

    with page.expect_download() as download:
        page.click(".report-downloads >> text=CSV")
    assert download.value.suggested_filename == (f"compliance_{XIAN}_{FINAL}_vs_{INTERIM}.csv")
    with open(download.value.path(), encoding="utf-8") as file:
        assert file.readline().startswith("slug,title,category,meeting")
