"""Build the POST data of an admin change form from the page a GET returned."""

import datetime


def _value(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _form_fields(form, data):
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if callable(value):
            value = value()
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
            continue
        data[form.add_prefix(name)] = _value(value)
        if field.show_hidden_initial:
            # What the page was showing: the stale-save check compares with it.
            data[form.add_initial_prefix(name)] = _value(value)


def change_form_data(response) -> dict:
    """Return the data the browser would post back unchanged."""
    data = {}
    _form_fields(response.context["adminform"].form, data)
    inlines = response.context.get("inline_admin_formsets", [])  # none on a revert page
    for inline in inlines:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(
                management.initial.get(name, management[name].value())
            )
        for form in formset.initial_forms:
            _form_fields(form, data)
    return data
