"""Settings for the test suite: fast password hashing, real databases, no throttling surprises."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES, SQLITE_OPTIONS

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _scratch_folder(prefix: str) -> str:
    """Return a new temporary folder, removed when the test process that made it exits.

    Only by that process: a child forked from it (gunicorn is started, not
    forked) must not remove the folders of a process still running.
    """
    path, owner = tempfile.mkdtemp(prefix=prefix), os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(path, ignore_errors=True))
    return path


# SQLite tests use a file, not memory: the concurrency tests need WAL, busy
# timeouts and one connection per thread, as in production. In a folder of
# the test process's own, so that nothing of them outlives it: not the -wal
# and -shm files beside a database, which its removal can leave behind.
_TEST_DIR = Path(os.environ.get("TEST_DB_DIR") or _scratch_folder("commitments-test-db-"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(_TEST_DIR / f"commitments-test-{os.getpid()}.sqlite3")
    }

# A second, always-SQLite database for the cross-engine backup round trip.
DATABASES["sqlite"] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": str(_TEST_DIR / "commitments-other.sqlite3"),
    "OPTIONS": dict(SQLITE_OPTIONS),
    "TEST": {"NAME": str(_TEST_DIR / f"commitments-other-test-{os.getpid()}.sqlite3")},
}

# Tests that exercise throttling set their own rates.
API_ANON_THROTTLE_RATE = "100000/minute"
API_TOKEN_THROTTLE_RATE = "100000/minute"
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
# Serve static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True


# Each test process counts throttles apart: its own folder, or its own prefix
# in Redis (CI's PostgreSQL pass runs with REDIS_URL).
CACHES = {alias: dict(config) for alias, config in CACHES.items()}  # noqa: F405
for _alias, _config in CACHES.items():
    if REDIS_URL:  # noqa: F405
        _config["KEY_PREFIX"] = f"commitments-test-{_alias}-{os.getpid()}"
    else:
        _config["LOCATION"] = _scratch_folder(f"commitments-cache-{_alias}-")

# Every anonymous read is stored in the response cache, not only the second
# miss of a key: one read before a write is enough for a test to check that
# the write is never answered from the cache. test_api_caching.py checks the
# production setting apart.
API_RESPONSE_CACHE_STORE_ON_SECOND_MISS = False

# Tasks run at once, in the test's own process: deterministic, no worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = Path(_scratch_folder("commitments-media-"))
# The link checker's tests do not wait between requests to their one host.
EVIDENCE_CHECK_HOST_DELAY = 0
