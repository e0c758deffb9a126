"""WSGI entry point; gunicorn serves `config.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

django_application = get_wsgi_application()

from commitments.api.caching import RevalidationFront  # noqa: E402 (needs Django set up)

# Anonymous revalidations that still hold are answered before Django's handler.
application = RevalidationFront(django_application)
