"""Run concurrent readers and writers against the app under gunicorn, then count what was kept."""

import datetime
import json
import os
import random
import secrets
import statistics
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from commitments.choices import Status
from commitments.local_server import start_gunicorn, stop, wait_until_serving
from commitments.models import Commitment, StatusUpdate

LOAD_USER = "load-test-writer"


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    accepted_writes: int = 0

    def record(self, status: int, seconds: float, *, write: bool) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if write and status == 201:
                self.accepted_writes += 1


def database_environment() -> dict[str, str]:
    """Return the environment that points a server process at this process's database."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return {"SQLITE_PATH": str(db["NAME"]), "DATABASE_URL": ""}
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return {
        "DATABASE_URL": (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    }


class Command(BaseCommand):
    help = (
        "Start gunicorn on 127.0.0.1, run concurrent readers and writers for a fixed time, "
        "stop it, and report requests, errors, lost updates and latency."
    )

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=float, default=15.0, help="Seconds of load.")
        parser.add_argument("--readers", type=int, default=8)
        parser.add_argument("--writers", type=int, default=4)
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, default=4, help="Threads per worker.")
        parser.add_argument(
            "--port", type=int, default=None, help="Port of 127.0.0.1 to serve on (default: free)."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args, **options):
        if options["duration"] <= 0 or options["duration"] > 600:
            raise CommandError("--duration must be between 0 and 600 seconds.")
        if options["port"] is not None and not 1024 <= options["port"] <= 65535:
            raise CommandError("--port must be between 1024 and 65535.")
        if not Commitment.objects.exists():
            call_command("loaddata", "countries", "officials", "sources", "meetings", "commitments")
        token = self.writer_token()
        targets = list(
            Commitment.objects.select_related("meeting").values_list("slug", "meeting__date")
        )
        before = StatusUpdate.objects.count()

        # gunicorn serves no static file here, but whitenoise wants the folder.
        os.makedirs(settings.STATIC_ROOT, exist_ok=True)
        try:
            server, base = start_gunicorn(
                self.server_environment(),
                workers=options["workers"],
                threads=options["threads"],
                port=options["port"],
            )
        except OSError as exc:  # The port is in use.
            raise CommandError(f"Cannot serve on 127.0.0.1:{options['port']}: {exc}") from exc
        try:
            try:
                wait_until_serving(f"{base}/api/countries/", server)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            tally = self.run_load(base, token, targets, options)
        finally:
            stop(server)

        stored = StatusUpdate.objects.count() - before
        summary = self.summarize(tally, stored, options)
        summary["inconsistent_projections"] = sum(
            (c.status, c.status_date) != c.projected_status()
            for c in Commitment.objects.select_related("meeting")
        )
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            self.print_summary(summary)
        if any(
            summary[key]
            for key in (
                "server_errors",
                "transport_errors",
                "lost_updates",
                "inconsistent_projections",
            )
        ):
            raise CommandError("the load test saw errors, lost updates or a stale projection")

    def writer_token(self) -> str:
        user, _ = get_user_model().objects.get_or_create(username=LOAD_USER)
        user.groups.add(Group.objects.get(name="Analysts"))
        token, _ = Token.objects.get_or_create(user=user)
        return token.key

    def server_environment(self) -> dict[str, str]:
        return {
            **database_environment(),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DEBUG": "0",
            "API_ANON_THROTTLE_RATE": "1000000/minute",
            "LOG_LEVEL": "WARNING",
        }

    def run_load(self, base: str, token: str, targets, options) -> Tally:
        tally = Tally()
        stop_at = time.monotonic() + options["duration"]
        today = timezone.localdate()
        read_paths = [
            "/api/commitments/?limit=100",
            "/api/commitments/?country=KZ&status=announced,completed",
            "/api/commitments/?as_of=2024-01-01&ordering=-status_date",
            "/api/status-updates/?limit=50",
            "/api/countries/",
        ]

        def request(path, *, data=None, write=False):
            body = json.dumps(data).encode() if data is not None else None
            headers = {"Content-Type": "application/json"} if body else {}
            if write:
                headers["Authorization"] = f"Token {token}"
            req = urllib.request.Request(base + path, data=body, headers=headers)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(req, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                error.read()
                status = error.code
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                with tally.lock:
                    tally.transport_errors += 1
                return
            tally.record(status, time.perf_counter() - started, write=write)

        def reader(rng):
            while time.monotonic() < stop_at:
                slug = rng.choice(targets)[0]
                request(rng.choice([*read_paths, f"/api/commitments/{slug}/"]))

        def writer(rng):
            while time.monotonic() < stop_at:
                slug, made_on = rng.choice(targets)
                span = max((today - made_on).days, 0)
                effective = made_on + datetime.timedelta(days=rng.randint(0, span))
                request(
                    f"/api/commitments/{slug}/status-updates/",
                    data={
                        "status": rng.choice(Status.values),
                        "effective_date": effective.isoformat(),
                        "evidence_url": f"https://example.org/load/{rng.randrange(10**9)}",
                        "evidence_title": "Load test",
                    },
                    write=True,
                )

        threads = [
            threading.Thread(target=reader, args=(random.Random(options["seed"] * 100 + n),))
            for n in range(options["readers"])
        ] + [
            threading.Thread(target=writer, args=(random.Random(options["seed"] * 1000 + n),))
            for n in range(options["writers"])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return tally

    def summarize(self, tally: Tally, stored: int, options) -> dict:
        latencies = sorted(tally.latencies)
        quantiles = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
        return {
            "database": connection.vendor,
            "duration_s": options["duration"],
            "readers": options["readers"],
            "writers": options["writers"],
            "requests": len(latencies),
            "requests_per_s": round(len(latencies) / options["duration"], 1),
            "statuses": {str(code): n for code, n in sorted(tally.statuses.items())},
            "server_errors": sum(n for code, n in tally.statuses.items() if code >= 500),
            "transport_errors": tally.transport_errors,
            "accepted_writes": tally.accepted_writes,
            "stored_updates": stored,
            "lost_updates": tally.accepted_writes - stored,
            "p50_ms": round(quantiles[49] * 1000, 1),
            "p95_ms": round(quantiles[94] * 1000, 1),
        }

    def print_summary(self, summary: dict) -> None:
        for key, value in summary.items():
            self.stdout.write(f"{key:>17}: {value}")
