"""The benchmark harness runs end to end at tiny sizes (timings are not asserted)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

EXPECTED = {
    "list_vs_floor",
    "list_vs_idiomatic_drf",
    "queries_per_page",
    "deep_page_vs_first_page",
    "as_of_vs_current",
    "bulk_load_vs_executemany",
    "http_p95_vs_floor_endpoint",
}


@pytest.mark.django_db
def test_the_tiny_suite_runs_and_writes_every_measurement(tmp_path):
    output = tmp_path / "results.json"
    environment = {
        key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    if connection.vendor == "postgresql":
        # The suite makes its own scratch databases on the same server.
        db = connection.settings_dict
        environment["DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    else:
        environment.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--tiny", "--output", str(output)],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    results = json.loads(output.read_text())
    names = {r["name"] for r in results}
    assert names >= EXPECTED
    assert any(name.startswith("admin_changelist_") for name in names)
    for measurement in results:
        assert set(measurement) == {"name", "value", "unit", "target", "ok"}
        assert isinstance(measurement["value"], int | float)
    queries = next(r for r in results if r["name"] == "queries_per_page")
    assert queries["value"] <= 4
    assert "measurement" in result.stdout
