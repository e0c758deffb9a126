"""WSGI entry point; gunicorn serves `config.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

django_application = get_wsgi_application()

from commitments.api.caching import AnonymousReadFront  # noqa: E402 (needs Django set up)

# Anonymous API reads that the response cache or the direct path answer are
# answered before Django's handler.
application = AnonymousReadFront(django_application)
