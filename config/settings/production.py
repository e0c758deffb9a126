"""Settings for a shared deployment behind gunicorn; secrets come from the environment."""

import os
import sys

from .base import *  # noqa: F403
from .base import SECRET_KEY, env_bool, env_list

DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


def refuse_unsafe_configuration() -> None:
    """Exit with one line naming every setting that makes a deployment unsafe.

    A one-line reason on stderr and a non-zero exit, rather than an exception:
    whoever starts the server (manage.py, gunicorn, systemd) shows the reason
    as it is, not at the end of a fifty-line traceback.
    """
    problems = []
    if DEBUG:
        problems.append("DEBUG is on; unset DEBUG or set it to 0")
    if not SECRET_KEY:
        problems.append("SECRET_KEY is not set")
    elif (
        SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5 or len(SECRET_KEY) < 50
    ):
        problems.append("SECRET_KEY is a default or weak value; use at least 50 random characters")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS is empty; list the host names this server answers to")
    if problems:
        print(
            "config.settings.production refuses to start: " + "; ".join(problems) + ".",
            file=sys.stderr,
        )
        raise SystemExit(2)


refuse_unsafe_configuration()

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
# The admin reads the CSRF token from the form, never from the cookie, so the
# cookie can be hidden from scripts.
CSRF_COOKIE_HTTPONLY = True
