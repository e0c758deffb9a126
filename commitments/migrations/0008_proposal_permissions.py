"""Let Analysts run the proposer and review its proposals; let Viewers see them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ANALYST_CODENAMES = [
    "add_proposal",
    "change_proposal",
    "view_proposal",
    "add_proposedmeeting",
    "change_proposedmeeting",
    "view_proposedmeeting",
]
VIEWER_CODENAMES = ["view_proposal", "view_proposedmeeting"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in (("Analysts", ANALYST_CODENAMES), ("Viewers", VIEWER_CODENAMES)):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="commitments", codename__in=codenames
                )
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=["Analysts", "Viewers"]):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="commitments", codename__in=ANALYST_CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [("commitments", "0007_proposals")]

    operations = [migrations.RunPython(grant, revoke)]
