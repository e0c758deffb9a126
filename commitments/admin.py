"""The analysts' workbench: every model in the Django admin, with history and safe saves."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from .choices import PartyRole, Status
from .dashboard import dashboard_view
from .fixture_builder import locate_quote
from .models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    MeetingParticipant,
    Mention,
    Official,
    Position,
    SourceDocument,
    StatusUpdate,
)
from .resources import CommitmentResource

admin.site.site_header = "Commitment tracker"
admin.site.site_title = "Commitment tracker"
admin.site.index_title = "What governments promised, and what became of it"
admin.site.index_template = "admin/commitments_index.html"


class HistoryAdmin(SimpleHistoryAdmin):
    """Every model keeps an audit trail, shown on its History page."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# --- Reference data ---------------------------------------------------------


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
    list_display = ["official", "title", "country", "start_date", "end_date"]
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
    list_display = ["title", "kind", "date", "city", "country", "parent"]
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
    list_display = ["title", "publisher", "published_on", "language"]
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


# --- Commitments ------------------------------------------------------------


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
        return [(str(n), f"{n} days") for n in sorted({30, 90, days, 365})]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            cutoff = timezone.now() - datetime.timedelta(days=int(self.value()))
            return queryset.not_assessed_since(cutoff)
        return queryset


class PartyInline(admin.TabularInline):
    model = CommitmentParty
    extra = 0
    min_num = 1
    autocomplete_fields = ["country"]


class MentionForm(forms.ModelForm):
    """A mention is entered as a quote; its offsets are found in the document's text."""

    occurrence = forms.IntegerField(
        required=False, min_value=1, help_text="Which occurrence, when the quote appears twice."
    )

    class Meta:
        model = Mention
        fields = ["document", "meeting", "quote", "occurrence", "is_origin"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def clean(self):
        cleaned = super().clean()
        document, quote = cleaned.get("document"), cleaned.get("quote")
        if document and quote:
            start, reason = locate_quote(document.text, quote, cleaned.get("occurrence"))
            if start is None:
                raise ValidationError({"quote": f"{reason}: “{quote[:80]}”"})
            self.instance.start, self.instance.end = start, start + len(quote)
        return cleaned


class MentionInline(admin.StackedInline):
    model = Mention
    form = MentionForm
    extra = 0
    autocomplete_fields = ["document", "meeting"]
    readonly_fields = ["start", "end"]
    fields = ["document", "meeting", "quote", "occurrence", "is_origin", "start", "end"]


class StatusTimelineInline(admin.TabularInline):
    """The timeline, newest first, read-only: a mistake is corrected by a newer entry."""

    model = StatusUpdate
    verbose_name = "status update"
    verbose_name_plural = "status timeline (newest first)"
    extra = 0
    can_delete = False
    fields = [
        "effective_date",
        "status",
        "evidence_link",
        "evidence_publisher",
        "evidence_excerpt",
        "note",
        "recorded_by",
        "recorded_at",
    ]
    readonly_fields = fields
    ordering = ["-effective_date", "-recorded_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by", "evidence_document")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="evidence")
    def evidence_link(self, update):
        if update.evidence_url:
            return format_html(
                '<a href="{}" rel="noopener noreferrer">{}</a>',
                update.evidence_url,
                update.evidence_title or update.evidence_url,
            )
        return update.evidence_document or "—"


