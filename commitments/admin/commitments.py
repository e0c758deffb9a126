"""The commitment pages: the list, a commitment with its parties, mentions and timeline."""

from urllib.parse import quote

from django.contrib import admin
from django.db import transaction
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin

from ..evidence.admin import archive_summary
from ..models import Commitment, CommitmentParty, Mention, StatusUpdate
from ..reports import admin as reports_admin
from ..resources import CommitmentResource
from .base import HistoryAdmin, iso_date, user_name
from .bulk import record_bulk_status_update
from .dashboard import dashboard_view
from .filters import (
    NotAssessedFilter,
    OverdueFilter,
    PartyCountryFilter,
    PartyRoleFilter,
    RecentMeetingFilter,
    year_filter,
)
from .forms import (
    DESCRIPTIVE_FIELDS,
    NEW_UPDATE_FIELDS,
    CommitmentForm,
    MentionForm,
    NewStatusUpdateForm,
)


class PartyInline(admin.TabularInline):
    model = CommitmentParty
    extra = 0
    min_num = 1
    autocomplete_fields = ["country"]


class MentionInline(admin.StackedInline):
    model = Mention
    form = MentionForm
    extra = 0
    autocomplete_fields = ["document", "meeting"]
    readonly_fields = ["start", "end"]
    fields = ["document", "meeting", "quote", "occurrence", "is_origin", "start", "end"]

    def get_fields(self, request, obj=None):
        if not self.has_change_permission(request, obj):
            # "Occurrence" only helps to enter a quote; it is not stored.
            return [name for name in self.fields if name != "occurrence"]
        return self.fields


class StatusTimelineInline(admin.TabularInline):
    """The timeline, newest first, read-only: a mistake is corrected by a newer entry."""

    model = StatusUpdate
    verbose_name = "status update"
    verbose_name_plural = "status timeline (newest first)"
    extra = 0
    can_delete = False
    fields = [
        "effective_on",
        "status",
        "evidence_link",
        "evidence_publisher",
        "evidence_excerpt",
        "note",
        "recorded_by_name",
        "recorded_on",
        "evidence_archive",
    ]
    readonly_fields = fields
    ordering = ["-effective_date", "-recorded_at", "-id"]
    # An empty timeline says so in words rather than as an empty table.
    template = "admin/commitments/commitment/timeline_inline.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("recorded_by", "evidence_document", "evidence_snapshot")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="effective date")
    def effective_on(self, update):
        return iso_date(update.effective_date)

    @admin.display(description="recorded by")
    def recorded_by_name(self, update):
        return user_name(update.recorded_by)

    @admin.display(description="recorded at")
    def recorded_on(self, update):
        return iso_date(update.recorded_at)

    @admin.display(description="archived copy")
    def evidence_archive(self, update):
        return archive_summary(update)

    @admin.display(description="evidence")
    def evidence_link(self, update):
        if update.evidence_url:
            return format_html(
                '<a href="{}" rel="noopener noreferrer">{}</a>',
                update.evidence_url,
                update.evidence_title or update.evidence_url,
            )
        return update.evidence_document or "—"


class NewStatusUpdateInline(admin.StackedInline):
    """A blank form to append one status update; saved through record_status_update()."""

    model = StatusUpdate
    form = NewStatusUpdateForm
    verbose_name = "new status update"
    verbose_name_plural = "record a status update"
    extra = 1
    max_num = 1
    can_delete = False
    autocomplete_fields = ["evidence_document"]

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        # Adding needs no change permission on existing rows, which never change.
        return False


def text_fragment_url(url: str, quote_text: str) -> str:
    """Return `url` with a text fragment that scrolls to and highlights the quote."""
    words = quote_text.split()

    def encode(text):
        # A dash and a comma mean something inside a text fragment.
        return quote(text, safe="").replace("-", "%2D")

    if len(words) <= 8:
        directive = encode(" ".join(words))
    else:
        directive = f"{encode(' '.join(words[:4]))},{encode(' '.join(words[-4:]))}"
    return f"{url}#:~:text={directive}"


