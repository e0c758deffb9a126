"""The evidence area in the admin: the timeline's archive column, the archived text and WARC.

Archived HTML is never rendered as a page here (it could carry scripts): the
text view shows the extracted text escaped inside an admin page, and the
WARC is a download (`Content-Disposition: attachment`) under a policy that
allows nothing.
"""

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from ..admin.base import iso_date
from ..choices import ArchiveState, LinkHealth
from ..models import Commitment, StatusUpdate
from .api import LOCKED_DOWN_POLICY
from .models import EvidenceCheck, EvidenceSnapshot


def excerpt_words(found: bool | None) -> str:
    if found is None:
        return "excerpt not checkable"
    return "excerpt found" if found else "excerpt not found"


def archive_summary(update: StatusUpdate):
    """Return the timeline's archive cell: "archived · excerpt found · date", with links."""
    if not update.evidence_url:
        return "—"
    try:
        snapshot = update.evidence_snapshot
    except ObjectDoesNotExist:
        return "not archived yet"
    if snapshot.state != ArchiveState.ARCHIVED:
        return format_html(
            '<span class="evidence-{}">{} · {}</span> <span class="evidence-reason">{}</span>',
            snapshot.state,
            snapshot.get_state_display().lower(),
            iso_date(snapshot.retrieved_at),
            snapshot.reason,
        )
    links = [("text", reverse("admin:commitments_evidence_text", args=[snapshot.pk]))]
    links.append(("WARC", reverse("admin:commitments_evidence_warc", args=[snapshot.pk])))
    health = ""
    if snapshot.link_health in LinkHealth.rotted():
        health = format_html(
            ' · <strong class="evidence-rotted">link {} on {}</strong>',
            snapshot.get_link_health_display().lower(),
            iso_date(snapshot.link_checked_at.date()),
        )
    return format_html(
        '<span class="evidence-archived">archived · {} · {}</span>{}<br>{}',
        excerpt_words(snapshot.excerpt_found),
        iso_date(snapshot.retrieved_at.date()),
        health,
        format_html_join(" · ", '<a href="{}">{}</a>', ((url, name) for name, url in links)),
    )


def rotted_evidence(limit: int) -> tuple[list[EvidenceSnapshot], int]:
    """Return the latest rotted evidence snapshots (with their commitments) and their count."""
    snapshots = (
        EvidenceSnapshot.objects.filter(
            state=ArchiveState.ARCHIVED, link_health__in=LinkHealth.rotted()
        )
        .select_related("status_update__commitment")
        .order_by("-link_checked_at", "-id")
    )
    return list(snapshots[:limit]), snapshots.count()


def may_view_evidence(request) -> bool:
    return request.user.has_perm("commitments.view_statusupdate")


def snapshot_for(request, pk: int, *, needs: str) -> EvidenceSnapshot:
    if not may_view_evidence(request):
        raise PermissionDenied
    snapshot = get_object_or_404(
        EvidenceSnapshot.objects.select_related("status_update__commitment"), pk=pk
    )
    if not getattr(snapshot, needs):
        raise Http404("This snapshot has no archived copy of that kind.")
    return snapshot


@admin.register(EvidenceSnapshot)
class EvidenceSnapshotAdmin(admin.ModelAdmin):
    """Every archived copy, read-only: snapshots are written only by the archiver."""

    list_display = [
        "requested_url",
        "state",
        "excerpt",
        "link_health",
        "retrieved_on",
        "commitment",
    ]
    list_filter = ["state", "link_health", "excerpt_found"]
    search_fields = ["requested_url", "final_url", "sha256"]
    list_select_related = ["status_update__commitment"]
    readonly_fields = [
        "commitment",
        "state",
        "reason",
        "requested_url",
        "final_url",
        "http_status",
        "content_type",
        "size",
        "sha256",
        "excerpt",
        "retrieved_at",
        "link_health",
        "link_checked_at",
        "copies",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("checks", EvidenceCheck.objects.order_by("-checked_at", "-id"))
            )
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="excerpt")
    def excerpt(self, snapshot):
        return excerpt_words(snapshot.excerpt_found)

    @admin.display(description="retrieved", ordering="retrieved_at")
    def retrieved_on(self, snapshot):
        return iso_date(snapshot.retrieved_at)

    @admin.display(description="commitment")
    def commitment(self, snapshot):
        commitment: Commitment = snapshot.status_update.commitment
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:commitments_commitment_change", args=[commitment.pk]),
            commitment,
        )

    @admin.display(description="archived copy")
    def copies(self, snapshot):
        if not snapshot.is_archived:
            return "—"
        return format_html(
            '<a href="{}">text</a> <a href="{}">WARC</a>',
            reverse("admin:commitments_evidence_text", args=[snapshot.pk]),
            reverse("admin:commitments_evidence_warc", args=[snapshot.pk]),
        )

    def get_urls(self):
        site = self.admin_site
        return [
            path(
                "<int:pk>/text/",
                site.admin_view(self.text_view),
                name="commitments_evidence_text",
            ),
            path(
                "<int:pk>/warc/",
                site.admin_view(self.warc_view),
                name="commitments_evidence_warc",
            ),
            *super().get_urls(),
        ]

    def text_view(self, request, pk: int):
        """Show the archived main text, escaped, in an admin page."""
        snapshot = snapshot_for(request, pk, needs="text_file")
        update = snapshot.status_update
        context = {
            **self.admin_site.each_context(request),
            "title": f"Archived text of {snapshot.requested_url}",
            "snapshot": snapshot,
            "update": update,
            "commitment": update.commitment,
            "text": snapshot.read_text(),
            "excerpt": excerpt_words(snapshot.excerpt_found),
            "warc_url": reverse("admin:commitments_evidence_warc", args=[snapshot.pk]),
            "commitment_url": reverse(
                "admin:commitments_commitment_change", args=[update.commitment.pk]
            ),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/commitments/evidence/text.html", context)

    def warc_view(self, request, pk: int):
        """Send the WARC as a download, never as a page."""
        snapshot = snapshot_for(request, pk, needs="warc_file")
        response = FileResponse(
            snapshot.open_warc(),
            as_attachment=True,
            filename=f"{snapshot.uuid}.warc.gz",
            content_type="application/warc",
        )
        response["Content-Security-Policy"] = LOCKED_DOWN_POLICY
        response["X-Content-Type-Options"] = "nosniff"
        return response
