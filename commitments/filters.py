"""Query-parameter filters for the API's commitment and status-update lists.

Every typed parameter parses through commitments.api.inputs, the API's one
strict input layer; a parameter given empty (`?due_before=`) is refused like
any other malformed value rather than taken as absent.
"""

import django_filters
from django import forms
from django.db.models import BooleanField, Exists, Expression, F, OuterRef, Q, Subquery
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError

from .api.inputs import parse_date, parse_datetime, shown
from .choices import Category, PartyRole, Status
from .models import (
    Commitment,
    CommitmentParty,
    Meeting,
    Mention,
    PartyStatus,
    StatusUpdate,
    country_code_exists,
)


class CommaSeparatedWidget(forms.SelectMultiple):
    """Read a multi-valued parameter given as `a,b`, as `x=a&x=b`, or as both."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name, "")]
        return [part.strip() for value in values for part in value.split(",") if part.strip()]


class MultipleStatusFilter(django_filters.MultipleChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", Status.choices)
        kwargs.setdefault("widget", CommaSeparatedWidget)
        # A column of the row itself: no join, no duplicates, no DISTINCT.
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


def refusal(message: str, value: str, code: str = "invalid") -> forms.ValidationError:
    """Return a form error quoting the value as a parameter, never as part of the format."""
    return forms.ValidationError(message, code=code, params={"value": shown(value)})


class StrictBooleanField(forms.Field):
    """A boolean that refuses anything but true/false (or 1/0), instead of ignoring it."""

    def to_python(self, value):
        if value is None:
            return None
        lowered = str(value).strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise refusal("Must be true or false, got %(value)s.", value)


class StrictDateField(forms.Field):
    """A date written exactly YYYY-MM-DD."""

    def to_python(self, value):
        if value is None:
            return None
        try:
            return parse_date("date", value)
        except ValidationError:
            raise refusal("Must be a date as YYYY-MM-DD, got %(value)s.", value) from None


class StrictDateTimeField(forms.Field):
    """An ISO 8601 date and time (UTC unless it has an offset) that both engines can store."""

    def to_python(self, value):
        if value is None:
            return None
        try:
            return parse_datetime("datetime", value)
        except ValidationError as exc:
            # A message without params is never %-formatted, so the quoted value stays text.
            raise forms.ValidationError(str(exc.detail["datetime"][0]), code="invalid") from None


class StrictDateFilter(django_filters.DateFilter):
    field_class = StrictDateField


class StrictDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StrictDateTimeField


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CountryCodeField(forms.CharField):
    """An ISO alpha-2 code of a country in the database, upper-cased."""

    def to_python(self, value):
        if value is None:
            return None
        return str(value).strip().upper()

    def validate(self, value):
        super().validate(value)
        if value is not None and not country_code_exists(value):
            raise refusal(
                "Unknown country code %(value)s; use an ISO alpha-2 code such as KZ.",
                value,
                code="invalid_choice",
            )


class CountryCodeFilter(django_filters.CharFilter):
    field_class = CountryCodeField


class AmongKeys(Expression):
    """`key IN (subquery)`; on PostgreSQL `key = ANY(ARRAY(subquery))`.

    PostgreSQL plans an IN subquery as a join, and for a few hundred keys
    judges a scan of the whole table cheaper than looking each up; the array
    is one value, whose keys it looks up in the primary key's index.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, key, queryset):
        super().__init__()
        self.key, self.subquery = key, Subquery(queryset)

    def get_source_expressions(self):
        return [self.key, self.subquery]

    def set_source_expressions(self, expressions):
        self.key, self.subquery = expressions

    def as_sql(self, compiler, connection, template="{key} IN {subquery}"):
        key, key_params = compiler.compile(self.key)
        subquery, subquery_params = compiler.compile(self.subquery)
        return template.format(key=key, subquery=subquery), (*key_params, *subquery_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="{key} = ANY(ARRAY{subquery})")


