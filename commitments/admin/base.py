"""What every admin page shares: the audit history, ISO dates and who recorded what."""

import datetime

from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin


def iso_date(value: datetime.date | datetime.datetime | None) -> str:
    """Return a date as YYYY-MM-DD (a timestamp to the minute), or a dash."""
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def user_name(user) -> str:
    """Return a user as plain text: analysts and viewers may not open the user admin."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


class HistoryAdmin(SimpleHistoryAdmin):
    """Every model keeps an audit trail, shown on its History page."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Names the editor without linking to the user admin, and leaves out the
    # change-reason column, which nothing here fills in.
    object_history_list_template = "admin/commitments/object_history_list.html"
    # These add the tracker's stylesheet, script and icon to the history pages.
    object_history_template = "admin/commitments/object_history.html"
    object_history_form_template = "admin/commitments/object_history_form.html"


def iso_date_column(field_name: str, description: str):
    """Return a changelist column showing a date field as YYYY-MM-DD, sortable by it."""

    @admin.display(description=description, ordering=field_name)
    def column(obj):
        return iso_date(getattr(obj, field_name))

    column.__name__ = f"{field_name}_iso"
    return column
