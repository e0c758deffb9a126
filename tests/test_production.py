"""Deployment settings, security headers, brute-force protection and database outages."""

import json
import os
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connection

from commitments.models import Commitment, StatusUpdate

GOOD_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k3y-" + "x9Qw7RtY2uIo5PaS8dFg1hJk4LzXc6VbNm0" * 2,
    "ALLOWED_HOSTS": "tracker.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://tracker.example.org",
}


def clean_environment() -> dict[str, str]:
    """Return this process's environment without what the tests themselves set."""
    dropped = {*GOOD_ENVIRONMENT, "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {key: value for key, value in os.environ.items() if key not in dropped}


def run_python(code: str, **environment) -> subprocess.CompletedProcess:
    env = clean_environment()
    env.update({k: v for k, v in environment.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


SETUP = "import django; django.setup(); print('started')"


def test_production_starts_with_a_proper_environment():
    result = run_python(SETUP, **GOOD_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "django-insecure-" + "a1" * 30}, "SECRET_KEY is a default or weak value"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is a default or weak value"),
        ({"DEBUG": "1"}, "DEBUG is on"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is empty"),
    ],
)
def test_production_refuses_to_start_and_says_why(override, reason):
    environment = {**GOOD_ENVIRONMENT, **override}
    result = run_python(SETUP, **environment)
    assert result.returncode == 2
    assert "refuses to start" in result.stderr
    assert reason in result.stderr
    # The reason alone, not the last line of a traceback.
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), (" yes ", True), ("on", True), ("0", False), ("No", False),
     ("off", False), ("", "default"), (None, "default")],
)  # fmt: skip
def test_a_yes_or_no_setting_reads_the_usual_words(monkeypatch, value, expected):
    from config.settings.base import env_bool

    if value is None:
        monkeypatch.delenv("SOME_SWITCH", raising=False)
    else:
        monkeypatch.setenv("SOME_SWITCH", value)
    for default in (True, False):
        assert env_bool("SOME_SWITCH", default) == (default if expected == "default" else expected)


def test_postgresql_prepares_repeated_statements_unless_told_not_to(monkeypatch):
    """Django never prepares (for poolers); the settings let psycopg, unless a pooler forbids it.

    And have PostgreSQL plan a prepared statement once for all its values.
    """
    from config.settings.base import database_from_environment

    monkeypatch.setenv("DATABASE_URL", "postgres://reader@db.invalid:5432/commitments")
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    options = database_from_environment()["OPTIONS"]
    assert options["prepare_threshold"] == 5
    assert options["options"] == "-c plan_cache_mode=force_generic_plan"
    # Options of the URL's own are kept.
    monkeypatch.setenv("DATABASE_URL", "postgres://db.invalid/c?options=-c%20search_path%3Dx")
    options = database_from_environment()["OPTIONS"]
    assert options["options"] == "-c search_path=x -c plan_cache_mode=force_generic_plan"
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "0")
    assert database_from_environment()["OPTIONS"] == {"options": "-c search_path=x"}
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS")
    monkeypatch.delenv("DATABASE_URL")
    assert "prepare_threshold" not in database_from_environment()["OPTIONS"]  # SQLite.


def test_a_yes_or_no_setting_refuses_any_other_word():
    result = run_python(SETUP, **GOOD_ENVIRONMENT, API_LOGIN_REQUIRED="ture")
    assert result.returncode != 0
    # Not read as "no", which would have opened the API to anonymous readers.
    assert "ImproperlyConfigured: API_LOGIN_REQUIRED='ture' is not a yes or no" in result.stderr
    assert "started" not in result.stdout


def test_check_deploy_passes_with_the_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**clean_environment(), **GOOD_ENVIRONMENT},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_responses_carry_the_security_headers():
    code = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/api/no-such-endpoint/", secure=True, HTTP_HOST="tracker.example.org")
from django.conf import settings
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "csrf_secure": settings.CSRF_COOKIE_SECURE,
    "csrf_httponly": settings.CSRF_COOKIE_HTTPONLY,
    "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY,
}))
plain = Client().get("/api/no-such-endpoint/", HTTP_HOST="tracker.example.org")
print(json.dumps({"redirect": plain.status_code, "location": plain.get("Location", "")}))
"""
    result = run_python(code, **GOOD_ENVIRONMENT)
    assert result.returncode == 0, result.stderr
    secure, plain = (json.loads(line) for line in result.stdout.strip().splitlines()[-2:])
    headers = secure["headers"]
    assert secure["status"] == 404
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert secure["csrf_secure"] and secure["csrf_httponly"]
    assert secure["session_secure"] and secure["session_httponly"]
    assert plain["redirect"] == 301
    assert plain["location"].startswith("https://")


@pytest.mark.django_db
def test_admin_logins_lock_out_after_repeated_failures(client):
    from tests.factories import UserFactory

    UserFactory(username="target", password="the-right-password")
    codes = [
        client.post(
            "/admin/login/", {"username": "target", "password": "wrong"}, REMOTE_ADDR="10.0.0.9"
        ).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    # Refused politely until the limit, then locked out.
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    response = client.post(
        "/admin/login/",
        {"username": "target", "password": "the-right-password"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.fixture
def database_gone(transactional_db):
    """Point the connection at a database that cannot be reached, then put it back."""
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/folder/commitments.sqlite3"
    else:
        connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)


def test_api_answers_503_when_the_database_is_gone(client, database_gone):
    client.raise_request_exception = False
    response = client.get("/api/commitments/")
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"


def test_admin_answers_503_when_the_database_is_gone(admin_client, database_gone):
    admin_client.raise_request_exception = False
    response = admin_client.get("/admin/commitments/commitment/")
    assert response.status_code == 503
    assert "nothing was written" in response.json()["errors"][0]["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_mid_write_leaves_nothing_half_written(analyst_client, seed_data):
    lost = OperationalError("server closed the connection unexpectedly")
    analyst_client.raise_request_exception = False
    with (
        mock.patch.object(Commitment, "refresh_status", side_effect=lost),
        mock.patch("commitments.api.errors.database_is_unavailable", return_value=True),
    ):
        response = analyst_client.post(
            "/api/commitments/cn-kz-mutual-visa-exemption/status-updates/",
            {
                "status": "completed",
                "effective_date": "2023-11-10",
                "evidence_url": "https://example.org/visa",
            },
            format="json",
        )
    assert response.status_code == 503
    assert StatusUpdate.objects.count() == 0
    visa = Commitment.objects.get(slug="cn-kz-mutual-visa-exemption")
    assert (visa.status, visa.version) == ("announced", 1)
