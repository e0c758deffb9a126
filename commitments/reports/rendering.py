"""The report's renderings: a standalone HTML page, a PDF of it, CSV rows and JSON."""

import csv
import datetime
import io
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string

from ..choices import COMPLIANCE_SCORES, Status
from ..resources import escape_formula
from .sections import commitment_sections
from .services import CommitmentRow, Report, SummaryRow

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "commitments" / "report.css"

# The README's status vocabulary, as the methodology section states it.
STATUS_MEANINGS = {
    Status.ANNOUNCED: "Stated in a source; no follow-up evidence yet.",
    Status.FORMALIZED: "An agreement, memorandum or plan was signed.",
    Status.IN_PROGRESS: "Implementation is under way.",
    Status.COMPLETED: "Done.",
    Status.STALLED: "No progress, or reversed.",
    Status.CANCELLED: "Abandoned.",
}

CSV_COLUMNS = [
    "slug",
    "title",
    "category",
    "meeting",
    "made_on",
    "due_date",
    "parties",
    "status",
    "status_date",
    "score",
    "quote",
    "source_title",
    "source_publisher",
    "source_url",
    "source_date",
    "evidence_count",
    "latest_evidence_url",
]
COMPARISON_COLUMNS = ["earlier_status", "earlier_status_date"]


def vocabulary() -> list[dict]:
    """Return the status vocabulary with each status's meaning and score."""
    return [
        {
            "value": value,
            "label": label,
            "meaning": STATUS_MEANINGS[value],
            "score": "not assessed"
            if value == Status.ANNOUNCED
            else f"{COMPLIANCE_SCORES[value]:+d}".replace("+0", "0").replace("-", "−"),
        }
        for value, label in Status.choices
    ]


@cache
def stylesheet() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


def render_html(report: Report, *, generated_at: datetime.datetime | None = None) -> str:
    """Return the report as a standalone HTML document (the stylesheet inlined).

    Without `generated_at` the page depends only on the report's inputs and
    data, so the same inputs give the same bytes.
    """
    return render_to_string(
        "reports/compliance_report.html",
        {
            "report": report,
            "vocabulary": vocabulary(),
            "stylesheet": stylesheet(),
            "generated_at": generated_at,
            "sections": commitment_sections(report),
        },
    )


def render_pdf(report: Report, *, generated_at: datetime.datetime | None = None) -> bytes:
    """Return the report as a PDF, stamped with when it was generated."""
    import weasyprint  # imported here: loading Pango takes a while and only PDFs need it

    generated_at = generated_at or datetime.datetime.now(datetime.UTC)
    html = render_html(report, generated_at=generated_at)
    document = weasyprint.HTML(string=html, base_url=str(STYLESHEET.parent))
    return document.write_pdf()


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def csv_row(row: CommitmentRow, *, comparing: bool) -> list[str]:
    """Return one commitment's CSV cells."""
    latest = row.evidence[-1].url if row.evidence else ""
    cells = [
        row.slug,
        row.title,
        row.category,
        row.meeting,
        _day(row.made_on),
        _day(row.due_date),
        "; ".join(f"{party.country}:{party.role}" for party in row.parties),
        row.status,
        _day(row.status_date),
        "" if row.score is None else str(row.score),
        row.quote,
        row.source_title,
        row.source_publisher,
        row.source_url,
        _day(row.source_date),
        str(len(row.evidence)),
        latest,
    ]
    if comparing:
        cells += [row.earlier_status or "", _day(row.earlier_status_date)]
    return cells


def render_csv(report: Report) -> str:
    """Return one CSV row per commitment, as of the cut-off (and the earlier one when comparing)."""
    comparing = report.comparison is not None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + (COMPARISON_COLUMNS if comparing else []))
    for row in report.rows:
        # Opened in spreadsheets: a cell that would run as a formula is escaped,
        # as the admin's export does. (The dataset's CSVs stay verbatim.)
        writer.writerow([escape_formula(cell) for cell in csv_row(row, comparing=comparing)])
    return out.getvalue()


def _summary(row: SummaryRow) -> dict:
    return {
        "key": row.key,
        "label": row.label,
        "counts": {status: row.counts.get(status, 0) for status in Status.values},
        "total": row.total,
        "assessed": row.assessed,
        "not_assessed": row.not_assessed,
        "average": None if row.score is None else round(row.score, 4),
        "percentage": None if row.percentage is None else round(row.percentage, 2),
    }


def report_as_dict(report: Report) -> dict:
    """Return the report as JSON-ready data: the same rows as the page."""
    data = {
        "scope": {"kind": report.scope.kind, "key": report.scope.key, "title": report.scope.title},
        "as_of": _day(report.as_of),
        "data_version": report.data_version,
        "last_change": report.last_change.isoformat() if report.last_change else None,
        "summary": {
            "by_lead_country": [_summary(row) for row in report.by_country],
            "by_category": [_summary(row) for row in report.by_category],
            "overall": _summary(report.overall),
        },
        "commitments": [
            {
                "slug": row.slug,
                "title": row.title,
                "category": row.category,
                "meeting": row.meeting,
                "made_on": _day(row.made_on),
                "due_date": _day(row.due_date) or None,
                "quote": row.quote,
                "source": {
                    "title": row.source_title,
                    "publisher": row.source_publisher,
                    "url": row.source_url,
                    "date": _day(row.source_date) or None,
                },
                "parties": [{"country": p.country, "role": p.role} for p in row.parties],
                "status": row.status,
                "status_date": _day(row.status_date),
                "score": row.score,
                "evidence": [
                    {
                        "effective_date": _day(entry.effective_date),
                        "status": entry.status,
                        "title": entry.title,
                        "publisher": entry.publisher,
                        "url": entry.url,
                        "excerpt": entry.excerpt,
                        "document": entry.document_title or None,
                        "note": entry.note,
                        "archived_url": entry.archived_url or None,
                        "archived_at": entry.archived_at.isoformat() if entry.archived_at else None,
                    }
                    for entry in row.evidence
                ],
            }
            for row in report.rows
        ],
        "comparison": None,
    }
    if report.comparison is not None:
        comparison = report.comparison
        data["comparison"] = {
            "earlier_as_of": _day(comparison.earlier_as_of),
            "moved": [
                {
                    "slug": row.slug,
                    "from": row.earlier_status,
                    "from_date": _day(row.earlier_status_date) or None,
                    "to": row.status,
                    "to_date": _day(row.status_date),
                }
                for row in comparison.moved
            ],
            "scores": [
                {
                    "key": change.key,
                    "label": change.label,
                    "earlier": _summary(change.earlier),
                    "later": _summary(change.later),
                    "change": None if change.delta is None else round(change.delta, 4),
                }
                for change in comparison.countries
            ],
        }
    return data