def parties_with(code: str, role: str | None = None, statuses=()) -> Q:
    """Return a condition on commitments: one of its parties is the country `code`.

    As `id IN (the country's commitments)` rather than a correlated EXISTS:
    SQLite then reads the country's few parties from party_country_commitment_idx
    instead of testing every commitment the other filters let through (a
    sixth of the time, for a count of one country's commitments in a status).
    With `statuses`, the commitments' current statuses, the ids are those of
    the country's commitments in one of them, read from PartyStatus's index:
    the database then looks up only those, not all of the country's. The
    caller still filters the statuses on the commitments themselves.
    """
    if statuses:
        parties = PartyStatus.objects.filter(country_id=code, status__in=statuses)
    else:
        parties = CommitmentParty.objects.filter(country_id=code)
    if role:
        parties = parties.filter(role=role)
    return Q(AmongKeys(F("pk"), parties.order_by().values("commitment_id")))


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Order with empty values last in both directions, the same on every database."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        expression = F(self.param_map[param.lstrip("-")])
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


class CommitmentFilter(django_filters.FilterSet):
    """Filters of /api/commitments/; with `as_of`, status filters apply to the past status."""

    status = MultipleStatusFilter(field_name="effective_status", label="Status (several allowed)")
    category = django_filters.MultipleChoiceFilter(
        choices=Category.choices,
        widget=CommaSeparatedWidget,
        distinct=False,
        label="Category (several allowed)",
    )
    country = CountryCodeFilter(method="filter_country", label="Any party (ISO alpha-2)")
    lead = CountryCodeFilter(method="filter_lead", label="A lead party (ISO alpha-2)")
    meeting = django_filters.ModelChoiceFilter(
        queryset=Meeting.objects.all(), to_field_name="slug", label="Meeting slug"
    )
    due_before = StrictDateFilter(
        field_name="due_date", lookup_expr="lte", label="Due on or before (YYYY-MM-DD)"
    )
    due_after = StrictDateFilter(
        field_name="due_date", lookup_expr="gte", label="Due on or after (YYYY-MM-DD)"
    )
    overdue = StrictBooleanFilter(method="filter_overdue", label="Past due and open")
    updated_since = StrictDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Updated at or after (ISO 8601)"
    )
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, label="Words in title, description or quote"
    )
    ordering = NullsLastOrderingFilter(
        label="Sort order; a leading - reverses it. Not allowed together with `cursor`.",
        fields=(
            ("effective_status_date", "status_date"),
            ("due_date", "due_date"),
            ("updated_at", "updated_at"),
            ("title", "title"),
            ("slug", "slug"),
        ),
    )

    class Meta:
        model = Commitment
        fields = []

    def current_statuses(self) -> list[str]:
        """Return the statuses filtered on when they are the commitments' current ones, else []."""
        if getattr(self.request, "as_of", None):
            return []
        return self.form.cleaned_data.get("status") or []

    def filter_country(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(parties_with(value, statuses=self.current_statuses()))

    def filter_lead(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(
            parties_with(value, PartyRole.LEAD, statuses=self.current_statuses())
        )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        day = self.request.as_of if getattr(self.request, "as_of", None) else timezone.localdate()
        overdue = Q(due_date__lt=day) & ~Q(effective_status__in=Status.closed())
        return queryset.filter(overdue if value else ~overdue)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        quoted = Mention.objects.filter(commitment=OuterRef("pk"), quote__icontains=value)
        return queryset.filter(
            Q(title__icontains=value) | Q(description__icontains=value) | Exists(quoted)
        )


class StatusUpdateFilter(django_filters.FilterSet):
    """Filters of the global status-update feed."""

    since = StrictDateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", label="Recorded at or after (ISO 8601)"
    )
    status = MultipleStatusFilter(field_name="status", label="Status (several allowed)")
    country = CountryCodeFilter(method="filter_country", label="Any party (ISO alpha-2)")

    class Meta:
        model = StatusUpdate
        fields = []

    def filter_country(self, queryset, name, value):
        if value is None:
            return queryset
        parties = CommitmentParty.objects.filter(
            commitment=OuterRef("commitment_id"), country_id=value
        )
        return queryset.filter(Exists(parties))


class StrictFilterBackend(DjangoFilterBackend):
    """Report invalid filters as a 400 naming each parameter, with messages kept as text.

    django-filter's own translation %-formats every message again, so a `%`
    in a value quoted by a message would fail; Django's form errors are
    already formatted with their parameters, and are used as they are.
    """

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise ValidationError(
                {
                    name: [ErrorDetail(error["message"], code=error["code"]) for error in errors]
                    for name, errors in filterset.errors.get_json_data().items()
                }
            )
        return filterset.qs
