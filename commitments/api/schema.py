"""OpenAPI schema generation: drf-standardized-errors' error responses, completed."""

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema


class AutoSchema(StandardizedErrorsAutoSchema):
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
