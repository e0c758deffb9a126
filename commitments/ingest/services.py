"""Adding a source and storing what the proposer finds in it: the workflows of ingestion."""

import datetime
from dataclasses import dataclass
from pathlib import PurePath

import trafilatura
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..choices import ReviewState
from ..models import Meeting, SourceDocument, sha256_of
from .models import Proposal, ProposedMeeting, save_with_unique_slug
from .proposer import propose
from .rules import RulesError

TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}


class DuplicateSource(ValidationError):
    """The same text is already stored; `existing` is that source."""

    def __init__(self, existing: SourceDocument):
        self.existing = existing
        super().__init__(
            f"This text is already stored as “{existing.title}” (SHA-256 {existing.sha256[:12]}…).",
            code="duplicate",
        )


@dataclass
class SourceInput:
    """A source's text and what an HTML page said about itself (title and date)."""

    text: str
    title: str = ""
    published_on: datetime.date | None = None


def normalized(text: str) -> str:
    """Return the text with Unix line endings and no byte-order mark: what offsets refer to."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def check_text(text: str, *, field: str = "text") -> str:
    """Return the text if it can be a source's text; raise ValidationError saying why not."""
    limit = settings.SOURCE_TEXT_MAX_CHARS
    if not text.strip():
        raise ValidationError({field: "The text is empty."}, code="empty")
    if len(text) > limit:
        raise ValidationError(
            {field: f"The text is {len(text):,} characters long; the limit is {limit:,}."},
            code="too_long",
        )
    nul = text.find("\x00")
    if nul != -1:
        raise ValidationError(
            {field: f"The text contains a NUL character at offset {nul}."}, code="nul"
        )
    return text


def read_upload(name: str, data: bytes, *, field: str = "file") -> SourceInput:
    """Decode an uploaded .txt or .html file; raise ValidationError naming what is wrong."""
    suffix = PurePath(name or "").suffix.lower()
    if suffix not in TEXT_SUFFIXES | HTML_SUFFIXES:
        raise ValidationError(
            {field: f"“{name}” is neither .txt nor .html/.htm."}, code="file_type"
        )
    limit = settings.SOURCE_UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(
            {field: f"The file is {len(data):,} bytes; the limit is {limit:,}."},
            code="too_large",
        )
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValidationError(
            {
                field: f"The file is not UTF-8 text: byte 0x{data[error.start]:02x} "
                f"at position {error.start} cannot be decoded."
            },
            code="encoding",
        ) from None
    if suffix in TEXT_SUFFIXES:
        return SourceInput(text=check_text(normalized(decoded), field=field))
    return main_text_of_html(decoded, field=field)


def main_text_of_html(html: str, *, field: str = "file") -> SourceInput:
    """Reduce an HTML page to its main text, one paragraph per block."""
    if "\x00" in html:
        raise ValidationError({field: "The file contains a NUL character."}, code="nul")
    try:
        document = trafilatura.bare_extraction(html, with_metadata=True, favor_recall=True)
    except Exception:
        document = None
    body = (getattr(document, "text", None) or "") if document else ""
    lines = [line.strip() for line in normalized(body).split("\n") if line.strip()]
    if not lines:
        raise ValidationError(
            {field: "No main text could be found in the HTML file."}, code="no_text"
        )
    published_on = None
    raw_date = getattr(document, "date", None)
    if raw_date:
        try:
            published_on = datetime.date.fromisoformat(str(raw_date)[:10])
        except ValueError:
            published_on = None
    return SourceInput(
        text=check_text("\n\n".join(lines), field=field),
        title=(getattr(document, "title", None) or "")[:300],
        published_on=published_on,
    )


