"""Hostile values in every filter, path lookup, cursor and body field: a 4xx, never a 500.

Each class of value once answered 500 on one engine or the other: `%` went
through %-formatting, deep JSON recursed, lone surrogates broke the JSON
renderer, NUL reached PostgreSQL, extreme offsets overflowed on SQLite, and
non-ASCII digits or compact dates were taken for numbers and days. The suite
runs on both engines (make test, make test-postgres), and so does this table.
"""

import base64
import json

import pytest
from django.core.management import call_command
from django.db import transaction

from commitments.models import Commitment, StatusUpdate
from tests.seed import SEED_FIXTURES

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
TIMELINE = f"/api/commitments/{VISA}/status-updates/"


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


# Values any text parameter may be sent; each must be refused or matched as text.
HOSTILE_TEXT = ["%s", "%(x)s %d %%", "\x00", "a\x00b", "x" * 5000, "' OR 1=1 --", "<script>"]
# The same as a JSON body carries them, including what a query string cannot.
HOSTILE_JSON = [
    '"%s"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\udfff x"',
    "[" * 3000 + "]" * 3000,
    '{"a":' * 100 + "1" + "}" * 100,
    "1e999",
    "123456789012345678901234567890",
    "-1",
    "true",
    "null",
    "[]",
    "{}",
]

LIST_FILTERS = {
    "/api/commitments/": [
        "status",
        "category",
        "country",
        "lead",
        "meeting",
        "due_before",
        "due_after",
        "overdue",
        "updated_since",
        "search",
        "ordering",
        "as_of",
        "limit",
        "offset",
        "cursor",
    ],
    "/api/status-updates/": ["since", "status", "country", "limit", "offset"],
    "/api/countries/": ["limit", "offset"],
    "/api/officials/": ["limit", "offset"],
    "/api/meetings/": ["limit", "offset"],
    "/api/sources/": ["limit", "offset"],
}
FILTER_CASES = [(path, name) for path, names in LIST_FILTERS.items() for name in names]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Load the seed once for the module; each test runs and rolls back inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        from importlib import import_module

        from django.apps import apps

        import_module("commitments.migrations.0002_roles").create_groups(apps, None)
        call_command("loaddata", *SEED_FIXTURES, verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seed_data(seeded, db):
    """The seed, loaded once for this module (overrides conftest's per-test load)."""


def assert_error_shape(response, statuses=range(400, 500)):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"code", "detail", "attr"}, body
    return body


@pytest.mark.parametrize(("path", "name"), FILTER_CASES)
def test_hostile_filter_values_are_refused_or_taken_as_text(api_client, seed_data, path, name):
    for value in HOSTILE_TEXT:
        response = api_client.get(path, {name: value})
        if response.status_code == 200:
            # Only free text may match nothing; anything typed must have been refused.
            assert name == "search" and "\x00" not in value, (value, response.content[:200])
            continue
        body = assert_error_shape(response)
        assert name in [error["attr"] for error in body["errors"]], (value, body)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "٣"),
        ("limit", "1_000"),
        ("limit", " 5"),
        ("limit", "+5"),
        ("limit", "5.0"),
        ("offset", "9" * 30),
        ("offset", ""),
        ("as_of", ""),
        ("as_of", "20231231"),
        ("as_of", "2023-W01-1"),
        ("as_of", "2023-12-31T00:00"),
        ("as_of", "٢٠٢٣-١٢-٣١"),
        ("due_before", "12/31/2023"),
        ("due_before", ""),
        ("due_after", "2023-1-1"),
        ("overdue", ""),
        ("country", ""),
        ("updated_since", "0001-01-01T00:00:00+14:00"),
        ("updated_since", "9999-12-31T23:59:59-14:00"),
        ("updated_since", "2023-04-26T10:00:00+99:00"),
        ("updated_since", "yesterday"),
        ("cursor", cursor_of("[" * 2000 + "]" * 2000)),
        ("cursor", cursor_of('{"after": "\\ud800"}')),
        ("cursor", cursor_of('{"after": "a\\u0000b"}')),
        ("cursor", cursor_of('{"after": ["x"]}')),
        ("cursor", cursor_of('"after"')),
        ("cursor", "!!!"),
    ],
)
def test_malformed_numbers_dates_and_cursors_are_400_naming_the_parameter(
    api_client, seed_data, name, value
):
    body = assert_error_shape(api_client.get("/api/commitments/", {name: value}), [400])
    assert [error["attr"] for error in body["errors"]] == [name], body


def test_feed_since_with_an_extreme_offset_is_400(api_client, seed_data):
    response = api_client.get("/api/status-updates/", {"since": "0001-01-01T00:00:00+14:00"})
    assert assert_error_shape(response, [400])["errors"][0]["attr"] == "since"


def test_a_valid_datetime_with_an_offset_still_filters(api_client, seed_data):
    response = api_client.get("/api/commitments/", {"updated_since": "2000-01-01T00:00:00+14:00"})
    assert response.status_code == 200
    assert response.json()["count"] == 73


def test_cursor_and_ordering_together_are_400(api_client, seed_data):
    response = api_client.get("/api/commitments/", {"cursor": "", "ordering": "title"})
    assert assert_error_shape(response, [400])["errors"][0]["attr"] == "cursor"


