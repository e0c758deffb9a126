"""The benchmark suite: every timing a ratio against a baseline measured in the same run.

    python -m bench.run            # full sizes (make bench)
    python -m bench.run --quick    # smaller sizes, under two minutes (make bench-quick)
    python -m bench.run --tiny     # the harness itself, in seconds (used by the tests)

It builds scratch databases (SQLite files in a temporary folder, or databases
named bench_* on the server of DATABASE_URL), fills them with generate_data,
prints a table and writes bench/results.json: one object per measurement with
name, value, unit, target and ok.
"""

import argparse
import datetime
import functools
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {
    "full": {
        "list": 10_000, "admin_small": 1_000, "deep": 200_000, "bulk": 100_000,
        "repeat": 25, "http_seconds": 8.0, "http_fresh": 400,
    },
    "quick": {
        "list": 2_000, "admin_small": 1_000, "deep": 20_000, "bulk": 10_000,
        "repeat": 12, "http_seconds": 3.0, "http_fresh": 150,
    },
    "tiny": {
        "list": 150, "admin_small": 50, "deep": 600, "bulk": 300,
        "repeat": 2, "http_seconds": 0.5, "http_fresh": 4,
    },
}  # fmt: skip
PAGE = 100
HTTP_CONCURRENCY = 4


