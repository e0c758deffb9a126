"""Check what every API request brings in its path and query string, before any view runs."""

from rest_framework.exceptions import ValidationError

from .inputs import check_query_parameters, check_text
from .responses import error_response, is_api_request


class ApiInputMiddleware:
    """Refuse an API path or query parameter holding NUL, a lone surrogate or an endless value.

    Views and filters parse each parameter strictly themselves; this catches
    what no parser should ever see, for every endpoint at once, including the
    path lookups that reach the database directly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_request(request):
            try:
                check_text("path", request.path_info)
                check_query_parameters(request.GET)
            except ValidationError as exc:
                (attr, messages), *_ = exc.detail.items()
                return error_response(
                    400,
                    messages[0].code,
                    str(messages[0]),
                    attr=attr,
                    error_type="validation_error",
                )
        return self.get_response(request)
