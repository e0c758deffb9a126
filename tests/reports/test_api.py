"""The compliance report as JSON through the API."""

import pytest

from commitments.reports.rendering import report_as_dict
from commitments.reports.services import build_report, resolve_scope

from .conftest import FINAL, INTERIM, XIAN

pytestmark = pytest.mark.django_db
URL = "/api/reports/compliance/"


def test_it_answers_the_same_data_as_the_report(demo_data, api_client):
    response = api_client.get(
        URL, {"meeting": XIAN, "as_of": f"{FINAL}", "compare_to": f"{INTERIM}"}
    )
    assert response.status_code == 200
    data = response.json()
    report = build_report(scope=resolve_scope(meeting=XIAN), as_of=FINAL, compare_to=INTERIM)
    assert data == report_as_dict(report)
    kz = next(row for row in data["summary"]["by_lead_country"] if row["key"] == "KZ")
    assert (kz["assessed"], kz["not_assessed"], kz["average"]) == (3, 8, 0.6667)
    visa = next(row for row in data["commitments"] if row["slug"] == "cn-kz-mutual-visa-exemption")
    assert [entry["status"] for entry in visa["evidence"]] == [
        "formalized",
        "in_progress",
        "completed",
    ]
    moved = {row["slug"]: (row["from"], row["to"]) for row in data["comparison"]["moved"]}
    assert moved["cn-kz-mutual-visa-exemption"] == ("formalized", "completed")


@pytest.mark.parametrize(
    "query, attr",
    [
        ({}, "meeting"),
        ({"meeting": "nope"}, "meeting"),
        ({"country": "XX"}, "country"),
        ({"country": "KZ", "as_of": "2024-02-30"}, "as_of"),
        ({"country": "KZ", "compare_to": "yesterday"}, "compare_to"),
        ({"country": "KZ", "as_of": "2023-01-01", "compare_to": "2024-01-01"}, "compare_to"),
    ],
)
def test_unusable_inputs_answer_400_naming_the_parameter(demo_data, api_client, query, attr):
    response = api_client.get(URL, query)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == attr and error["detail"]
