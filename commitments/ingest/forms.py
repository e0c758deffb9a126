"""The forms of ingestion: a new readout, and accepting a proposal as a commitment."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from ..choices import Category, PartyRole
from ..models import Commitment, Country, SourceDocument, sha256_of
from .services import DuplicateSource, SourceInput, check_text, normalized, read_upload


class SourceForm(forms.Form):
    """A readout to add: pasted text or an uploaded .txt/.html file, with its metadata."""

    title = forms.CharField(
        max_length=300, required=False, help_text="Taken from an HTML page when left empty."
    )
    publisher = forms.CharField(max_length=200)
    url = forms.URLField(label="URL", max_length=500, required=False, assume_scheme="https")
    published_on = forms.DateField(
        required=False,
        help_text="YYYY-MM-DD. Taken from an HTML page when left empty.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    language = forms.CharField(max_length=10, initial="en", help_text="A BCP 47 tag, e.g. en.")
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14, "cols": 100}),
        required=False,
        strip=False,
        help_text="Paste the readout's text, or upload a file below.",
    )
    file = forms.FileField(
        required=False,
        help_text=(
            f"A .txt file in UTF-8, or an .html/.htm page (reduced to its main text); at most "
            f"{settings.SOURCE_UPLOAD_MAX_BYTES // (1024 * 1024)} MB and "
            f"{settings.SOURCE_TEXT_MAX_CHARS:,} characters of text."
        ),
    )

    duplicate = None

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        if upload and text.strip():
            raise ValidationError("Paste the text or upload a file, not both.")
        if upload:
            if upload.size > settings.SOURCE_UPLOAD_MAX_BYTES:
                raise ValidationError(
                    {
                        "file": f"The file is {upload.size:,} bytes; the limit is "
                        f"{settings.SOURCE_UPLOAD_MAX_BYTES:,}."
                    }
                )
            source = read_upload(upload.name, upload.read())
        elif text.strip():
            source = SourceInput(text=check_text(normalized(text)))
        else:
            raise ValidationError({"text": "Paste the readout's text or upload a file."})
        # Said first: a text already stored needs no title or date.
        self.duplicate = SourceDocument.objects.filter(sha256=sha256_of(source.text)).first()
        if self.duplicate is not None:
            raise DuplicateSource(self.duplicate)
        if not cleaned.get("title"):
            if not source.title:
                self.add_error("title", "Give the readout's title.")
            cleaned["title"] = source.title
        if not cleaned.get("published_on"):
            if not source.published_on:
                self.add_error("published_on", "Give the date the readout was published.")
            cleaned["published_on"] = source.published_on
        cleaned["source_text"] = source.text
        return cleaned


class PartyForm(forms.Form):
    country = forms.ModelChoiceField(queryset=Country.objects.order_by("name"), required=False)
    role = forms.ChoiceField(choices=[("", "---------"), *PartyRole.choices], required=False)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("country")) != bool(cleaned.get("role")):
            raise ValidationError("Give both the country and its role, or neither.")
        return cleaned


PartyFormSet = formset_factory(PartyForm, extra=2, max_num=20, validate_max=True)


class AcceptForm(forms.Form):
    """Accept a proposal as a new commitment (editable first) or as a mention of any commitment."""

    title = forms.CharField(max_length=300)
    category = forms.ChoiceField(choices=Category.choices)
    due_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD"
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MentionForm(forms.Form):
    """Accept a proposal as a mention of a commitment given by its slug."""

    commitment = forms.SlugField(
        max_length=150, help_text="The slug of the recorded commitment this quote restates."
    )

    def clean_commitment(self):
        slug = self.cleaned_data["commitment"]
        commitment = Commitment.objects.filter(slug=slug).first()
        if commitment is None:
            raise ValidationError(f"No commitment has the slug “{slug}”.")
        return commitment
