from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = "Commitments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import generation
        from .api import rendered

        post_migrate.connect(generation.install_after_migrate, sender=self)
        post_migrate.connect(rendered.install_after_migrate, sender=self)
