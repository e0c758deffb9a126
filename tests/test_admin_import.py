"""Spreadsheet import in the admin: a truthful preview, and only real changes written."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from commitments.models import Commitment
from commitments.resources import CommitmentResource

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:commitments_commitment_import"


@pytest.fixture
def analyst_browser(client, analyst):
    client.force_login(analyst)
    return client


def exported_rows(slugs):
    """Return the commitments as the export writes them (the file an analyst edits)."""
    dataset = CommitmentResource().export(Commitment.objects.filter(slug__in=slugs))
    return [dict(zip(dataset.headers, row, strict=True)) for row in dataset]


def as_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def preview(client, text):
    url = reverse(IMPORT_URL)
    choices = dict(client.get(url).context["form"].fields["format"].choices)
    csv_format = next(key for key, label in choices.items() if str(label).lower() == "csv")
    upload = io.BytesIO(text.encode())
    upload.name = "commitments.csv"
    return client.post(url, {"format": csv_format, "import_file": upload, "resource": "0"})


def confirm(client, preview_response):
    form = preview_response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse("admin:commitments_commitment_process_import"), data)


SLUGS = [
    "cn-kz-mutual-visa-exemption",
    "kz-consulate-general-xian",
    "cn-consulate-general-aktobe",
    "cn-tj-luban-workshop",
]


def test_the_preview_shows_parties_as_codes_and_roles(analyst_browser, seed_data):
    rows = exported_rows(SLUGS[:1])
    rows[0]["title"] = "Visa exemption, renamed"
    page = preview(analyst_browser, as_csv(rows)).content.decode()
    assert "CommitmentParty.None" not in page
    assert "CN:lead; KZ:lead" in page


def test_unchanged_rows_are_skipped_and_keep_their_version_and_history(analyst_browser, seed_data):
    # An analyst exports, fixes one title and imports the file back: only that
    # commitment changes, so nobody else's open edit becomes stale.
    rows = exported_rows(SLUGS)
    changed = rows[1]["slug"]
    rows[1]["title"] = "Kazakhstan's consulate general in Xi'an, renamed"
    before = {c.slug: (c.version, c.history.count()) for c in Commitment.objects.all()}

    result = preview(analyst_browser, as_csv(rows)).context["result"]
    assert [row.import_type for row in result.valid_rows()].count("skip") == len(SLUGS) - 1
    response = confirm(analyst_browser, preview(analyst_browser, as_csv(rows)))
    assert response.status_code == 302
    message = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "1 updated" in message and f"{len(SLUGS) - 1} skipped" in message

    after = {c.slug: (c.version, c.history.count()) for c in Commitment.objects.all()}
    for slug, (version, history) in before.items():
        if slug == changed:
            assert after[slug] == (version + 1, history + 1)
        else:
            assert after[slug] == (version, history), slug
    assert Commitment.objects.get(slug=changed).title.endswith("renamed")


def test_a_row_that_changes_only_its_parties_is_imported(analyst_browser, seed_data):
    rows = exported_rows(SLUGS[:1])
    rows[0]["parties"] = "CN:lead; KZ:partner"
    response = confirm(analyst_browser, preview(analyst_browser, as_csv(rows)))
    assert response.status_code == 302
    visa = Commitment.objects.get(slug=SLUGS[0])
    assert list(visa.parties.values_list("country", "role")) == [("CN", "lead"), ("KZ", "partner")]
    assert visa.version == 2
