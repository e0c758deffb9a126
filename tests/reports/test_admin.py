"""The report page in the admin, its downloads, and the data package download."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse

from commitments.reports.rendering import render_csv, render_html
from commitments.reports.services import build_report, resolve_scope

from .conftest import FINAL, INTERIM, VISA_QUOTE_START, XIAN

pytestmark = pytest.mark.django_db
URL = "/admin/commitments/commitment/reports/compliance/"


def test_the_url_is_named_in_the_admin():
    assert reverse("admin:commitments_compliance_report") == URL


@pytest.mark.parametrize("user", ["analyst", "viewer"])
def test_analysts_and_viewers_read_the_report_of_the_xian_meeting(demo_data, client, user, request):
    client.force_login(request.getfixturevalue(user))
    response = client.get(URL, {"meeting": XIAN, "as_of": f"{FINAL}", "compare_to": f"{INTERIM}"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Compliance report: Fourth China-Central Asia Foreign Ministers" in page
    assert "By lead country" in page and "Kazakhstan" in page
    assert VISA_QUOTE_START in page
    assert "Change from 2023-06-30 to 2024-12-31" in page
    assert "format=pdf" in page and "format=csv" in page


def test_the_downloads_are_the_reports_html_and_csv(demo_data, client, viewer):
    client.force_login(viewer)
    query = {"meeting": XIAN, "as_of": f"{INTERIM}"}
    expected = build_report(scope=resolve_scope(meeting=XIAN), as_of=INTERIM)
    html = client.get(URL, {**query, "format": "html"})
    assert html["Content-Disposition"] == (
        f'attachment; filename="compliance_{XIAN}_2023-06-30.html"'
    )
    assert html.content.decode() == render_html(expected)
    rows = client.get(URL, {**query, "format": "csv"})
    assert rows["Content-Type"].startswith("text/csv")
    assert rows.content.decode() == render_csv(expected)
    assert len(list(csv.DictReader(io.StringIO(rows.content.decode())))) == 73


@pytest.mark.parametrize(
    "query, message",
    [
        ({"meeting": "no-such-meeting"}, "no meeting has the slug"),
        ({"meeting": XIAN, "as_of": "31/12/2024"}, "write it as YYYY-MM-DD"),
        ({"meeting": XIAN, "as_of": "2999-01-01"}, "is in the future"),
        ({"meeting": XIAN, "as_of": f"{INTERIM}", "compare_to": f"{FINAL}"}, "must be before"),
        ({"meeting": XIAN, "country": "KZ"}, "not both"),
        ({"country": "K\x00"}, "not a two-letter country code"),
    ],
)
def test_unusable_inputs_are_named_on_the_page_not_a_server_error(
    demo_data, client, analyst, query, message
):
    client.force_login(analyst)
    response = client.get(URL, {**query, "format": "pdf"})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_unknown_format_is_named_and_the_page_shown(demo_data, client, analyst):
    client.force_login(analyst)
    response = client.get(URL, {"meeting": XIAN, "format": "docx"})
    assert response.status_code == 200
    assert "is not one of html, pdf, csv" in response.content.decode()


def test_the_report_needs_a_login_and_the_view_permission(client, django_user_model):
    assert client.get(URL)["Location"].startswith("/admin/login/")
    client.force_login(django_user_model.objects.create_user("staff", is_staff=True))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("admin:commitments_dataset_download")).status_code == 403


def test_the_home_page_links_the_report_and_the_dataset(client, viewer):
    client.force_login(viewer)
    page = client.get(reverse("admin:index")).content.decode()
    assert URL in page
    assert reverse("admin:commitments_dataset_download") in page


def test_the_latest_data_package_downloads_as_a_zip(demo_data, client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("admin:commitments_dataset_download"))
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert {"datapackage.json", "README.md", "LICENSE.md", "commitments.csv"} <= names
    folder = archive.namelist()[0].split("/")[0]
    package = json.loads(archive.read(f"{folder}/datapackage.json"))
    assert len(package["resources"]) == 10
    commitments = archive.read(f"{folder}/commitments.csv").decode()
    assert len(commitments.strip().split("\n")) == 1 + 73


def test_the_dashboard_names_an_unusable_date_and_shows_today(demo_data, client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("admin:commitments_dashboard"), {"as_of": "2024-99-01"})
    assert response.status_code == 200
    assert "as_of: &#x27;2024-99-01&#x27; is not a date" in response.content.decode()
    assert response.context["as_of"] is None  # the table shows the current statuses
