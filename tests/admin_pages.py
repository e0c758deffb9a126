"""Admin pages in tests: their URLs, and what a rendered page would make a browser post."""

from html.parser import HTMLParser

from django.urls import reverse


def change_url(commitment) -> str:
    return reverse("admin:commitments_commitment_change", args=[commitment.pk])


class _FormInputs(HTMLParser):
    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, form_id is None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form_id is not None:
            self.inside = attrs.get("id") == self.form_id
        elif tag == "input" and self.inside and attrs.get("type") == "hidden" and "name" in attrs:
            self.fields.append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form" and self.form_id is not None:
            self.inside = False


def hidden_inputs(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of the hidden inputs, in one form or in the page."""
    parser = _FormInputs(form_id)
    parser.feed(html)
    return parser.fields
