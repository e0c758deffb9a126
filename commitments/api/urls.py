"""The API's routes, all under /api/."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from commitments.evidence import api as evidence
from commitments.ingest import api as ingest
from commitments.reports import api as reports

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("countries", views.CountryViewSet, basename="country")
router.register("officials", views.OfficialViewSet, basename="official")
router.register("meetings", views.MeetingViewSet, basename="meeting")
# Reads as views.SourceDocumentViewSet answers them, and adding a source.
router.register("sources", ingest.SourceDocumentViewSet, basename="sourcedocument")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("proposals", ingest.ProposalViewSet, basename="proposal")
router.register("proposed-meetings", ingest.ProposedMeetingViewSet, basename="proposedmeeting")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path(
        "commitments/<slug:slug>/status-updates/",
        views.CommitmentStatusUpdatesView.as_view(),
        name="commitment-status-updates",
    ),
    path("status-updates/", views.StatusUpdateFeedView.as_view(), name="status-update-list"),
    path(
        "status-updates/<uuid:uuid>/evidence/text/",
        evidence.EvidenceTextView.as_view(),
        name="status-update-evidence-text",
    ),
    path(
        "status-updates/<uuid:uuid>/evidence/warc/",
        evidence.EvidenceWarcView.as_view(),
        name="status-update-evidence-warc",
    ),
    re_path(
        rf"^sources/(?P<source>{views.SLUG_PATTERN})/proposals/$",
        ingest.SourceProposalsView.as_view(),
        name="source-proposals",
    ),
    path("reports/compliance/", reports.ComplianceReportView.as_view(), name="compliance-report"),
    path("auth/token/", views.ThrottledObtainAuthToken.as_view(), name="auth-token"),
    path("schema/", views.ApiSchemaView.as_view(), name="schema"),
    path("docs/", views.ApiDocsView.as_view(url_name="schema"), name="swagger-ui"),
    *router.urls,
    re_path(r"", views.endpoint_not_found),
]
