"""The API's routes, all under /api/."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("countries", views.CountryViewSet, basename="country")
router.register("officials", views.OfficialViewSet, basename="official")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("sources", views.SourceDocumentViewSet, basename="sourcedocument")
router.register("commitments", views.CommitmentViewSet, basename="commitment")

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path(
        "commitments/<slug:slug>/status-updates/",
        views.CommitmentStatusUpdatesView.as_view(),
        name="commitment-status-updates",
    ),
    path("status-updates/", views.StatusUpdateFeedView.as_view(), name="status-update-list"),
    path("auth/token/", views.ThrottledObtainAuthToken.as_view(), name="auth-token"),
    path("schema/", views.ApiSchemaView.as_view(), name="schema"),
    path("docs/", views.ApiDocsView.as_view(url_name="schema"), name="swagger-ui"),
    *router.urls,
    re_path(r"", views.endpoint_not_found),
]
