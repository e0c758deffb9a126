"""Served speed: the API under gunicorn against the same bytes sent by a bare WSGI app.

The production app runs as `make serve` runs it (config.settings.production,
gunicorn gthread, 2 workers of 4 threads) inside bench.wsgi_pair, which also
answers /raw/<path> with the bytes the app gave for <path>, recorded first.
Load phases alternate between the two, ROUNDS times over, so that drift in a noisy
machine hits both alike; each figure is the app's p95 over the raw copy's.
Every answer's status and body are checked against the recorded copy.
"""

import hashlib
import http.client
import json
import pickle
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 4
PAGE = 100
# Each round runs every phase on the app, then on the raw copy; the figures are
# the rounds' means. A fresh phase is a few hundred reads over a second or two,
# so one hiccup moves its p95: more rounds, less noise.
ROUNDS = 4
TARGETS = {
    "http_list_repeat_p95_vs_raw": 2,
    "http_list_304_p95_vs_raw": 1.5,
    "http_list_fresh_p95_vs_raw": 4,
    "http_filtered_fresh_p95_vs_raw": 6,
    "http_detail_fresh_p95_vs_raw": 3,
}
HOP_BY_HOP = {"connection", "transfer-encoding", "date", "server", "keep-alive"}


def bump_generation() -> None:
    """Move the data generation without changing any data: every read after it is fresh."""
    from django.db import connection

    from commitments.generation import DataGeneration

    table = connection.ops.quote_name(DataGeneration._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (slot, value) VALUES (0, 1) "
            f"ON CONFLICT (slot) DO UPDATE SET value = {table}.value + 1"
        )


def fetch(base: str, path: str, headers: dict | None = None):
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        return f"{response.status} {response.reason}", kept, body
    finally:
        connection.close()


