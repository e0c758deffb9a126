"""The evidence archive: a copy of each evidence page, and the later checks of its link."""

import uuid

from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from ..choices import ArchiveState, LinkHealth

# Lets constraints say `sha256__length=64`.
models.CharField.register_lookup(Length)


def snapshot_file_name(snapshot: "EvidenceSnapshot", extension: str) -> str:
    """Return the storage name of one of a snapshot's files: by date, then by key."""
    return f"evidence/{snapshot.retrieved_at:%Y/%m}/{snapshot.uuid}.{extension}"


class EvidenceSnapshot(models.Model):
    """The archived copy of a status update's evidence URL, fetched once."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status_update = models.OneToOneField(
        "commitments.StatusUpdate", on_delete=models.CASCADE, related_name="evidence_snapshot"
    )
    state = models.CharField(max_length=20, choices=ArchiveState.choices)
    reason = models.CharField(
        max_length=500, blank=True, help_text="Why the fetch failed or was refused."
    )
    requested_url = models.URLField("requested URL", max_length=2000)
    final_url = models.URLField("final URL", max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    content_type = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField("size in bytes", null=True, blank=True)
    sha256 = models.CharField("SHA-256 of the body", max_length=64, blank=True)
    # Storage names (Django's storage API), never the files themselves.
    warc_file = models.CharField("WARC file", max_length=255, blank=True)
    text_file = models.CharField("text file", max_length=255, blank=True)
    excerpt_found = models.BooleanField(
        null=True, blank=True, help_text="Unknown when there is no excerpt or no text."
    )
    # What the server said, for the link checker's conditional requests.
    etag = models.CharField("ETag", max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    retrieved_at = models.DateTimeField(default=timezone.now)
    # A cached copy of the latest check's outcome, written only by record_check().
    link_health = models.CharField(
        max_length=20, choices=LinkHealth.choices, blank=True, editable=False
    )
    link_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "evidence snapshot"
        verbose_name_plural = "evidence snapshots"
        ordering = ["-retrieved_at", "-id"]
        indexes = [
            # The dashboard lists rotted evidence; the checker picks the least recently checked.
            models.Index(fields=["link_health"], name="evidencesnapshot_health_idx"),
            models.Index(fields=["link_checked_at"], name="evidencesnapshot_checked_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ArchiveState.values),
                name="%(app_label)s_%(class)s_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state=ArchiveState.ARCHIVED)
                | (Q(sha256__length=64) & ~Q(warc_file="")),
                name="%(app_label)s_%(class)s_archived_has_copy",
            ),
        ]

    def __str__(self):
        return f"{self.get_state_display()}: {self.requested_url}"

    @property
    def is_archived(self) -> bool:
        return self.state == ArchiveState.ARCHIVED

    def read_text(self) -> str:
        """Return the archived main text ("" when none was kept)."""
        if not self.text_file:
            return ""
        with default_storage.open(self.text_file, "rb") as stream:
            return stream.read().decode("utf-8")

    def open_warc(self):
        """Return the WARC file, opened for reading as bytes."""
        return default_storage.open(self.warc_file, "rb")

    def stored_files(self) -> list[str]:
        return [name for name in (self.warc_file, self.text_file) if name]


class EvidenceCheck(models.Model):
    """One later re-fetch of an archived evidence link, and what it found."""

    snapshot = models.ForeignKey(EvidenceSnapshot, on_delete=models.CASCADE, related_name="checks")
    outcome = models.CharField(max_length=20, choices=LinkHealth.choices)
    reason = models.CharField(max_length=500, blank=True)
    http_status = models.PositiveSmallIntegerField("HTTP status", null=True, blank=True)
    final_url = models.URLField("final URL", max_length=2000, blank=True)
    sha256 = models.CharField("SHA-256 of the body", max_length=64, blank=True)
    excerpt_found = models.BooleanField(null=True, blank=True)
    # Failures in a row up to this one: the checker backs off exponentially.
    failures_in_row = models.PositiveSmallIntegerField(default=0)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "evidence link check"
        verbose_name_plural = "evidence link checks"
        ordering = ["-checked_at", "-id"]
        indexes = [
            # The checker and the dashboard read each snapshot's latest check.
            models.Index(fields=["snapshot", "-checked_at"], name="evidencecheck_latest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=LinkHealth.values),
                name="%(app_label)s_%(class)s_outcome_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} on {self.checked_at:%Y-%m-%d}"

    @property
    def has_rotted(self) -> bool:
        return self.outcome in LinkHealth.rotted()
