"""Run the app under gunicorn on a free port of 127.0.0.1: for the load test and benchmarks."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings


def start_gunicorn(
    environment: dict[str, str],
    *,
    workers: int,
    threads: int,
    port: int | None = None,
    app: str = "config.wsgi:application",
):
    """Start gunicorn with `environment` over this process's own; return it and its base URL.

    It serves the WSGI callable `app` and listens on `port` of 127.0.0.1, or
    on a free one when none is given. The socket is bound here and handed to
    gunicorn, so that two servers started at once (parallel test workers)
    never pick the same free port.
    """
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", port or 0))
        listener.listen(128)
        port = listener.getsockname()[1]
        inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", app,
                "--bind", f"fd://{listener.fileno()}",
                "--workers", str(workers), "--threads", str(threads),
                "--worker-class", "gthread", "--log-level", "warning",
            ],
            cwd=settings.BASE_DIR,
            env={**inherited, **environment},
            pass_fds=[listener.fileno()],
        )  # fmt: skip
    finally:
        listener.close()  # gunicorn holds its own copy.
    return process, f"http://127.0.0.1:{port}"


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Return once `url` answers; raise if gunicorn exits or stays silent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
