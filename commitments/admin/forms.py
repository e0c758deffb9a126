"""The commitment form with its stale-save check, and the status-update forms."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import model_to_dict
from django.utils.html import format_html, format_html_join

from ..choices import Status
from ..fixture_builder import locate_quote
from ..models import Commitment, CommitmentParty, Mention, SourceDocument, StatusUpdate

# The fields an analyst edits on the commitment page; status comes from the timeline.
DESCRIPTIVE_FIELDS = ["slug", "title", "description", "category", "meeting", "due_date"]


class MentionForm(forms.ModelForm):
    """A mention is entered as a quote; its offsets are found in the document's text."""

    occurrence = forms.IntegerField(
        required=False, min_value=1, help_text="Which occurrence, when the quote appears twice."
    )

    class Meta:
        model = Mention
        fields = ["document", "meeting", "quote", "occurrence", "is_origin"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 5, "cols": 80})}

    def clean(self):
        cleaned = super().clean()
        document, quote = cleaned.get("document"), cleaned.get("quote")
        if document and quote:
            start, reason = locate_quote(document.text, quote, cleaned.get("occurrence"))
            if start is None:
                raise ValidationError({"quote": f"{reason}: “{quote[:80]}”"})
            self.instance.start, self.instance.end = start, start + len(quote)
        return cleaned


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
            "evidence_excerpt": forms.Textarea(attrs={"rows": 3}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


NEW_UPDATE_FIELDS = NewStatusUpdateForm.Meta.fields


def _comparable(value):
    """Return a value as the stale-save check compares it (a row by key, text by line)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return "" if value is None else value


def _shown(value) -> str:
    text = "(empty)" if value in (None, "") else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


class CommitmentForm(forms.ModelForm):
    """Carries the version and the values the analyst started from, to merge or refuse a save.

    Someone else's save in between is merged when it touched other fields than
    yours, and refused, naming what they wrote, when it touched the same ones.
    Status updates are appended to the timeline and never conflict.
    """

    # Optimistic locking with our own version column rather than
    # django-concurrency: the same column is the API's ETag, and it must also
    # move when a status update is recorded, which happens outside this form.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Commitment
        fields = DESCRIPTIVE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 4, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Fields whose value differs from the row as stored when the form was cleaned.
        self.differs_from_stored: list[str] = []
        if self.instance.pk:
            # From the row, not the instance: on the History's revert page the
            # instance is an old version, and the save is checked against today's.
            current = Commitment.objects.filter(pk=self.instance.pk).values_list(
                "version", flat=True
            )
            self.instance.version = current.first() or self.instance.version
            self.fields["expected_version"].initial = self.instance.version
            for name in DESCRIPTIVE_FIELDS:
                if name in self.fields:  # a viewer's form has none
                    # The page also posts what it showed, so a save knows what you changed.
                    self.fields[name].show_hidden_initial = True

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk or any(name not in cleaned for name in DESCRIPTIVE_FIELDS):
            return cleaned
        # The admin wraps the whole save in a transaction: this lock holds until
        # it commits, so two saves of the same commitment cannot interleave.
        current = (
            Commitment.objects.select_for_update()
            .select_related("meeting")
            .get(pk=self.instance.pk)
        )
        expected = cleaned.get("expected_version")
        if expected != current.version:
            self._merge_or_refuse(current, expected or 0, cleaned)
        self.instance.version = current.version
        self.differs_from_stored = [
            name
            for name in DESCRIPTIVE_FIELDS
            if _comparable(cleaned[name]) != _comparable(getattr(current, name))
        ]
        return cleaned

    def _shown_before(self, name):
        """Return the value the page showed for a field, or None if it did not say."""
        key = self.add_initial_prefix(name)
        if key not in self.data:
            return None
        field = self.fields[name]
        try:
            return _comparable(
                field.to_python(
                    field.hidden_widget().value_from_datadict(self.data, self.files, key)
                )
            )
        except ValidationError:
            return None

    def _merge_or_refuse(self, current: Commitment, expected: int, cleaned: dict) -> None:
        stored = {name: getattr(current, name) for name in DESCRIPTIVE_FIELDS}
        shown = {name: self._shown_before(name) for name in DESCRIPTIVE_FIELDS}
        theirs, mine = [], []
        for name in DESCRIPTIVE_FIELDS:
            if shown[name] is None:
                # Without what the page showed, any difference counts on both sides.
                if _comparable(cleaned[name]) != _comparable(stored[name]):
                    theirs.append(name)
                    mine.append(name)
                continue
            if _comparable(stored[name]) != shown[name]:
                theirs.append(name)
            if _comparable(cleaned[name]) != shown[name]:
                mine.append(name)
        clashes = [
            name
            for name in theirs
            if name in mine and _comparable(cleaned[name]) != _comparable(stored[name])
        ]
        if not clashes:
            # Different fields: keep their edits next to yours.
            for name in theirs:
                if name not in mine:
                    cleaned[name] = stored[name]
            return

        # Refused: show their values where you had not typed, keep yours where
        # you had, and let the next save go through once you have read theirs.
        data = self.data.copy()
        as_posted = model_to_dict(current, DESCRIPTIVE_FIELDS)
        for name in theirs:
            value = as_posted[name]
            value = "" if value is None else str(value)
            data[self.add_initial_prefix(name)] = value
            if name not in mine:
                data[self.add_prefix(name)] = value
        data[self.add_prefix("expected_version")] = str(current.version)
        self.data = data
        raise ValidationError(
            format_html(
                "{} saved this commitment while you were editing it. Nothing was saved yet. "
                "They changed: <ul class='stale-changes'>{}</ul>{}Your own text is still in "
                "the form below{}. Check it against theirs, then save again to keep yours.",
                self._editors(current, expected),
                format_html_join(
                    "",
                    "<li><strong>{}</strong>: “{}”{}</li>",
                    (
                        (
                            self.fields[name].label or name,
                            _shown(stored[name]),
                            " (you changed this too)" if name in clashes else "",
                        )
                        for name in theirs
                    ),
                ),
                self._timeline_news(current, expected),
                " (with your pending status update)" if self._pending_update() else "",
            ),
            code="stale",
        )

    def _editors(self, current: Commitment, expected: int) -> str:
        records = current.history.filter(version__gt=expected).select_related("history_user")
        names = sorted({str(record.history_user or "Someone") for record in records})
        return ", ".join(names) or "Someone"

    def _timeline_news(self, current: Commitment, expected: int) -> str:
        baseline = current.history.filter(version__lte=expected).order_by("-history_date")
        since = baseline.values_list("history_date", flat=True).first()
        if since is None:
            return ""
        news = []
        if CommitmentParty.history.filter(
            commitment_id=current.pk, history_date__gt=since
        ).exists():
            news.append("the parties changed")
        for update in current.status_updates.filter(recorded_at__gt=since).select_related(
            "recorded_by"
        ):
            news.append(
                f"{update.recorded_by or 'someone'} recorded “{update.get_status_display()}” "
                f"effective {update.effective_date:%Y-%m-%d} (kept: the timeline only grows)"
            )
        return format_html("<p>Also: {}.</p>", "; ".join(news)) if news else ""

    def _pending_update(self) -> bool:
        return any(key.endswith("-0-status") and value for key, value in self.data.items())


class BulkStatusUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    effective_date = forms.DateField(
        widget=AdminDateWidget, help_text="YYYY-MM-DD: the day it became true in the world."
    )
    evidence_url = forms.URLField(
        label="Evidence URL", required=False, max_length=500, assume_scheme="https"
    )
    evidence_title = forms.CharField(required=False, max_length=300)
    evidence_publisher = forms.CharField(required=False, max_length=200)
    evidence_excerpt = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_document = forms.ModelChoiceField(
        queryset=SourceDocument.objects.all(),
        required=False,
        help_text="Or a source document held here, instead of an evidence URL.",
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, admin_site=admin.site, **kwargs):
        super().__init__(*args, **kwargs)
        document = self.fields["evidence_document"]
        document.widget = AutocompleteSelect(
            StatusUpdate._meta.get_field("evidence_document"), admin_site
        )
        document.widget.choices = document.choices
