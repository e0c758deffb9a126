"""Reference data: countries, officials and their positions, meetings, source documents."""

from django.contrib import admin

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
    ]
    list_filter = ["publisher", "language"]
    search_fields = ["title", "slug", "publisher", "text"]
    date_hierarchy = "published_on"
    readonly_fields = ["sha256"]
    prepopulated_fields = {"slug": ["title"]}

    def get_readonly_fields(self, request, obj=None):
        # Mentions point into the text by offset: once quoted, it is frozen.
        if obj is not None and obj.mentions.exists():
            return ["sha256", "text"]
        return ["sha256"]
