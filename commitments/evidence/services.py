"""Archiving evidence and checking its links: the workflows over fetch, storage and the models.

`archive_status_update()` fetches a status update's evidence URL once and
records its snapshot; `check_snapshot()` fetches it again and records what
changed. Both are called by the background tasks (tasks.py) and by the
`archive_evidence` and `check_evidence` commands.
"""

import datetime
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ..choices import ArchiveState, LinkHealth
from ..models import StatusUpdate
from .fetch import FetchResult, Limits, fetch
from .models import EvidenceCheck, EvidenceSnapshot, snapshot_file_name
from .text import excerpt_found, page_texts
from .warc import write_warc

logger = logging.getLogger(__name__)

# The checker waits at most this long between two requests to a failing host,
# and leaves failing links alone for at most this many check intervals.
MAX_HOST_DELAY = 60.0
MAX_BACKOFF_STEPS = 4


def pending_status_updates(*, retry_failed: bool = False) -> models.QuerySet:
    """Return the status updates with an evidence URL and no finished snapshot, oldest first."""
    no_snapshot = models.Q(evidence_snapshot__isnull=True)
    if retry_failed:
        no_snapshot |= ~models.Q(evidence_snapshot__state=ArchiveState.ARCHIVED)
    return (
        StatusUpdate.objects.exclude(evidence_url="")
        .filter(no_snapshot)
        .order_by("recorded_at", "id")
    )


def archive_status_update(
    *, status_update_id: int, retry_failed: bool = False, limits: Limits | None = None
) -> EvidenceSnapshot | None:
    """Fetch a status update's evidence URL and record its snapshot; return the snapshot.

    Return the existing snapshot when there is one (a failed or refused one is
    fetched again when `retry_failed`), and None when the update has no URL.
    """
    update = StatusUpdate.objects.filter(pk=status_update_id).first()
    if update is None or not update.evidence_url:
        return None
    existing = EvidenceSnapshot.objects.filter(status_update=update).first()
    if existing is not None and (existing.is_archived or not retry_failed):
        return existing
    result = fetch(update.evidence_url, limits=limits)
    return record_snapshot(update, result, replacing=existing)


def record_snapshot(
    update: StatusUpdate, result: FetchResult, *, replacing: EvidenceSnapshot | None = None
) -> EvidenceSnapshot:
    """Store the files of a fetch and its snapshot row; return the snapshot that is kept.

    The files are written first and removed again if the row is not: when two
    workers archive the same update at once, the first row stays.
    """
    snapshot = EvidenceSnapshot(
        status_update=update,
        state=ArchiveState.ARCHIVED if result.outcome == "ok" else result.outcome,
        reason=result.reason[:500],
        requested_url=result.requested_url[:2000],
        final_url=result.final_url[:2000],
        http_status=result.http_status,
        content_type=result.content_type[:200],
        retrieved_at=result.retrieved_at,
    )
    if result.outcome == "ok":
        body = result.body
        main, whole = readable_texts(result)
        snapshot.size = len(body)
        snapshot.sha256 = hashlib.sha256(body).hexdigest()
        snapshot.excerpt_found = excerpt_found(update.evidence_excerpt, main, whole)
        snapshot.etag = result.final.header("ETag")[:500]
        snapshot.last_modified = result.final.header("Last-Modified")[:100]
        snapshot.warc_file = default_storage.save(
            snapshot_file_name(snapshot, "warc.gz"),
            ContentFile(write_warc(result, filename=f"{snapshot.uuid}.warc.gz")),
        )
        if main:
            snapshot.text_file = default_storage.save(
                snapshot_file_name(snapshot, "txt"), ContentFile(main.encode("utf-8"))
            )
    try:
        with transaction.atomic():
            if replacing is not None:
                EvidenceSnapshot.objects.filter(pk=replacing.pk).exclude(
                    state=ArchiveState.ARCHIVED
                ).delete()
            snapshot.save()
    except IntegrityError:
        delete_files(snapshot.stored_files())
        return EvidenceSnapshot.objects.get(status_update=update)
    return snapshot


def readable_texts(result: FetchResult) -> tuple[str, str]:
    """Return the page's main and whole text; ("", "") when it cannot be read."""
    try:
        return page_texts(result.body, result.media_type, result.content_type)
    except Exception:
        # A page the extractor chokes on is still archived, without its text.
        logger.warning("Could not extract the text of %s", result.final_url, exc_info=True)
        return "", ""


def delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete the stored file %s", name, exc_info=True)


def check_snapshot(snapshot: EvidenceSnapshot, *, limits: Limits | None = None) -> EvidenceCheck:
    """Fetch an archived snapshot's URL again, politely, and record what the check found."""
    conditional = {}
    if snapshot.etag:
        conditional["If-None-Match"] = snapshot.etag
    if snapshot.last_modified:
        conditional["If-Modified-Since"] = snapshot.last_modified
    result = fetch(snapshot.requested_url, limits=limits, extra_headers=conditional)
    return record_check(snapshot, result)


