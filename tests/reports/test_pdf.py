"""The PDF: rendered once for the module, its text read back with pypdf."""

import io
import logging
import logging.handlers
import os
import re
import subprocess

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from tests.test_browser import SCREENSHOTS

from .conftest import FINAL, INTERIM, XIAN

pytestmark = pytest.mark.django_db
URL = "/admin/commitments/commitment/reports/compliance/"


@pytest.fixture(scope="module")
def rendered(demo, django_db_blocker, tmp_path_factory):
    """The PDF's text by page, and what was logged while writing it."""
    # Through the command, the way an analyst writes one outside the admin.
    path = tmp_path_factory.mktemp("pdf") / "xian.pdf"
    root = logging.getLogger()
    logged = logging.handlers.BufferingHandler(capacity=100_000)
    level = root.level
    root.addHandler(logged)
    root.setLevel(logging.INFO)
    try:
        with django_db_blocker.unblock():
            call_command(
                "compliance_report",
                meeting=XIAN,
                as_of=f"{FINAL}",
                compare_to=f"{INTERIM}",
                format="pdf",
                output=str(path),
                stderr=io.StringIO(),
            )
    finally:
        root.removeHandler(logged)
        root.setLevel(level)
    if os.environ.get("SAVE_SCREENSHOTS"):  # make screenshots
        # The README's picture of the summary page, from the PDF itself.
        subprocess.run(
            ["pdftoppm", "-png", "-r", "90", "-f", "3", "-l", "3", "-singlefile",
             str(path), str(SCREENSHOTS / "report-pdf")],
            check=True,
        )  # fmt: skip
    reader = PdfReader(path)
    return [page.extract_text() for page in reader.pages], logged.buffer


@pytest.fixture(scope="module")
def pdf_text(rendered):
    return rendered[0]


def test_writing_a_pdf_logs_no_progress_lines(rendered):
    assert [r.getMessage() for r in rendered[1] if r.name == "weasyprint.progress"] == []


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_pdf_opens_with_a_title_page_and_the_methodology(pdf_text):
    assert "Compliance report" in pdf_text[0]
    assert "Cut-off date" in pdf_text[0] and "2024-12-31" in pdf_text[0]
    assert "Generated at" in pdf_text[0]
    assert "Methodology" in pdf_text[1]


def test_the_pdf_holds_the_summary_table(pdf_text):
    text = flat(" ".join(pdf_text))
    assert "Summary" in text and "By lead country" in text and "By category" in text
    # Kazakhstan's row: 8 announced, 0 formalized, 1 in progress, 2 completed,
    # 0 stalled, 0 cancelled; 11 in all, 8 not assessed, average 0.67, 83 %.
    assert "Kazakhstan 8 0 1 2 0 0 11 8 0.67 83" in text


def test_the_pdf_holds_a_commitments_quote(pdf_text):
    text = flat(" ".join(pdf_text))
    assert "China and Kazakhstan will take" in text
    assert "The agreement for the exemption of the visa requirements was signed" in text


def test_the_admin_downloads_the_pdf(demo_data, client, viewer, monkeypatch):
    # The rendering itself is the module's one PDF; here, the download's wiring.
    rendered = []
    monkeypatch.setattr(
        "commitments.reports.admin.render_pdf",
        lambda report: rendered.append(report) or b"%PDF-1.7 stand-in",
    )
    client.force_login(viewer)
    response = client.get(URL, {"meeting": XIAN, "as_of": f"{FINAL}", "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="compliance_{XIAN}_2024-12-31.pdf"'
    )
    assert response.content == b"%PDF-1.7 stand-in"
    assert rendered[0].as_of == FINAL and len(rendered[0].rows) == 73
