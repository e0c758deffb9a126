"""Reference data: countries, officials and their positions, meetings, source documents."""

from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from ..choices import ReviewState
from ..models import Country, Meeting, MeetingParticipant, Official, Position, SourceDocument
from .base import HistoryAdmin, iso_date_column


@admin.register(Country)
class CountryAdmin(HistoryAdmin):
    list_display = ["code", "alpha3", "name"]
    search_fields = ["code", "alpha3", "name"]


class PositionInline(admin.TabularInline):
    model = Position
    extra = 0
    autocomplete_fields = ["country"]


@admin.register(Official)
class OfficialAdmin(HistoryAdmin):
    list_display = ["name", "slug", "alias_list"]
    search_fields = ["name", "slug", "aliases"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PositionInline]

    @admin.display(description="aliases")
    def alias_list(self, official):
        return ", ".join(official.aliases)


@admin.register(Position)
class PositionAdmin(HistoryAdmin):
    list_display = [
        "official",
        "title",
        "country",
        iso_date_column("start_date", "start date"),
        iso_date_column("end_date", "end date"),
    ]
    list_filter = ["country"]
    list_select_related = ["official", "country"]
    search_fields = ["title", "official__name", "official__aliases"]
    autocomplete_fields = ["official", "country"]


class ParticipantInline(admin.TabularInline):
    model = MeetingParticipant
    extra = 0
    autocomplete_fields = ["official"]


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin):
    list_display = ["title", "kind", iso_date_column("date", "date"), "city", "country", "parent"]
    list_filter = ["kind", "country"]
    list_select_related = ["country", "parent"]
    search_fields = ["title", "slug", "city"]
    date_hierarchy = "date"
    autocomplete_fields = ["country", "parent"]
    prepopulated_fields = {"slug": ["date", "title"]}
    inlines = [ParticipantInline]


@admin.register(MeetingParticipant)
class MeetingParticipantAdmin(HistoryAdmin):
    list_display = ["official", "meeting", "role"]
    list_filter = ["role"]
    list_select_related = ["official", "meeting"]
    search_fields = ["official__name", "official__aliases", "meeting__title"]
    autocomplete_fields = ["official", "meeting"]


@admin.register(SourceDocument)
class SourceDocumentAdmin(HistoryAdmin):
    list_display = [
        "title",
        "publisher",
        iso_date_column("published_on", "published on"),
        "language",
        "review_column",
    ]
    list_filter = ["publisher", "language"]
    search_fields = ["title", "slug", "publisher", "text"]
    date_hierarchy = "published_on"
    readonly_fields = ["sha256", "review_link"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request):
        pending = Count("proposals", filter=Q(proposals__state=ReviewState.PENDING))
        return super().get_queryset(request).annotate(pending_proposals=pending)

    def add_view(self, request, form_url="", extra_context=None):
        # New sources come in through the readout form, which also proposes.
        return HttpResponseRedirect(reverse("admin:commitments_add_readout"))

    @admin.display(description="review", ordering="pending_proposals")
    def review_column(self, source):
        url = reverse("admin:commitments_review_source", args=[source.pk])
        pending = getattr(source, "pending_proposals", 0)
        label = f"{pending} pending" if pending else "queue"
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="proposals")
    def review_link(self, source):
        if source.pk is None:
            return "—"
        url = reverse("admin:commitments_review_source", args=[source.pk])
        return format_html('<a href="{}">Open the review queue</a>', url)

    def get_readonly_fields(self, request, obj=None):
        # Mentions point into the text by offset: once quoted, it is frozen.
        if obj is not None and obj.mentions.exists():
            return ["sha256", "review_link", "text"]
        return ["sha256", "review_link"]