class NewStatusUpdateForm(forms.ModelForm):
    evidence_url = forms.URLField(
        label="Evidence URL", required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = StatusUpdate
        fields = [
            "status",
            "effective_date",
            "evidence_url",
            "evidence_title",
            "evidence_publisher",
            "evidence_excerpt",
            "evidence_document",
            "note",
        ]
        widgets = {
            "evidence_excerpt": forms.Textarea(attrs={"rows": 2}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


NEW_UPDATE_FIELDS = NewStatusUpdateForm.Meta.fields


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


class CommitmentForm(forms.ModelForm):
    """Carries the version the analyst started from, to refuse a stale save."""

    # Optimistic locking with our own version column rather than
    # django-concurrency: the same column is the API's ETag, and it must also
    # move when a status update is recorded, which happens outside this form.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Commitment
        fields = ["slug", "title", "description", "category", "meeting", "due_date"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk:
            return cleaned
        # The admin wraps the whole save in a transaction: this lock holds until
        # it commits, so two saves of the same commitment cannot interleave.
        current = Commitment.objects.select_for_update().get(pk=self.instance.pk)
        expected = cleaned.get("expected_version")
        if expected != current.version:
            raise ValidationError(
                format_html(
                    "Someone saved this commitment while you were editing it (version {} → "
                    "{}). Nothing of yours was saved. What changed: {}. Reload the page, then "
                    "reapply your edits.",
                    expected,
                    current.version,
                    describe_changes_since(
                        current,
                        expected,
                        {
                            name: cleaned[name]
                            for name in CommitmentForm.Meta.fields
                            if name in cleaned
                        },
                    ),
                ),
                code="stale",
            )
        return cleaned


def describe_changes_since(commitment: Commitment, version: int | None, submitted: dict) -> str:
    """Return who saved the commitment after `version`, and how it differs from `submitted`."""
    version = version or 0
    baseline = commitment.history.filter(version__lte=version).order_by("-history_date").first()
    since = baseline.history_date if baseline else commitment.created_at
    lines = []
    editors = {
        str(record.history_user or "someone")
        for record in commitment.history.filter(version__gt=version).select_related("history_user")
    }
    if editors:
        lines.append(f"saved by {', '.join(sorted(editors))}")
    differences = [
        f"{name} is now “{_short(getattr(commitment, name))}”"
        for name, value in submitted.items()
        if getattr(commitment, name) != value
    ]
    if differences:
        lines.append("; ".join(differences))
    if CommitmentParty.history.filter(commitment_id=commitment.pk, history_date__gt=since).exists():
        lines.append("the parties changed")
    updates = commitment.status_updates.filter(recorded_at__gt=since).select_related("recorded_by")
    for update in updates.order_by("recorded_at"):
        lines.append(
            f"{update.recorded_by or 'someone'} recorded “{update.get_status_display()}” "
            f"effective {update.effective_date:%Y-%m-%d}"
        )
    return "; ".join(lines) or "see the History page"


def _short(value, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BulkStatusUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    effective_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    evidence_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    evidence_title = forms.CharField(required=False, max_length=300)
    evidence_publisher = forms.CharField(required=False, max_length=200)
    evidence_excerpt = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(Commitment)
class CommitmentAdmin(ImportExportModelAdmin, HistoryAdmin):
    form = CommitmentForm
    resource_classes = [CommitmentResource]
    list_display = [
        "title",
        "slug",
        "category",
        "status",
        "status_date",
        "due_date",
        "overdue_flag",
        "meeting",
        "party_codes",
    ]
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
    list_select_related = ["meeting"]
    list_per_page = 50
    # The changelist's full-table COUNT is replaced by an estimate on big tables.
    show_full_result_count = False
    search_fields = ["title", "description", "slug", "mentions__quote"]
    autocomplete_fields = ["meeting"]
    readonly_fields = ["status", "status_date", "version", "origin_in_context"]
    fieldsets = [
        (None, {"fields": ["slug", "title", "description", "category", "meeting", "due_date"]}),
        ("Status", {"fields": ["status", "status_date", "version"]}),
        ("Origin in the source", {"fields": ["origin_in_context"]}),
        (None, {"fields": ["expected_version"], "classes": ["hidden"]}),
    ]
    inlines = [PartyInline, MentionInline, StatusTimelineInline, NewStatusUpdateInline]
    actions = ["record_bulk_status_update"]

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
        return self.inlines

    @admin.display(description="parties")
    def party_codes(self, commitment):
        return ", ".join(f"{party.country_id} ({party.role})" for party in commitment.parties.all())

    @admin.display(description="overdue", boolean=True)
    def overdue_flag(self, commitment):
        return commitment.is_overdue()

    @admin.display(description="origin quote in its paragraph")
    def origin_in_context(self, commitment):
        origin = commitment.mentions.filter(is_origin=True).select_related("document").first()
        if origin is None:
            return "No origin mention yet."
        before, quote, after = origin.document.paragraph_around(origin.start, origin.end)
        return format_html(
            '<blockquote class="origin-context">{}<mark>{}</mark>{}</blockquote><p>— {}, {}</p>',
            before,
            quote,
            after,
            origin.document.title,
            origin.document.published_on,
        )

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not StatusUpdate:
            super().save_formset(request, form, formset, change)
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

    @admin.action(description="Record a status update on the selected commitments")
    def record_bulk_status_update(self, request, queryset):
        if not self.has_add_status_update_permission(request):
            self.message_user(request, "You may not record status updates.", messages.ERROR)
            return None
        form = BulkStatusUpdateForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            errors = []
            try:
                with transaction.atomic():
                    for commitment in queryset.select_related("meeting"):
                        try:
                            commitment.record_status_update(
                                **form.cleaned_data, recorded_by=request.user
                            )
                        except ValidationError as exc:
                            errors.append((commitment, "; ".join(exc.messages)))
                    if errors:
                        raise ValidationError("rolled back")
            except ValidationError:
                for commitment, message in errors:
                    form.add_error(None, f"{commitment.slug}: {message}")
            else:
                self.message_user(
                    request,
                    f"Recorded “{Status(form.cleaned_data['status']).label}” on "
                    f"{queryset.count()} commitments.",
                    messages.SUCCESS,
                )
                return None
        return render(
            request,
            "admin/commitments/bulk_status_update.html",
            {
                **self.admin_site.each_context(request),
                "title": "Record a status update on several commitments",
                "form": form,
                "commitments": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            },
        )

    def has_add_status_update_permission(self, request):
        return request.user.has_perm("commitments.add_statusupdate")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_add_status_update_permission(request):
            actions.pop("record_bulk_status_update", None)
        return actions

    def dashboard(self, request):
        return dashboard_view(request, self.admin_site.each_context(request))

    def get_urls(self):
        return [
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
        "effective_date",
        "evidence_publisher",
        "recorded_by",
        "recorded_at",
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
        "effective_date",
        "evidence_url",
        "evidence_title",
        "evidence_publisher",
        "evidence_excerpt",
        "evidence_document",
        "note",
        "recorded_by",
        "recorded_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