class Databases:
    """Scratch databases cloned from one migrated template, on SQLite or PostgreSQL."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.url = os.environ.get("DATABASE_URL", "").strip()
        if self.url:
            parts = urllib.parse.urlsplit(self.url)
            self.server = parts._replace(path="/postgres").geturl()
            self.url_for = lambda name: parts._replace(path=f"/bench_{name}").geturl()
            self._admin(
                ["DROP DATABASE IF EXISTS bench_template", "CREATE DATABASE bench_template"]
            )
            os.environ["DATABASE_URL"] = self.url_for("template")
        else:
            os.environ["SQLITE_PATH"] = str(workdir / "template.sqlite3")
        self.names: list[str] = []

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def _admin(self, statements):
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def create(self, name: str) -> None:
        """Create an empty, migrated database called `name` from the template."""
        from django.db import connection

        connection.close()
        if self.url:
            self._admin(
                [
                    f"DROP DATABASE IF EXISTS bench_{name}",
                    f"CREATE DATABASE bench_{name} TEMPLATE bench_template",
                ]
            )
        else:
            shutil.copyfile(self.workdir / "template.sqlite3", self.workdir / f"{name}.sqlite3")
        self.names.append(name)

    def use(self, name: str) -> None:
        from django.db import connection

        connection.close()
        if self.url:
            connection.settings_dict["NAME"] = f"bench_{name}"
        else:
            connection.settings_dict["NAME"] = str(self.workdir / f"{name}.sqlite3")

    def environment(self, name: str) -> dict[str, str]:
        if self.url:
            return {"DATABASE_URL": self.url_for(name)}
        return {"SQLITE_PATH": str(self.workdir / f"{name}.sqlite3"), "DATABASE_URL": ""}

    def drop(self, *names: str) -> None:
        """Drop scratch databases once measured: on PostgreSQL, a bulk-loaded one left
        behind is vacuumed by autovacuum during the benchmarks that follow."""
        from django.db import connection

        connection.close()
        for name in names:
            if self.url:
                self._admin([f"DROP DATABASE IF EXISTS bench_{name}"])
            else:
                (self.workdir / f"{name}.sqlite3").unlink(missing_ok=True)
            self.names.remove(name)

    def drop_all(self) -> None:
        self.drop(*self.names)
        if self.url:
            self._admin(["DROP DATABASE IF EXISTS bench_template"])


def median_seconds(function, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def alternate_median_seconds(functions, repeat: int, warmup: int = 2, before=None) -> list[float]:
    """Return each function's median time, the functions timed in turn, round after round.

    For a ratio of two timings: a spell of a slower machine (shared, noisy)
    then slows both, rather than whichever was being timed. `before`, if
    given, holds one untimed callable per function, run before each of its
    turns (switching to its database, say).
    """
    before = before or [lambda: None for _ in functions]
    for prepare, function in zip(before, functions, strict=True):
        for _ in range(warmup):
            prepare()
            function()
    samples = [[] for _ in functions]
    for _ in range(repeat):
        for prepare, function, times in zip(before, functions, samples, strict=True):
            prepare()
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in samples]


class Suite:
    def __init__(self, sizes: dict, databases: Databases):
        from django.test import RequestFactory

        self.sizes = sizes
        self.db = databases
        self.factory = RequestFactory()
        self.results: list[dict] = []
        self.notes: list[str] = []
        self.show_plans = False

    def record(self, name, value, unit, target, ok, note=""):
        self.results.append(
            {"name": name, "value": round(value, 3), "unit": unit, "target": target, "ok": ok}
        )
        if note:
            self.notes.append(f"{name}: {note}")

    # -- helpers ---------------------------------------------------------------

    def generate(self, name: str, commitments: int) -> None:
        from django.core.management import call_command

        self.db.create(name)
        self.db.use(name)
        call_command(
            "generate_data", commitments=commitments, seed=1, no_progress=True, stdout=io.StringIO()
        )

    def api(self, query: str) -> bytes:
        from commitments.api.views import CommitmentViewSet

        view = CommitmentViewSet.as_view({"get": "list"})
        response = view(self.factory.get(f"/api/commitments/?{query}"))
        response.render()
        if response.status_code != 200:
            raise AssertionError(f"/api/commitments/?{query} answered {response.status_code}")
        return response.content

    def idiomatic(self, query: str) -> bytes:
        from bench.baselines import IdiomaticCommitmentList

        response = IdiomaticCommitmentList.as_view()(self.factory.get(f"/bench/idiomatic/?{query}"))
        response.render()
        return response.content

    def floor(self, limit: int, offset: int = 0) -> bytes:
        from bench.baselines import floor_page

        request = self.factory.get(f"/api/commitments/?limit={limit}")
        return floor_page(request, limit, offset)

    # -- measurements ----------------------------------------------------------

    def list_benchmarks(self) -> None:
        import orjson
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        repeat = self.sizes["repeat"]
        ours = orjson.loads(self.api(f"limit={PAGE}"))
        floor = orjson.loads(self.floor(PAGE))
        if ours != floor:
            raise AssertionError(
                "the floor's JSON differs from the endpoint's: " + _first_difference(ours, floor)
            )
        if orjson.loads(self.idiomatic(f"limit={PAGE}"))["results"] != ours["results"]:
            raise AssertionError("the idiomatic DRF list differs from the endpoint's")

        t_ours = median_seconds(lambda: self.api(f"limit={PAGE}"), repeat)
        t_floor = median_seconds(lambda: self.floor(PAGE), repeat)
        t_idiomatic = median_seconds(lambda: self.idiomatic(f"limit={PAGE}"), repeat)
        self.record(
            "list_vs_floor",
            t_ours / t_floor,
            "ratio",
            "<= 3",
            t_ours / t_floor <= 3,
            f"ours {t_ours * 1000:.2f} ms, floor {t_floor * 1000:.2f} ms per page",
        )
        ratio = t_idiomatic / t_ours
        self.record(
            "list_vs_idiomatic_drf",
            ratio,
            "ratio",
            ">= 4",
            ratio >= 4,
            f"idiomatic DRF {t_idiomatic * 1000:.2f} ms per page",
        )

        counts = {}
        filters = (
            "country=CN&status=announced,formalized,in_progress,completed&category="
            + ",".join(["trade", "security", "other", "visa_regime", "culture_people"])
        )
        for label, query in [("plain", ""), ("filtered", filters), ("as_of", "as_of=2015-06-30")]:
            for size in (1, 10, 100, 500):
                self.api(f"limit={size}&{query}")  # caches warm
                with CaptureQueriesContext(connection) as queries:
                    self.api(f"limit={size}&{query}")
                counts[(label, size)] = len(queries)
        constant = all(
            len({counts[(label, size)] for size in (1, 10, 100, 500)}) == 1
            for label in ("plain", "filtered", "as_of")
        )
        worst = max(counts.values())
        self.record(
            "queries_per_page",
            worst,
            "queries",
            "same for every size, <= 4",
            constant and worst <= 4,
            ", ".join(f"{label}/{size}: {n}" for (label, size), n in counts.items()),
        )

        as_of = "as_of=2015-06-30"
        if orjson.loads(self.api(f"limit={PAGE}&{as_of}"))["count"] == 0:
            raise AssertionError("the as_of page is empty")
        t_as_of, t_current = alternate_median_seconds(
            [lambda: self.api(f"limit={PAGE}&{as_of}"), lambda: self.api(f"limit={PAGE}")], repeat
        )
        self.record(
            "as_of_vs_current",
            t_as_of / t_current,
            "ratio",
            "<= 2",
            t_as_of / t_current <= 2,
            f"as_of {t_as_of * 1000:.2f} ms, current {t_current * 1000:.2f} ms per page "
            f"(timed in turn)",
        )

    def query_plans(self) -> None:
        """Print the database's plan for the page query of the main filters."""
        from django.http import QueryDict

        from commitments.filters import CommitmentFilter
        from commitments.models import Commitment

        print("Query plans of the list's page query (the count query filters the same way):")
        for query in [
            "status=completed",
            "country=KZ",
            "lead=KZ",
            "country=KZ&status=announced&ordering=-status_date",
            "category=trade",
            "due_before=2010-01-01",
            "updated_since=2020-01-01T00:00:00Z",
            "ordering=-status_date",
            "as_of=2015-06-30&status=completed",
        ]:
            params = QueryDict(query)
            as_of = datetime.date.fromisoformat(params["as_of"]) if "as_of" in params else None
            base = Commitment.objects.with_status(as_of).with_mentions_count().order_by("slug")
            queryset = CommitmentFilter(params, queryset=base).qs
            print(f"\n  {query}")
            for line in queryset[:PAGE].explain().splitlines():
                print(f"    {line}")
        print()

    def deep_page_benchmark(self) -> None:
        from commitments.api.pagination import encode_cursor
        from commitments.models import Commitment

        repeat = self.sizes["repeat"]
        total = Commitment.objects.count()
        near_end = Commitment.objects.order_by("slug").values_list("slug", flat=True)[
            total - PAGE - 50
        ]
        deep = f"cursor={encode_cursor(near_end)}&limit={PAGE}"
        if len(json.loads(self.api(deep))["results"]) != PAGE:
            raise AssertionError("the deep cursor page is not full")
        t_first = median_seconds(lambda: self.api(f"cursor=&limit={PAGE}"), repeat)
        t_deep = median_seconds(lambda: self.api(deep), repeat)
        ratio = t_deep / t_first
        self.record(
            "deep_page_vs_first_page",
            ratio,
            "ratio",
            "<= 1.5",
            ratio <= 1.5,
            f"cursor mode at {total} commitments",
        )
        t_offset_first = median_seconds(lambda: self.api(f"limit={PAGE}"), repeat)
        t_offset_deep = median_seconds(
            lambda: self.api(f"limit={PAGE}&offset={total - PAGE - 50}"), repeat
        )
        self.record(
            "deep_offset_page_vs_first_page",
            t_offset_deep / t_offset_first,
            "ratio",
            None,
            None,
            "offset mode, for comparison; not a target",
        )

    def admin_times(self, names: list[str]) -> list[float]:
        """Return the admin changelist's median time on each database, timed in turn.

        Timed one size after the other, minutes apart, the ratio followed whatever
        the machine did in between (one PostgreSQL run: 72.1 ms at the small size,
        165.5 ms at the large one, against 92.7 and 133.8 in the run before).
        Each switch opens a new connection, so the first changelist after it
        (connection, session, SQLite's page cache) is not timed.
        """
        from django.contrib.auth import get_user_model
        from django.test import Client

        clients = []
        for name in names:
            self.db.use(name)
            user, _ = get_user_model().objects.get_or_create(
                username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
            )
            client = Client()
            client.force_login(user)
            clients.append(client)

        def get(client):
            response = client.get("/admin/commitments/commitment/")
            if response.status_code != 200:
                raise AssertionError(f"admin changelist answered {response.status_code}")

        def switch(name, client):
            self.db.use(name)
            get(client)

        return alternate_median_seconds(
            [functools.partial(get, client) for client in clients],
            max(3, self.sizes["repeat"]),
            warmup=0,
            before=[functools.partial(switch, *pair) for pair in zip(names, clients, strict=True)],
        )

    def bulk_load_benchmark(self) -> None:
        from django.core.management import call_command
        from django.db import connection, transaction

        from commitments.synthetic import build_corpus, insert_statements

        size = self.sizes["bulk"]
        self.db.create("bulk_generate")
        self.db.use("bulk_generate")
        started = time.perf_counter()
        call_command(
            "generate_data", commitments=size, seed=2, no_progress=True, stdout=io.StringIO()
        )
        t_generate = time.perf_counter() - started

        self.db.create("bulk_raw")
        self.db.use("bulk_raw")
        corpus = build_corpus(size, seed=2)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table in corpus.tables:
                cursor.executemany(insert_statements(table), table.rows)
        t_raw = time.perf_counter() - started
        ratio = t_generate / t_raw
        rows = sum(len(t.rows) for t in corpus.tables)
        self.record(
            "bulk_load_vs_executemany",
            ratio,
            "ratio",
            "<= 2",
            ratio <= 2,
            f"{size} commitments, {rows} rows: generate_data {t_generate:.2f} s, "
            f"executemany {t_raw:.2f} s",
        )

    def http_benchmark(self, database: str) -> None:
        from commitments.local_server import start_gunicorn, stop, wait_until_serving

        server, base = start_gunicorn(
            {**self.db.environment(database), "DJANGO_SETTINGS_MODULE": "bench.settings"},
            workers=2,
            threads=2,
        )
        try:
            wait_until_serving(f"{base}/bench/floor/?limit=1", server)
            rounds = {"floor": [], "list": []}
            for _ in range(2):
                for label, path in [("floor", f"/bench/floor/?limit={PAGE}"),
                                    ("list", f"/api/commitments/?limit={PAGE}")]:  # fmt: skip
                    output = subprocess.run(
                        [sys.executable, "-m", "bench.loadgen", base + path, "--concurrency",
                         str(HTTP_CONCURRENCY), "--duration", str(self.sizes["http_seconds"])],
                        cwd=ROOT, capture_output=True, text=True, check=True,
                    ).stdout  # fmt: skip
                    rounds[label].append(json.loads(output))
        finally:
            stop(server)
        p95 = {label: statistics.mean(r["p95_ms"] for r in runs) for label, runs in rounds.items()}
        errors = sum(r["errors"] for runs in rounds.values() for r in runs)
        requests = sum(r["requests"] for runs in rounds.values() for r in runs)
        ratio = p95["list"] / p95["floor"]
        self.record(
            "http_p95_vs_floor_endpoint",
            ratio,
            "ratio",
            "<= 2, zero errors",
            ratio <= 2 and errors == 0,
            f"p95 list {p95['list']:.1f} ms, floor {p95['floor']:.1f} ms; "
            f"{requests} requests, {errors} errors, concurrency {HTTP_CONCURRENCY}",
        )

    def run(self) -> None:
        sizes = self.sizes
        self.generate("list", sizes["list"])
        self.list_benchmarks()
        from bench.reports import report_benchmark

        report_benchmark(self)
        if self.show_plans:
            self.query_plans()
        self.generate("admin_small", sizes["admin_small"])
        self.generate("deep", sizes["deep"])
        self.deep_page_benchmark()
        t_admin_small, t_admin_large = self.admin_times(["admin_small", "deep"])
        ratio = t_admin_large / t_admin_small
        self.record(
            f"admin_changelist_{_short(sizes['deep'])}_vs_{_short(sizes['admin_small'])}",
            ratio,
            "ratio",
            "<= 2",
            ratio <= 2,
            f"{t_admin_large * 1000:.1f} ms vs {t_admin_small * 1000:.1f} ms",
        )
        self.db.drop("admin_small", "deep")
        self.bulk_load_benchmark()
        self.db.drop("bulk_generate", "bulk_raw")
        self.http_benchmark("list")
        from bench.http import served_speed

        served_speed(self, "list")


