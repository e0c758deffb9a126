"""Limit/offset pagination that refuses nonsense instead of guessing."""

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


def parse_non_negative(request, name: str, *, allow_zero: bool) -> int | None:
    """Return a query parameter as an int, None when absent, or raise a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw, 10)
    except ValueError:
        value = None
    if value is None or value < 0 or (value == 0 and not allow_zero):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValidationError({name: [f"Must be {kind} whole number, got {raw[:50]!r}."]})
    return value


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """Page with `limit` (clamped to the maximum) and `offset`; malformed values are a 400."""

    default_limit = 50
    max_limit = settings.API_MAX_PAGE_SIZE

    def get_limit(self, request):
        limit = parse_non_negative(request, self.limit_query_param, allow_zero=False)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return parse_non_negative(request, self.offset_query_param, allow_zero=True) or 0

    def paginate_queryset(self, queryset, request, view=None):
        page = self.slice_queryset(queryset, request)
        return None if page is None else list(page)

    def slice_queryset(self, queryset, request):
        """Return the page as an unevaluated queryset, for read paths that pick columns."""
        self.request = request
        self.limit = self.get_limit(request)
        self.count = self.get_count(queryset)
        self.offset = self.get_offset(request)
        if self.count == 0 or self.offset > self.count:
            return queryset.none()
        return queryset[self.offset : self.offset + self.limit]

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["description"] = (
                    f"Number of results per page, 1 to {self.max_limit} (default "
                    f"{self.default_limit}); a larger value is clamped to {self.max_limit}."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1}
            else:
                parameter["schema"] = {"type": "integer", "minimum": 0}
        return parameters
