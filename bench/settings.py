"""Settings for the benchmarks: production-like (DEBUG off), with the baseline endpoints."""

from config.settings.base import *  # noqa: F403

SECRET_KEY = "bench-only-secret-key-not-for-production-use-0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
API_ANON_THROTTLE_RATE = "100000000/minute"
AXES_ENABLED = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