PATH_LOOKUPS = [
    "/api/commitments/{}/",
    "/api/commitments/{}/status-updates/",
    "/api/countries/{}/",
    "/api/officials/{}/",
    "/api/meetings/{}/",
    "/api/sources/{}/",
]
HOSTILE_LOOKUPS = ["%00", "a%00b", "%25s", "%ED%A0%80", "99999999999999999999999", "..%2F"]


@pytest.mark.parametrize("template", PATH_LOOKUPS)
def test_hostile_path_lookups_are_4xx_in_the_error_shape(api_client, seed_data, template):
    for lookup in HOSTILE_LOOKUPS:
        assert_error_shape(api_client.get(template.format(lookup)), [400, 404])


def test_nul_in_a_path_is_a_400_naming_the_path(api_client, seed_data):
    body = assert_error_shape(api_client.get("/api/commitments/%00/"), [400])
    assert body["errors"][0]["attr"] == "path"


STATUS_UPDATE_FIELDS = [
    "status",
    "effective_date",
    "evidence_url",
    "evidence_title",
    "evidence_publisher",
    "evidence_excerpt",
    "evidence_document",
    "note",
]
PATCH_FIELDS = ["title", "description", "category", "due_date", "parties"]


def post_raw(client, path, body):
    return client.generic("POST", path, body, content_type="application/json")


def patch_raw(client, body):
    version = Commitment.objects.get(slug=VISA).version
    return client.generic(
        "PATCH",
        f"/api/commitments/{VISA}/",
        body,
        content_type="application/json",
        HTTP_IF_MATCH=f'"{version}"',
    )


UNSTORABLE = ('"a\\u0000b"', '"\\ud800"', '"\\udfff x"')


@pytest.mark.parametrize("field", STATUS_UPDATE_FIELDS)
def test_hostile_status_update_fields_write_nothing(analyst_client, seed_data, field):
    for value in HOSTILE_JSON:
        body = {
            "status": '"in_progress"',
            "effective_date": '"2023-11-10"',
            "evidence_url": '"https://example.org/news"',
        }
        body[field] = value
        raw = "{" + ",".join(f'"{key}": {item}' for key, item in body.items()) + "}"
        before = StatusUpdate.objects.count()
        response = post_raw(analyst_client, TIMELINE, raw)
        if response.status_code == 201:
            # Harmless values (a number as a note) may be stored, as text.
            assert value not in UNSTORABLE, (value, response.content)
            continue
        assert_error_shape(response)
        assert StatusUpdate.objects.count() == before, value


@pytest.mark.parametrize("field", PATCH_FIELDS)
def test_hostile_patch_fields_change_nothing(analyst_client, seed_data, field):
    for value in [*HOSTILE_JSON, '[{"country": "K\\u0000", "role": "lead"}]']:
        before = Commitment.objects.get(slug=VISA)
        response = patch_raw(analyst_client, f'{{"{field}": {value}}}')
        after = Commitment.objects.get(slug=VISA)
        if response.status_code == 200:
            assert value not in UNSTORABLE, (value, response.content)
            continue
        assert_error_shape(response)
        assert (after.version, after.title, after.category) == (
            before.version,
            before.title,
            before.category,
        ), value


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 2000 + "]" * 2000,
        '{"username": "\\ud800", "password": "x"}',
        '{"username": "a\\u0000", "password": "x"}',
        '{"username": "%s", "password": "%s"}',
    ],
)
def test_the_token_endpoint_refuses_hostile_bodies_without_a_500(api_client, raw):
    assert_error_shape(post_raw(api_client, "/api/auth/token/", raw), [400])


def test_hostile_keys_in_a_body_are_refused(analyst_client, seed_data):
    response = post_raw(analyst_client, TIMELINE, '{"st\\u0000atus": "in_progress"}')
    assert_error_shape(response, [400])
    assert StatusUpdate.objects.count() == 0


def test_form_encoded_bodies_pass_the_same_checks(analyst_client, seed_data):
    response = analyst_client.generic(
        "POST",
        TIMELINE,
        "status=in_progress&effective_date=2023-11-10&note=a%00b"
        "&evidence_url=https%3A%2F%2Fexample.org%2F",
        content_type="application/x-www-form-urlencoded",
    )
    body = assert_error_shape(response, [400])
    assert body["errors"][0]["attr"] == "note"
    assert StatusUpdate.objects.count() == 0


def test_a_nested_field_error_names_its_place(analyst_client, seed_data):
    body = assert_error_shape(
        patch_raw(analyst_client, json.dumps({"parties": [{"country": "K\x00", "role": "lead"}]})),
        [400],
    )
    assert body["errors"][0]["attr"] == "parties.0.country"


def test_an_unforeseen_error_under_api_answers_in_the_error_shape(settings, client):
    from django.urls import path

    from config import urls

    def broken(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type(
        "BrokenUrls",
        (),
        {
            "urlpatterns": [path("api/broken/", broken), *urls.urlpatterns],
            "handler500": urls.handler500,
        },
    )
    client.raise_request_exception = False
    response = client.get("/api/broken/")
    assert response.status_code == 500
    assert response.json()["type"] == "server_error"
    # Elsewhere, Django's own page.
    settings.ROOT_URLCONF = type(
        "BrokenUrls",
        (),
        {
            "urlpatterns": [path("admin/broken/", broken), *urls.urlpatterns],
            "handler500": urls.handler500,
        },
    )
    assert b"<h1>Server Error (500)</h1>" in client.get("/admin/broken/").content