@admin.register(Commitment)
class CommitmentAdmin(ImportExportModelAdmin, HistoryAdmin):
    form = CommitmentForm
    resource_classes = [CommitmentResource]
    import_template_name = "admin/commitments/commitment/import.html"
    export_template_name = "admin/commitments/commitment/export.html"
    # import-export's list template extends this one, which adds our assets.
    change_list_template = "admin/commitments/change_list.html"
    list_display = ["title", "party_codes", "status", "status_on", "due"]
    list_filter = [
        "status",
        "category",
        PartyCountryFilter,
        PartyRoleFilter,
        RecentMeetingFilter,
        OverdueFilter,
        NotAssessedFilter,
        year_filter("status_date", "status year"),
        year_filter("due_date", "due year"),
    ]
    list_per_page = 50
    # The changelist's full-table COUNT is replaced by an estimate on big tables.
    show_full_result_count = False
    search_fields = ["title", "description", "slug", "mentions__quote"]
    autocomplete_fields = ["meeting"]
    readonly_fields = ["status_summary", "version", "origin_in_context"]
    fieldsets = [
        (None, {"fields": DESCRIPTIVE_FIELDS}),
        ("Status", {"fields": ["status_summary", "version"]}),
        ("Origin in the source", {"fields": ["origin_in_context"], "classes": ["origin"]}),
        (None, {"fields": ["expected_version"], "classes": ["hidden"]}),
    ]
    inlines = [PartyInline, MentionInline, StatusTimelineInline, NewStatusUpdateInline]
    actions = [record_bulk_status_update]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets[:1]
        if not self.has_change_permission(request, obj):
            return self.fieldsets[:3]
        return self.fieldsets

    def get_inlines(self, request, obj):
        if obj is None:
            return [PartyInline, MentionInline]
        # The same inlines on the page and on its POST: their forms' prefixes depend on it.
        inlines = [PartyInline, MentionInline, StatusTimelineInline]
        if self.has_add_status_update_permission(request) and self.has_change_permission(
            request, obj
        ):
            inlines.append(NewStatusUpdateInline)
        return inlines

    @admin.display(description="parties")
    def party_codes(self, commitment):
        return ", ".join(f"{party.country_id} {party.role}" for party in commitment.parties.all())

    @admin.display(description="status date", ordering="status_date")
    def status_on(self, commitment):
        return iso_date(commitment.status_date)

    @admin.display(description="due", ordering="due_date")
    def due(self, commitment):
        if commitment.due_date is None:
            return ""
        if commitment.is_overdue():
            return format_html(
                '{} <span class="overdue">overdue</span>', iso_date(commitment.due_date)
            )
        return iso_date(commitment.due_date)

    @admin.display(description="status")
    def status_summary(self, commitment):
        if not commitment.status_updates.exists():
            return f"Announced on {iso_date(commitment.made_on)}; no status update recorded yet."
        return f"{commitment.get_status_display()} since {iso_date(commitment.status_date)}"

    @admin.display(description="origin quote in its paragraph")
    def origin_in_context(self, commitment):
        origin = commitment.mentions.filter(is_origin=True).select_related("document").first()
        if origin is None:
            return "No origin mention yet."
        document = origin.document
        before, quote_text, after = document.paragraph_around(origin.start, origin.end)
        source = document.url or reverse(
            "admin:commitments_sourcedocument_change", args=[document.pk]
        )
        return format_html(
            '<blockquote class="origin-context">{}<mark>{}</mark>{}</blockquote>'
            '<p class="origin-source">— <a href="{}" rel="noopener noreferrer">{}</a>, {}, {}</p>',
            before,
            quote_text,
            after,
            # On the document's own admin page the text is read-only once quoted,
            # so the browser can find and highlight the quote there too.
            text_fragment_url(source, quote_text),
            document.title,
            document.publisher,
            iso_date(document.published_on),
        )

    def save_model(self, request, obj, form, change):
        if change:
            if not form.differs_from_stored:
                # Only a status update, or nothing: the commitment itself is unchanged,
                # so no new version and no empty row in its history.
                return
            obj.version += 1
            obj._history_user = request.user
            # Only the descriptive fields: the status is the timeline's to write.
            obj.save(update_fields=[*DESCRIPTIVE_FIELDS, "version"])
            return
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not StatusUpdate:
            super().save_formset(request, form, formset, change)
            if change and (
                formset.new_objects or formset.changed_objects or formset.deleted_objects
            ):
                form.instance.bump_version()
            return
        # The timeline's only writable form is the new update; it goes through
        # the one method that validates, appends and recomputes the status.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if inline_form.has_changed():
                fields = {name: inline_form.cleaned_data.get(name) for name in NEW_UPDATE_FIELDS}
                formset.new_objects.append(
                    form.instance.record_status_update(**fields, recorded_by=request.user)
                )

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The revert page saves like the change page: atomically, under the row lock.
        with transaction.atomic():
            return super().history_form_view(
                request,
                object_id,
                version_id,
                {
                    "revert_note": "Reverting restores the fields below. The status "
                    "timeline is kept as it is: correct it with a newer status update.",
                    **(extra_context or {}),
                },
            )

    def has_add_status_update_permission(self, request):
        return request.user.has_perm("commitments.add_statusupdate")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_add_status_update_permission(request):
            actions.pop("record_bulk_status_update", None)
        return actions

    def get_import_context_data(self, **kwargs):
        columns = CommitmentResource().get_import_fields()
        return {
            **super().get_import_context_data(**kwargs),
            "import_columns": [field.column_name for field in columns if not field.readonly],
            "read_only_columns": [field.column_name for field in columns if field.readonly],
        }

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["export_count"] = self.get_export_queryset(request).count()
        context["filtered"] = bool(
            {key for key in request.GET if key not in ("o", "p", "_changelist_filters")}
        )
        return context

    def dashboard(self, request):
        return dashboard_view(request, self.admin_site.each_context(request))

    def get_urls(self):
        return [
            *reports_admin.urls(self.admin_site),
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard),
                name="commitments_dashboard",
            ),
            *super().get_urls(),
        ]


