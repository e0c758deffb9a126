"""The Content-Security-Policy holds, and every page still works under it, in real Chromium.

The policy allows no inline script or style; a page that needs one breaks
silently in the browser, which reports a violation. This walks the pages an
analyst uses and the API's own pages and asserts that none is reported.
"""

import pytest
from django.urls import reverse

from commitments.models import Commitment
from tests.test_browser import log_in, seeded  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def violations_on(page, url: str) -> list[str]:
    console = []

    def listen(message):
        if "Content Security Policy" in message.text:
            console.append(message.text)

    page.on("console", listen)
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        return console + page.evaluate("window.__cspViolations")
    finally:
        page.remove_listener("console", listen)


def test_no_csp_violation_on_the_admin_the_dashboard_and_the_api_pages(
    browser,
    live_server,
    seeded,  # noqa: F811
):
    page = log_in(browser, live_server, "ana")
    page.context.add_init_script(RECORD_VIOLATIONS)
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    paths = [
        reverse("admin:index"),
        reverse("admin:commitments_commitment_changelist"),
        reverse("admin:commitments_commitment_change", args=[visa.pk]),
        reverse("admin:commitments_commitment_history", args=[visa.pk]),
        reverse("admin:commitments_dashboard"),
        reverse("admin:commitments_commitment_import"),
        reverse("admin:commitments_statusupdate_changelist"),
        reverse("admin:commitments_meeting_changelist"),
        "/api/",
        "/api/commitments/?limit=5",
        f"/api/commitments/{visa.slug}/",
    ]
    found = {path: violations_on(page, f"{live_server.url}{path}") for path in paths}
    assert not any(found.values()), {path: seen for path, seen in found.items() if seen}
    # The headers really carry the policy (a missing header would also show no violation).
    response = page.request.get(f"{live_server.url}/admin/")
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_swagger_ui_renders_under_the_policy(browser, live_server, seeded):  # noqa: F811
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    assert violations_on(page, f"{live_server.url}/api/docs/") == []
    # Not merely silent: Swagger UI ran its script and drew the operations.
    page.wait_for_selector("text=/api/commitments/{slug}/status-updates/")
    assert page.locator(".opblock").count() >= 8
    context.close()


def test_the_browsable_api_is_for_logged_in_people_and_json_for_everyone_else(
    browser,
    live_server,
    seeded,  # noqa: F811
):
    anonymous = browser.new_context()
    page = anonymous.new_page()
    page.goto(f"{live_server.url}/api/commitments/?limit=1")
    assert page.evaluate("document.contentType") == "application/json"
    anonymous.close()
    page = log_in(browser, live_server, "vic")
    page.goto(f"{live_server.url}/api/")
    assert page.evaluate("document.contentType") == "text/html"
    page.click("text=/api/commitments/")
    page.wait_for_selector("text=cn-consulate-general-aktobe")
