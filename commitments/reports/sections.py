"""One section per commitment of a report, as HTML, written in Python for speed.

A report may hold tens of thousands of commitments. Django's template engine
spends about half a millisecond on each section (some forty variable lookups
and filters), which made a 10,000-commitment report take ten seconds; plain
string building with html.escape takes a fraction of that. The page around
the sections (title page, methodology, summary, comparison) stays a template,
`reports/_report_body.html`, which inserts what `commitment_sections()` returns.
"""

import datetime
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .services import CommitmentRow, EvidenceRow, Report


def _link(url: str, text: str) -> str:
    if not url:
        return escape(text)
    return f'<a href="{escape(url)}">{escape(text)}</a>'


def _score(score: int | None) -> str:
    if score is None:
        return '<span class="not-assessed">not assessed</span>'
    return {1: "+1", 0: "0", -1: "−1"}[score]


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _entry(entry: EvidenceRow) -> str:
    parts = [f"<li><strong>{_day(entry.effective_date)}: {escape(entry.status_label)}.</strong> "]
    if entry.url:
        parts.append(_link(entry.url, entry.title or entry.url))
    elif entry.title:
        parts.append(escape(entry.title))
    if entry.publisher:
        parts.append(f", {escape(entry.publisher)}")
    if entry.document_title:
        parts.append(f" Source document: {_link(entry.document_url, entry.document_title)}.")
    if entry.archived_url:
        retrieved = entry.archived_at.date().isoformat() if entry.archived_at else ""
        parts.append(
            f' <span class="meta">({_link(entry.archived_url, "archived copy")}, '
            f"retrieved {retrieved})</span>"
        )
    if entry.excerpt:
        parts.append(f'<br><span class="excerpt">“{escape(entry.excerpt)}”</span>')
    if entry.note:
        parts.append(f'<br><span class="meta">{escape(entry.note)}</span>')
    parts.append("</li>")
    return "".join(parts)


def _section(number: int, row: CommitmentRow, report: Report) -> str:
    comparison = report.comparison
    moved = comparison is not None and row.moved
    parties = "; ".join(f"{escape(party.name)} ({escape(party.role)})" for party in row.parties)
    due = f"<dt>Due</dt><dd>{_day(row.due_date)}</dd>" if row.due_date else ""
    status = (
        f'<span class="status{" moved" if moved else ""}">{escape(row.status_label)}</span> '
        f"since {_day(row.status_date)}"
    )
    if moved:
        earlier = escape(row.earlier_status) if row.earlier_status else "not yet made"
        status += f" (on {_day(comparison.earlier_as_of)}: {earlier})"
    if row.evidence:
        trail = '<ol class="trail">' + "".join(map(_entry, row.evidence)) + "</ol>"
    else:
        trail = f'<p class="meta">No status update by {_day(report.as_of)}.</p>'
    return (
        f'<section class="commitment" id="{escape(row.slug)}">\n'
        f"<h3>{number}. {escape(row.title)}</h3>\n"
        f'<blockquote class="quote">“{escape(row.quote)}”</blockquote>\n'
        f'<p class="source">{_link(row.source_url, row.source_title)}, '
        f"{escape(row.source_publisher)}, {_day(row.source_date)}</p>\n"
        f'<dl class="facts"><dt>Meeting</dt><dd>{escape(row.meeting_title)}, '
        f"{_day(row.made_on)}</dd><dt>Parties</dt><dd>{parties}</dd>"
        f"<dt>Category</dt><dd>{escape(row.category_label)}</dd>{due}"
        f"<dt>Status</dt><dd>{status}</dd><dt>Score</dt><dd>{_score(row.score)}</dd></dl>\n"
        f"{trail}\n</section>\n"
    )


def commitment_sections(report: Report) -> SafeString:
    """Return the HTML of every commitment's section, in the report's order."""
    if not report.rows:
        return mark_safe(
            f"<p>No commitment in this scope had been made by {_day(report.as_of)}.</p>\n"
        )
    html = "".join(_section(number, row, report) for number, row in enumerate(report.rows, 1))
    return mark_safe(html)  # every value above is escaped