def _first_difference(ours: dict, floor: dict) -> str:
    pairs = zip(ours["results"], floor["results"], strict=False)
    for mine, theirs in [(ours, floor), *pairs]:
        keys = [key for key in mine if key != "results" and mine[key] != theirs.get(key)]
        if keys:
            return ", ".join(f"{key}: {mine[key]!r} != {theirs.get(key)!r}" for key in keys)
    return "the pages differ in length"


def _short(number: int) -> str:
    return f"{number // 1000}k" if number >= 1000 and number % 1000 == 0 else str(number)


def print_table(results: list[dict], header: str, notes: list[str]) -> None:
    print(header)
    print(f"{'measurement':<34} {'value':>9}  {'unit':<8} {'target':<26} ok")
    print("-" * 84)
    for r in results:
        ok = "-" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        print(f"{r['name']:<34} {r['value']:>9.3f}  {r['unit']:<8} {r['target'] or '':<26} {ok}")
    print()
    for note in notes:
        print(f"  {note}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--tiny", action="store_true")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--plans", action="store_true", help="Print the main filters' plans.")
    args = parser.parse_args(argv)
    size_name = "tiny" if args.tiny else "quick" if args.quick else "full"

    workdir = Path(tempfile.mkdtemp(prefix="commitments-bench-"))
    databases = Databases(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    try:
        call_command("migrate", verbosity=0)
        suite = Suite(SIZES[size_name], databases)
        suite.show_plans = args.plans
        suite.run()
    finally:
        databases.drop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    today = datetime.datetime.now(datetime.UTC).date()
    header = (
        f"Benchmarks ({size_name}) on {databases.vendor}, {today}, "
        f"{platform.machine()} with {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{time.perf_counter() - started:.0f} s; sizes {SIZES[size_name]}"
    )
    print_table(suite.results, header, suite.notes)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(suite.results, indent=2) + "\n")
    print(f"\nWrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