class PartOfCommitmentAdmin(HistoryAdmin):
    """Parties and mentions are part of a commitment's representation: edits bump its version."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj.commitment.bump_version()

    def delete_model(self, request, obj):
        commitment = obj.commitment
        super().delete_model(request, obj)
        commitment.bump_version()

    def delete_queryset(self, request, queryset):
        commitments = list(Commitment.objects.filter(pk__in=queryset.values("commitment_id")))
        # One by one, so that the audit history records each deletion.
        for obj in queryset:
            obj.delete()
        for commitment in commitments:
            commitment.bump_version()


@admin.register(CommitmentParty)
class CommitmentPartyAdmin(PartOfCommitmentAdmin):
    list_display = ["commitment", "country", "role"]
    list_filter = ["role", "country"]
    list_select_related = ["commitment", "country"]
    search_fields = ["commitment__title", "commitment__slug"]
    autocomplete_fields = ["commitment", "country"]


@admin.register(Mention)
class MentionAdmin(PartOfCommitmentAdmin):
    form = MentionForm
    list_display = ["short_quote", "commitment", "document", "meeting", "is_origin"]
    list_filter = ["is_origin", "document"]
    list_select_related = ["commitment", "document", "meeting"]
    search_fields = ["quote", "commitment__title", "commitment__slug"]
    autocomplete_fields = ["commitment", "document", "meeting"]
    readonly_fields = ["start", "end"]
    fields = [
        "commitment",
        "document",
        "meeting",
        "quote",
        "occurrence",
        "is_origin",
        "start",
        "end",
    ]

    @admin.display(description="quote")
    def short_quote(self, mention):
        return mention.quote if len(mention.quote) <= 90 else mention.quote[:87] + "…"


@admin.register(StatusUpdate)
class StatusUpdateAdmin(HistoryAdmin):
    """The global timeline; entries are added from the commitment page and never edited."""

    list_display = [
        "commitment",
        "status",
        "effective_on",
        "evidence_publisher",
        "recorded_by_name",
        "recorded_on",
    ]
    list_filter = [
        "status",
        "commitment__category",
        "recorded_by",
        year_filter("effective_date", "effective year"),
    ]
    list_select_related = ["commitment", "recorded_by"]
    search_fields = [
        "commitment__title",
        "commitment__slug",
        "evidence_title",
        "evidence_excerpt",
        "note",
    ]
    readonly_fields = [
        "commitment",
        "status",
        "effective_on",
        "evidence_url",
        "evidence_title",
        "evidence_publisher",
        "evidence_excerpt",
        "evidence_document",
        "note",
        "recorded_by_name",
        "recorded_on",
    ]
    fields = readonly_fields

    @admin.display(description="effective date", ordering="effective_date")
    def effective_on(self, update):
        return iso_date(update.effective_date)

    @admin.display(description="recorded by", ordering="recorded_by__username")
    def recorded_by_name(self, update):
        return user_name(update.recorded_by)

    @admin.display(description="recorded at", ordering="recorded_at")
    def recorded_on(self, update):
        return iso_date(update.recorded_at)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
