"""The evidence area's API: each timeline entry's `evidence_archive`, and the archived copy.

- `GET /api/status-updates/{id}/evidence/text/`: the archived page's main text,
  as plain text;
- `GET /api/status-updates/{id}/evidence/warc/`: the WARC of the exchange, as a
  download.

Both are as open as the commitment they belong to. Archived HTML is never
served as a page on this origin: it could carry scripts. The text is plain
text, the WARC an attachment, and both carry a Content-Security-Policy that
allows nothing (`sandbox`) and `nosniff`.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from ..api.permissions import OpenReadUnlessLoginRequired
from ..models import StatusUpdate
from .models import EvidenceSnapshot

# Nothing from an archived copy runs, loads or frames anything here.
LOCKED_DOWN_POLICY = "default-src 'none'; sandbox; frame-ancestors 'none'"


class EvidenceArchiveSerializer(serializers.ModelSerializer):
    """What became of fetching a status update's evidence URL."""

    text_url = serializers.SerializerMethodField()
    warc_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceSnapshot
        fields = [
            "state",
            "reason",
            "retrieved_at",
            "http_status",
            "final_url",
            "sha256",
            "excerpt_found",
            "text_url",
            "warc_url",
        ]
        read_only_fields = fields

    def _url(self, snapshot, name: str) -> str:
        return reverse(
            name,
            kwargs={"uuid": snapshot.status_update.uuid},
            request=self.context.get("request"),
        )

    def get_text_url(self, snapshot) -> str | None:
        if not snapshot.text_file:
            return None
        return self._url(snapshot, "status-update-evidence-text")

    def get_warc_url(self, snapshot) -> str | None:
        if not snapshot.warc_file:
            return None
        return self._url(snapshot, "status-update-evidence-warc")


def evidence_archive(update: StatusUpdate, context: dict) -> dict | None:
    """Return `evidence_archive` for an update fetched with its snapshot, or None."""
    try:
        snapshot = update.evidence_snapshot
    except ObjectDoesNotExist:
        return None
    return EvidenceArchiveSerializer(snapshot, context=context).data


class AnyAccept(BaseContentNegotiation):
    """Serve the file whatever the client accepts; errors are answered as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ArchivedCopyView(APIView):
    permission_classes = [OpenReadUnlessLoginRequired]
    content_negotiation_class = AnyAccept

    def get_snapshot(self, *, needs: str) -> EvidenceSnapshot:
        snapshot = (
            EvidenceSnapshot.objects.select_related("status_update")
            .filter(status_update__uuid=self.kwargs["uuid"])
            .first()
        )
        if snapshot is None or not getattr(snapshot, needs):
            raise NotFound("This status update has no archived copy of that kind.")
        return snapshot


def locked_down(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = LOCKED_DOWN_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@extend_schema(
    summary="The archived text of a status update's evidence",
    responses={
        (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The main text."),
    },
)
class EvidenceTextView(ArchivedCopyView):
    def get(self, request, uuid):
        snapshot = self.get_snapshot(needs="text_file")
        response = HttpResponse(snapshot.read_text(), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{snapshot.uuid}.txt"'
        return locked_down(response)


@extend_schema(
    summary="The WARC of a status update's evidence, as a download",
    responses={
        (200, "application/warc"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The gzipped WARC of the exchange."
        ),
    },
)
class EvidenceWarcView(ArchivedCopyView):
    def get(self, request, uuid):
        snapshot = self.get_snapshot(needs="warc_file")
        response = FileResponse(
            snapshot.open_warc(),
            as_attachment=True,
            filename=f"{snapshot.uuid}.warc.gz",
            content_type="application/warc",
        )
        return locked_down(response)