def judge(snapshot: EvidenceSnapshot, result: FetchResult) -> EvidenceCheck:
    """Return the (unsaved) check that `result` makes of `snapshot`."""
    check = EvidenceCheck(
        snapshot=snapshot,
        http_status=result.http_status,
        final_url=result.final_url[:2000],
        checked_at=result.retrieved_at,
    )
    if result.outcome != "ok":
        if result.http_status in (404, 410):
            check.outcome = LinkHealth.GONE
        else:
            check.outcome = LinkHealth.FAILING
        check.reason = result.reason
    elif result.http_status == 304:
        check.outcome, check.reason = LinkHealth.OK, "not modified since the snapshot"
    elif not same_url(result.final_url, snapshot.final_url):
        check.outcome = LinkHealth.REDIRECTED
        check.reason = f"now leads to {result.final_url}"
    else:
        check.sha256 = hashlib.sha256(result.body).hexdigest()
        if check.sha256 == snapshot.sha256:
            check.outcome, check.reason = LinkHealth.OK, "unchanged"
        else:
            main, whole = readable_texts(result)
            check.excerpt_found = excerpt_found(
                snapshot.status_update.evidence_excerpt, main, whole
            )
            if snapshot.excerpt_found and check.excerpt_found is not True:
                check.outcome = LinkHealth.CHANGED
                check.reason = "the page changed and the excerpt is no longer in it"
            else:
                check.outcome = LinkHealth.OK
                check.reason = "the page changed; the excerpt is still there"
                if snapshot.excerpt_found is not True:
                    check.reason = "the page changed"
    check.reason = check.reason[:500]
    return check


def record_check(snapshot: EvidenceSnapshot, result: FetchResult) -> EvidenceCheck:
    """Judge a re-fetch, store the check and update the snapshot's cached link health."""
    check = judge(snapshot, result)
    with transaction.atomic():
        previous = snapshot.checks.order_by("-checked_at", "-id").first()
        if check.outcome in (LinkHealth.FAILING, LinkHealth.GONE):
            check.failures_in_row = min((previous.failures_in_row if previous else 0) + 1, 1000)
        check.save()
        EvidenceSnapshot.objects.filter(pk=snapshot.pk).update(
            link_health=check.outcome, link_checked_at=check.checked_at
        )
    snapshot.link_health, snapshot.link_checked_at = check.outcome, check.checked_at
    return check


def same_url(a: str, b: str) -> bool:
    """Return whether two URLs name the same page (ignoring a fragment and a trailing slash)."""

    def key(url: str) -> tuple:
        parts = urlsplit(url)
        return (
            parts.scheme.lower(),
            parts.netloc.lower(),
            parts.path.rstrip("/") or "/",
            parts.query,
        )

    return key(a) == key(b)


def due_snapshots(*, now: datetime.datetime | None = None, everything: bool = False) -> list:
    """Return the archived snapshots due for a check, least recently checked first.

    One checked fewer than EVIDENCE_CHECK_INTERVAL_DAYS ago waits; one that
    failed N times in a row waits 2**(N-1) intervals (at most 2**4).
    """
    now = now or timezone.now()
    interval = datetime.timedelta(days=settings.EVIDENCE_CHECK_INTERVAL_DAYS)
    snapshots = (
        EvidenceSnapshot.objects.filter(state=ArchiveState.ARCHIVED)
        .select_related("status_update")
        .order_by(models.F("link_checked_at").asc(nulls_first=True), "id")
    )
    if everything:
        return list(snapshots)
    snapshots = snapshots.filter(
        models.Q(link_checked_at__isnull=True) | models.Q(link_checked_at__lte=now - interval)
    )
    latest_failures = (
        EvidenceCheck.objects.filter(snapshot=models.OuterRef("pk"))
        .order_by("-checked_at", "-id")
        .values("failures_in_row")[:1]
    )
    due = []
    for snapshot in snapshots.annotate(failures=models.Subquery(latest_failures)):
        steps = min(max((snapshot.failures or 0) - 1, 0), MAX_BACKOFF_STEPS)
        if snapshot.link_checked_at is None or snapshot.link_checked_at <= now - interval * (
            2**steps
        ):
            due.append(snapshot)
    return due


def check_links(
    snapshots: Iterable[EvidenceSnapshot],
    *,
    limits: Limits | None = None,
    host_delay: float | None = None,
    progress: Callable[[EvidenceSnapshot, EvidenceCheck], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Counter:
    """Check each snapshot's link, waiting between requests to one host; return outcome counts.

    After an error from a host, the wait before its next request doubles (up to
    MAX_HOST_DELAY seconds).
    """
    base_delay = settings.EVIDENCE_CHECK_HOST_DELAY if host_delay is None else host_delay
    last_request: dict[str, float] = {}
    delays: dict[str, float] = {}
    counts: Counter = Counter()
    for snapshot in snapshots:
        host = (urlsplit(snapshot.requested_url).hostname or "").lower()
        wait = last_request.get(host, 0.0) + delays.get(host, base_delay) - time.monotonic()
        if host in last_request and wait > 0:
            sleep(wait)
        check = check_snapshot(snapshot, limits=limits)
        last_request[host] = time.monotonic()
        if check.outcome == LinkHealth.FAILING:
            delays[host] = min(max(delays.get(host, base_delay), 0.5) * 2, MAX_HOST_DELAY)
        else:
            delays.pop(host, None)
        counts[check.outcome] += 1
        if progress is not None:
            progress(snapshot, check)
    return counts
