"""Root URL configuration: the admin, the dashboard and the REST API."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", include("commitments.api.urls")),
]

# Under /api/ every error, even an unforeseen one, answers in the API's shape.
handler400 = "commitments.api.responses.bad_request"
handler403 = "commitments.api.responses.permission_denied"
handler404 = "commitments.api.responses.page_not_found"
handler500 = "commitments.api.responses.server_error"
