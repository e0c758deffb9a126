"""The API's one error shape, for answers given outside DRF's views (middleware, handlers)."""

from django.http import JsonResponse
from django.views import defaults


def error_response(
    status: int, code: str, detail: str, *, attr: str | None = None, error_type: str | None = None
) -> JsonResponse:
    """Return a JSON error in the shape drf-standardized-errors gives DRF's own errors."""
    if error_type is None:
        error_type = "client_error" if status < 500 else "server_error"
    return JsonResponse(
        {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": attr}]},
        status=status,
    )


API_PREFIX = "/api/"


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def bad_request(request, exception=None):
    """Django's 400 handler: the API's error shape under /api/, Django's page elsewhere."""
    if is_api_request(request):
        return error_response(400, "bad_request", "The request is malformed.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api_request(request):
        return error_response(
            403, "permission_denied", "You do not have permission to perform this action."
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api_request(request):
        return error_response(404, "not_found", "No API endpoint at this path.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's 500 handler: even an unforeseen failure answers in the API's error shape."""
    if is_api_request(request):
        return error_response(500, "error", "Server Error (500)")
    return defaults.server_error(request)
