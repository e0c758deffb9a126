"""Settings for the test suite: fast password hashing, no throttling surprises."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests that exercise throttling set their own rates.
API_ANON_THROTTLE_RATE = "100000/minute"
API_TOKEN_THROTTLE_RATE = "100000/minute"
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
# Serve static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
