"""End-to-end in Chromium: an analyst cites a page, the timeline shows its archived copy."""

import pytest

from commitments.evidence.models import EvidenceSnapshot
from tests.evidence.pages import EXCERPT
from tests.test_browser import VISA, change_url, log_in, screenshot

# The fixture that loads the seed and logs nobody in, used here by its name.
from tests.test_browser import seeded as seeded

# serialized_rollback: the flush between tests would drop the groups the
# data migrations created.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_analyst_cites_a_page_and_opens_its_archived_text(browser, live_server, seeded, site):
    page = log_in(browser, live_server, "ana")
    page.goto(change_url(live_server, VISA))
    prefix = '[name^="status_updates"][name$="-0-'
    page.select_option(f'select{prefix}status"]', "completed")
    page.fill(f'input{prefix}effective_date"]', "2023-11-10")
    page.fill(f'input{prefix}evidence_url"]', site.url("/hop/2"))
    page.fill(f'input{prefix}evidence_title"]', "Visa-free travel begins")
    page.fill(f'textarea{prefix}evidence_excerpt"]', EXCERPT.replace("'", "\u2019"))
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    # The page was fetched once the update was stored, before this page was drawn.
    snapshot = EvidenceSnapshot.objects.get()
    timeline = page.locator("fieldset:has-text('Status timeline')")
    cell = timeline.locator(".evidence-archived")
    assert cell.inner_text() == (f"archived · excerpt found · {snapshot.retrieved_at:%Y-%m-%d}")

    timeline.get_by_role("link", name="text", exact=True).click()
    page.wait_for_selector("pre.archived-text")
    assert "entered into force today" in page.locator("pre.archived-text").inner_text()
    assert site.url("/hop/2") in page.locator(".archived-meta").inner_text()
    assert "Excerpt found" in page.locator(".archived-meta").inner_text()
    # Nothing of the archived page ran here: its script would have set the title.
    assert page.title() != "scripted"
    screenshot(page, "evidence-text")

    with page.expect_download() as download:
        page.click("text=Download the WARC")
    assert download.value.suggested_filename == f"{snapshot.uuid}.warc.gz"