def add_source(
    *,
    text: str,
    title: str,
    publisher: str,
    published_on: datetime.date,
    url: str = "",
    language: str = "en",
    by=None,
) -> SourceDocument:
    """Store a new source; refuse one whose text (by SHA-256) is already stored."""
    text = check_text(normalized(text))
    existing = SourceDocument.objects.filter(sha256=sha256_of(text)).first()
    if existing is not None:
        raise DuplicateSource(existing)
    source = SourceDocument(
        title=title,
        publisher=publisher,
        url=url,
        published_on=published_on,
        language=language or "en",
        text=text,
    )
    source._history_user = by
    source.full_clean(exclude=["sha256", "slug"])
    try:
        save_with_unique_slug(source, f"{published_on:%Y-%m-%d} {title}")
    except IntegrityError:
        # Someone stored the same text between our check and our insert.
        existing = SourceDocument.objects.filter(sha256=source.sha256).first()
        if existing is None:
            raise
        raise DuplicateSource(existing) from None
    return source


@dataclass
class ProposerRun:
    """What one run stored: proposals created, refreshed, dropped, and left as reviewed."""

    meetings: int
    created: int
    refreshed: int
    dropped: int
    reviewed: int


def run_proposer(source: SourceDocument, *, meetings: list[Meeting] | None = None) -> ProposerRun:
    """Propose a source's meetings and commitments, and store them for review.

    A re-run is idempotent: the same reading of the same span updates its pending
    proposal, pending proposals the proposer no longer makes are dropped, and
    reviewed proposals (and resolved meetings) are never touched.
    """
    try:
        extraction = propose(source.text, published_on=source.published_on, meetings=meetings)
    except RulesError as error:
        raise ValidationError(f"The proposer's rules cannot be used: {error}") from None
    with transaction.atomic():
        stored_meetings = []
        for position, found in enumerate(extraction.meetings):
            proposed, _ = ProposedMeeting.objects.select_for_update().get_or_create(
                source=source,
                position=position,
                defaults={"kind": found.kind, "title": found.title[:300]},
            )
            if proposed.meeting_id is None:
                proposed.date = found.date
                proposed.city = found.city[:100]
                proposed.country = found.country or ""
                proposed.kind = found.kind
                proposed.title = found.title[:300]
                proposed.participants = [
                    {**participant.as_json(), "title": participant.title, "role": participant.role}
                    for participant in found.participants
                ]
                proposed.existing = (
                    Meeting.objects.filter(slug=found.existing).first() if found.existing else None
                )
                if meetings:
                    proposed.meeting = proposed.existing
                proposed.save()
            stored_meetings.append(proposed)
        current = {
            (p.start, p.end, p.parties_key, p.proposed_meeting_id): p
            for p in Proposal.objects.select_for_update().filter(source=source)
        }
        seen, created, refreshed = set(), 0, 0
        for found in extraction.proposals:
            parties = [party.as_json() for party in found.parties]
            meeting = stored_meetings[found.meeting]
            key = (found.start, found.end, Proposal.key_of(parties), meeting.pk)
            if key in seen:
                continue  # the same reading twice (a backend may repeat itself): stored once
            seen.add(key)
            proposal = current.get(key)
            if proposal is not None and proposal.state != ReviewState.PENDING:
                continue
            if proposal is None:
                proposal = Proposal(
                    source=source, proposed_meeting=meeting, start=found.start, end=found.end
                )
                created += 1
            else:
                refreshed += 1
            proposal.quote = found.quote
            proposal.parties = parties
            proposal.category = found.category
            proposal.title = found.title[:300]
            proposal.rule = found.rule[:50]
            proposal.confidence = found.confidence
            proposal.matches = found.matches
            proposal.save()
        stale = [
            p.pk for key, p in current.items() if key not in seen and p.state == ReviewState.PENDING
        ]
        Proposal.objects.filter(pk__in=stale).delete()
        # Meetings the proposer no longer reads, unresolved and without proposals, go too.
        ProposedMeeting.objects.filter(
            source=source, position__gte=len(stored_meetings), meeting=None, proposals=None
        ).delete()
        reviewed = sum(1 for p in current.values() if p.state != ReviewState.PENDING)
    return ProposerRun(
        meetings=len(stored_meetings),
        created=created,
        refreshed=refreshed,
        dropped=len(stale),
        reviewed=reviewed,
    )
