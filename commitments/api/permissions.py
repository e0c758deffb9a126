"""Who may read and write through the API."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions


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
            return not settings.API_LOGIN_REQUIRED or bool(
                request.user and request.user.is_authenticated
            )
        return super().has_permission(request, view)
