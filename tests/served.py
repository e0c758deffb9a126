"""The app served as production serves it, for tests that need real worker processes."""

import contextlib
import os
import secrets
import tempfile

from django.conf import settings

from commitments.local_server import start_gunicorn, stop, wait_until_serving
from commitments.management.commands.load_test import database_environment


@contextlib.contextmanager
def production_server(*, threads: int, **environment: str):
    """Serve the app on the test database under gunicorn, 2 workers; yield its base URL.

    Production settings, a cache folder of its own and a fresh key prefix
    (so that nothing an earlier run left in Redis counts), plus `environment`.
    """
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    with tempfile.TemporaryDirectory() as cache_dir:
        server, base = start_gunicorn(
            {
                **database_environment(),
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
                "LOG_LEVEL": "ERROR",
                "CACHE_DIR": cache_dir,
                "CACHE_KEY_PREFIX": f"test-{secrets.token_hex(4)}",
                **environment,
            },
            workers=2,
            threads=threads,
        )
        try:
            # The probe is an anonymous read: it may take one of a throttle's counts.
            wait_until_serving(f"{base}/api/", server)
            yield base
        finally:
            stop(server)
