"""API errors beyond DRF's own, and the exception handler that shapes them all alike."""

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import exceptions, serializers, status

from commitments.middleware import database_is_unavailable


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "This request needs an If-Match header with the commitment's ETag."
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The commitment changed since you read it; read it again and retry."
    default_code = "precondition_failed"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    default_code = "payload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; nothing was written. Try again shortly."
    default_code = "database_unavailable"


class CommitmentExceptionHandler(ExceptionHandler):
    """Map oversized bodies to 413 and a lost database to 503 instead of a 500."""

    def convert_known_exceptions(self, exc):
        if isinstance(exc, RequestDataTooBig):
            return PayloadTooLarge()
        if isinstance(exc, SuspiciousOperation):
            return exceptions.ParseError(str(exc) or "Malformed request.")
        if isinstance(exc, OperationalError | InterfaceError) and database_is_unavailable(exc):
            return ServiceUnavailable()
        return super().convert_known_exceptions(exc)

    def get_headers(self, exc):
        headers = super().get_headers(exc)
        if isinstance(exc, ServiceUnavailable):
            headers["Retry-After"] = "5"
        return headers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class BadRequestResponseSerializer(serializers.Serializer):
    """A 400: invalid input (each error names its field in `attr`) or an unparsable body."""

    type = serializers.ChoiceField(choices=["validation_error", "client_error"])
    errors = ErrorSerializer(many=True)


class ClientErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = ErrorSerializer(many=True)


class ServerErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ServerErrorEnum.choices)
    errors = ErrorSerializer(many=True)


# Error responses every operation documents beside drf-standardized-errors' own.
# A 400 is documented in one open shape rather than as a list of every
# (field, code) pair: query parameters, model validation and parsing all add
# codes of their own, and clients rely on `attr`, not on an enumeration.
ERROR_SCHEMAS = {
    "400": BadRequestResponseSerializer,
    "413": ClientErrorResponseSerializer,
    "503": ServerErrorResponseSerializer,
}
