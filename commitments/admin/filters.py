"""The commitment and timeline changelists' filters."""

import datetime

from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..choices import PartyRole
from ..models import Commitment, CommitmentParty, Country, Meeting


class PartyCountryFilter(admin.SimpleListFilter):
    title = "party country"
    parameter_name = "party"

    def lookups(self, request, model_admin):
        return [(c.code, c.name) for c in Country.objects.all()]

    def queryset(self, request, queryset):
        if self.value():
            parties = CommitmentParty.objects.filter(
                commitment=OuterRef("pk"), country_id=self.value()
            )
            role = request.GET.get("party_role")
            if role in PartyRole.values:
                parties = parties.filter(role=role)
            return queryset.filter(Exists(parties))
        return queryset


class PartyRoleFilter(admin.SimpleListFilter):
    """With a party country: that country's role; alone: any party in that role."""

    title = "party role"
    parameter_name = "party_role"

    def lookups(self, request, model_admin):
        return PartyRole.choices

    def queryset(self, request, queryset):
        if self.value() in PartyRole.values and not request.GET.get("party"):
            parties = CommitmentParty.objects.filter(commitment=OuterRef("pk"), role=self.value())
            return queryset.filter(Exists(parties))
        return queryset


class RecentMeetingFilter(admin.SimpleListFilter):
    """The latest meetings as choices; any meeting by its id in the URL."""

    title = "meeting (latest 20)"
    parameter_name = "meeting"

    def lookups(self, request, model_admin):
        choices = [(str(m.pk), str(m)) for m in Meeting.objects.order_by("-date", "-pk")[:20]]
        chosen = self.value()
        if chosen and chosen.isdigit() and chosen not in dict(choices):
            meeting = Meeting.objects.filter(pk=chosen).first()
            if meeting is not None:
                choices.insert(0, (chosen, str(meeting)))
        return choices

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(meeting_id=int(self.value()))
        return queryset


def year_filter(field_name: str, label: str) -> type[admin.SimpleListFilter]:
    """Return a year filter for a date field.

    It stands in for date_hierarchy on the big tables: the admin's hierarchy
    lists the years with a DISTINCT over every row, while this one offers the
    years between the first and last date, two index lookups.
    """

    class YearFilter(admin.SimpleListFilter):
        title = label
        parameter_name = f"{field_name}_year"

        def lookups(self, request, model_admin):
            # Two ordered lookups rather than one MIN/MAX query: each is an
            # index seek, where SQLite scans the table for MIN and MAX together.
            dated = model_admin.model.objects.filter(**{f"{field_name}__isnull": False})
            first = dated.order_by(field_name).values_list(field_name, flat=True).first()
            last = dated.order_by(f"-{field_name}").values_list(field_name, flat=True).first()
            if first is None:
                return []
            years = range(last.year, first.year - 1, -1)
            return [(str(year), str(year)) for year in years]

        def queryset(self, request, queryset):
            if self.value() and self.value().isdigit():
                return queryset.filter(**{f"{field_name}__year": int(self.value())})
            return queryset

    return YearFilter


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        overdue = Commitment.objects.overdue().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class NotAssessedFilter(admin.SimpleListFilter):
    title = "not assessed for"
    parameter_name = "not_assessed_days"

    def lookups(self, request, model_admin):
        days = settings.COMMITMENTS_STALE_AFTER_DAYS
        chosen = self.value()
        # The dashboard links here with its own N: offer it as a choice too.
        extra = {int(chosen)} if chosen and chosen.isdigit() else set()
        return [(str(n), f"{n} days") for n in sorted({30, 90, days, 365} | extra)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            cutoff = timezone.now() - datetime.timedelta(days=int(self.value()))
            return queryset.not_assessed_since(cutoff)
        return queryset
