"""OpenAPI schema generation: drf-standardized-errors' error responses, completed."""

from django.conf import settings
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework.permissions import SAFE_METHODS

from .permissions import ModelPermissionsOrOpenRead, OpenReadUnlessLoginRequired

OPEN_READ_PERMISSIONS = (ModelPermissionsOrOpenRead, OpenReadUnlessLoginRequired)


class AutoSchema(StandardizedErrorsAutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        # Reads are open to anonymous clients unless API_LOGIN_REQUIRED: say so
        # with an empty security requirement, as OpenAPI spells "none needed".
        open_read = any(
            isinstance(permission, OPEN_READ_PERMISSIONS)
            for permission in self.view.get_permissions()
        )
        if (
            open_read
            and self.method in SAFE_METHODS
            and not settings.API_LOGIN_REQUIRED
            and {} not in auths
        ):
            auths.append({})
        return auths

    def _should_add_validation_error_response(self) -> bool:
        # Query parameters (limit, offset, as_of, filters) are validated too.
        return super()._should_add_validation_error_response() or any(
            parameter.get("in") == "query" for parameter in self._get_parameters()
        )

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        # A body too large can only come with a request that has one.
        if status_code == "413" and self.method not in ("POST", "PUT", "PATCH"):
            return False
        return super()._should_add_error_response(responses, status_code)