def request_sets(count: int) -> dict[str, list[str]]:
    """Return the distinct paths each fresh phase reads, `count` of each at most."""
    from commitments.choices import Status
    from commitments.models import Commitment, CommitmentParty

    total = Commitment.objects.count()
    step = max((total - PAGE) // max(count, 1), 1)
    lists = [f"/api/commitments/?limit={PAGE}&offset={i * step}" for i in range(count)]
    countries = sorted(set(CommitmentParty.objects.values_list("country_id", flat=True)))
    orderings = ["-status_date", "due_date", "-updated_at", "title"]
    statuses = [Status.ANNOUNCED, Status.IN_PROGRESS, f"{Status.ANNOUNCED},{Status.FORMALIZED}"]
    filtered = [
        f"/api/commitments/?country={country}&status={status}&ordering={ordering}"
        f"&limit={PAGE}&offset={offset}"
        for offset in (0, PAGE, 2 * PAGE)
        for ordering in orderings
        for status in statuses
        for country in countries
    ][:count]
    slugs = Commitment.objects.order_by("?").values_list("slug", flat=True)[: count * 4]
    details = [f"/api/commitments/{slug}/" for slug in slugs]
    return {"list": lists, "filtered": filtered, "detail": details}


def loadgen(base: str, requests: list[dict], duration: float, once: bool, workdir: Path) -> dict:
    path = workdir / f"requests-{secrets.token_hex(4)}.json"
    path.write_text(json.dumps(requests))
    command = [
        sys.executable, "-m", "bench.loadgen", base, "--requests", str(path),
        "--concurrency", str(CONCURRENCY), "--duration", str(duration),
    ]  # fmt: skip
    if once:
        command.append("--once")
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    path.unlink()
    return json.loads(output)


def served_speed(suite, database: str) -> None:
    """Record the five http_*_p95_vs_raw figures for the database `database`."""
    from commitments.local_server import start_gunicorn, stop, wait_until_serving

    sizes = suite.sizes
    suite.db.use(database)
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    raw_file = workdir / "raw.pickle"
    raw: dict = {}
    raw_file.write_bytes(pickle.dumps(raw))
    environment = {
        **suite.db.environment(database),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "API_ANON_THROTTLE_RATE": "100000000/minute",
        "CACHE_DIR": str(workdir / "cache"),
        "BENCH_RAW_FILE": str(raw_file),
    }
    server, base = start_gunicorn(
        environment, workers=2, threads=4, app="bench.wsgi_pair:application"
    )
    list_path = f"/api/commitments/?limit={PAGE}"
    try:
        wait_until_serving(f"{base}/api/", server)
        paths = request_sets(sizes["http_fresh"])
        expected = {}
        for path in [list_path, *(p for group in paths.values() for p in group)]:
            status, headers, body = fetch(base, path)
            if not status.startswith("200"):
                raise AssertionError(f"{path} answered {status}: {body[:200]!r}")
            raw[(path, False)] = (status, headers, body)
            expected[path] = hashlib.sha256(body).hexdigest()
        status, headers, _ = raw[(list_path, False)]
        kept = [(k, v) for k, v in headers if k.lower() in ("etag", "cache-control", "vary")]
        raw[(list_path, True)] = ("304 Not Modified", kept, b"")
        raw_file.write_bytes(pickle.dumps(raw))

        def phase(kind: str) -> tuple[list[dict], bool]:
            if kind == "repeat":
                return [{"path": list_path, "sha256": expected[list_path]}], False
            if kind == "304":
                etag = dict(fetch(base, list_path)[1])["ETag"]
                headers = {"If-None-Match": etag}
                return [{"path": list_path, "headers": headers, "status": 304}], False
            return [{"path": p, "sha256": expected[p]} for p in paths[kind]], True

        names = {
            "repeat": "http_list_repeat_p95_vs_raw",
            "304": "http_list_304_p95_vs_raw",
            "list": "http_list_fresh_p95_vs_raw",
            "filtered": "http_filtered_fresh_p95_vs_raw",
            "detail": "http_detail_fresh_p95_vs_raw",
        }
        runs: dict[str, dict[str, list[dict]]] = {kind: {"app": [], "raw": []} for kind in names}
        duration = sizes["http_seconds"]
        for _ in range(ROUNDS):
            # The repeat phase reads a cached page. A worker stores a key the
            # second time it misses it: of three reads, two reach one worker.
            for _ in range(3):
                fetch(base, list_path)
            for kind in names:
                requests, fresh = phase(kind)
                if fresh:
                    bump_generation()
                runs[kind]["app"].append(loadgen(base, requests, duration, fresh, workdir))
                raw_requests = [{**r, "path": "/raw" + r["path"]} for r in requests]
                runs[kind]["raw"].append(loadgen(base, raw_requests, duration, False, workdir))
    finally:
        stop(server)
    for kind, name in names.items():
        app, copy = runs[kind]["app"], runs[kind]["raw"]
        p95 = statistics.mean(r["p95_ms"] for r in app)
        p50 = statistics.mean(r["p50_ms"] for r in app)
        raw95 = statistics.mean(r["p95_ms"] for r in copy)
        raw50 = statistics.mean(r["p50_ms"] for r in copy)
        errors = sum(r["errors"] for r in app + copy)
        requests = sum(r["requests"] for r in app)
        ratio = p95 / raw95 if raw95 else float("inf")
        # Each round's own ratio: the spread says how far one round is from another.
        rounds = [a["p95_ms"] / r["p95_ms"] for a, r in zip(app, copy, strict=True) if r["p95_ms"]]
        suite.record(
            name,
            ratio,
            "ratio",
            f"<= {TARGETS[name]}, zero errors",
            ratio <= TARGETS[name] and errors == 0,
            f"p95 {p95:.2f} ms vs raw {raw95:.2f} ms; p50 {p50:.2f} vs {raw50:.2f} ms "
            f"(p50 ratio {p50 / raw50 if raw50 else float('inf'):.2f}); "
            f"{requests} requests, {errors} errors; rounds {min(rounds, default=0):.2f}"
            f"-{max(rounds, default=0):.2f}",
        )
    shutil.rmtree(workdir, ignore_errors=True)
