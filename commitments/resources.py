"""Spreadsheet import and export of commitments (django-import-export)."""

from import_export import fields, resources, widgets

from .choices import PartyRole
from .models import Commitment, Country, Meeting

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class PartiesWidget(widgets.Widget):
    """Parties as `CN:lead; KZ:partner`."""

    def render(self, value, obj=None, **kwargs):
        return "; ".join(f"{code}:{role}" for code, role in value or [])

    def clean(self, value, row=None, **kwargs):
        if not value or not str(value).strip():
            raise ValueError("At least one party is needed, written as CN:lead; KZ:partner.")
        parties, seen = [], set()
        known = set(Country.objects.values_list("code", flat=True))
        for item in str(value).split(";"):
            if not item.strip():
                continue
            code, _, role = item.partition(":")
            code, role = code.strip().upper(), role.strip().lower()
            if code not in known:
                raise ValueError(f"Unknown country code “{code}” in “{item.strip()}”.")
            if role not in PartyRole.values:
                raise ValueError(
                    f"Unknown role “{role}” in “{item.strip()}”; use one of "
                    f"{', '.join(PartyRole.values)}."
                )
            if code in seen:
                raise ValueError(f"Country {code} is listed twice.")
            seen.add(code)
            parties.append((code, role))
        return parties


class MeetingSlugWidget(widgets.ForeignKeyWidget):
    """A meeting by slug; an unknown slug is a row error, not an exception."""

    def __init__(self):
        super().__init__(Meeting, field="slug")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except Meeting.DoesNotExist:
            raise ValueError(f"Unknown meeting “{value}”.") from None


class PartiesField(fields.Field):
    """A commitment's parties as (code, role) pairs: those of the row being imported, if any."""

    def get_value(self, instance):
        imported = getattr(instance, "_imported_parties", None)
        if imported is not None:
            return imported
        if instance.pk is None:
            return []
        return [(party.country_id, party.role) for party in instance.parties.all()]


class IsoDateWidget(widgets.DateWidget):
    """A date written YYYY-MM-DD; any other spelling is a row error that says so."""

    def __init__(self):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(
                f"“{value}” is not a date: write it as YYYY-MM-DD, e.g. 2025-12-31."
            ) from None


class CommitmentResource(resources.ModelResource):
    meeting = fields.Field(attribute="meeting", column_name="meeting", widget=MeetingSlugWidget())
    parties = PartiesField(column_name="parties", widget=PartiesWidget(), attribute="parties")
    due_date = fields.Field(attribute="due_date", column_name="due_date", widget=IsoDateWidget())
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    status_date = fields.Field(attribute="status_date", column_name="status_date", readonly=True)

    class Meta:
        model = Commitment
        import_id_fields = ["slug"]
        fields = [
            "slug",
            "title",
            "description",
            "category",
            "meeting",
            "due_date",
            "parties",
            "status",
            "status_date",
        ]
        export_order = fields
        clean_model_instances = True
        # A row that changes nothing is reported as skipped and saved not at
        # all: no new version, no history row, nobody's open edit made stale.
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("meeting").prefetch_related("parties")

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name == "parties":
            # Parsed now so that a bad cell is a row error; saved after the row.
            instance._imported_parties = field.clean(row, **kwargs)
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        # The parties are rows of their own: the same set, in any order, is no change.
        parties = self.fields["parties"]
        return sorted(parties.get_value(instance)) == sorted(parties.get_value(original))

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk:
            instance.version += 1

    def after_save_instance(self, instance, row, **kwargs):
        parties = getattr(instance, "_imported_parties", None)
        if parties is not None:
            countries = Country.objects.in_bulk([code for code, _ in parties])
            instance.replace_parties([(countries[code], role) for code, role in parties])

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))
