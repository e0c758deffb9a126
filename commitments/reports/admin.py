"""The report page in the admin (Analysts and Viewers), its downloads and the data package."""

import io
import tempfile
import zipfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ..models import Country, Meeting
from .dataset import write_dataset
from .rendering import render_csv, render_html, render_pdf, vocabulary
from .sections import commitment_sections
from .services import ReportInputError, report_from_inputs

FORMATS = {"html", "pdf", "csv"}


def _check_permission(request) -> None:
    if not request.user.has_perm("commitments.view_commitment"):
        raise PermissionDenied


def report_filename(report, extension: str) -> str:
    comparing = report.comparison
    since = f"_vs_{comparing.earlier_as_of:%Y-%m-%d}" if comparing else ""
    return f"compliance_{report.scope.key}_{report.as_of:%Y-%m-%d}{since}.{extension}"


def report_view(request, site_context: dict):
    """Show the form, and the report it asks for; `format=` downloads it as HTML, PDF or CSV."""
    _check_permission(request)
    params = request.GET
    wanted = params.get("format", "")
    if wanted and wanted not in FORMATS:
        messages.error(request, f"format: {wanted[:20]!r} is not one of html, pdf, csv.")
        wanted = ""
    report = error = None
    if params.get("meeting") or params.get("country"):
        try:
            report = report_from_inputs(
                meeting=params.get("meeting"),
                country=params.get("country"),
                as_of=params.get("as_of"),
                compare_to=params.get("compare_to"),
                site_url=request.build_absolute_uri("/"),
            )
        except ReportInputError as exc:
            error = str(exc)
    if report is not None and wanted:
        return download(report, wanted)
    query = params.copy()
    query.pop("format", None)
    context = {
        **site_context,
        "title": "Compliance report",
        "meetings": Meeting.objects.order_by("-date", "title").values("slug", "title", "date"),
        "countries": Country.objects.order_by("name").values("code", "name"),
        "params": {
            key: params.get(key, "") for key in ("meeting", "country", "as_of", "compare_to")
        },
        "today": timezone.localdate(),
        "error": error,
        "report": report,
        "vocabulary": vocabulary(),
        "sections": commitment_sections(report) if report else "",
        "download_query": query.urlencode(),
    }
    template = "admin/commitments/reports/compliance.html"
    return render(request, template, context, status=400 if error else 200)


def download(report, wanted: str) -> HttpResponse:
    """Return the report as an attachment in the wanted format."""
    if wanted == "pdf":
        response = HttpResponse(render_pdf(report), content_type="application/pdf")
    elif wanted == "csv":
        response = HttpResponse(render_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(render_html(report), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report, wanted)}"'
    return response


def dataset_view(request, site_context: dict):
    """Build the data package of the database as it is now and send it as a zip."""
    _check_permission(request)
    today = timezone.localdate()
    name = f"commitment-tracker-{today:%Y-%m-%d}"
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / name
        write_dataset(root)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(root.iterdir()):
                archive.write(file, f"{name}/{file.name}")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


def urls(site) -> list:
    """Return the admin URLs of the reports area, wrapped by the admin site's login check."""

    def wrap(view):
        def wrapped(request, *args, **kwargs):
            return view(request, *args, site_context=site.each_context(request), **kwargs)

        return site.admin_view(wrapped)

    return [
        path("reports/compliance/", wrap(report_view), name="commitments_compliance_report"),
        path("reports/dataset.zip", wrap(dataset_view), name="commitments_dataset_download"),
    ]
