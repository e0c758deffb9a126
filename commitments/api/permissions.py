"""Who may read and write through the API."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions


def may_read(request) -> bool:
    """Return whether the request may read: anyone, unless API_LOGIN_REQUIRED."""
    return not settings.API_LOGIN_REQUIRED or bool(request.user and request.user.is_authenticated)


class ModelPermissionsOrOpenRead(DjangoModelPermissions):
    """Let anyone read (unless API_LOGIN_REQUIRED) and require the model permission to write."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [],
        "OPTIONS": [],
        "HEAD": [],
    }

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return may_read(request)
        return super().has_permission(request, view)


class OpenReadUnlessLoginRequired(BasePermission):
    """Read-only views (the API root, the schema, its docs): as open as the API's reads."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS and may_read(request)
