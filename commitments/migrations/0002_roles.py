"""Create the Analysts and Viewers groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ANALYST_PERMISSIONS = {
    "commitment": ["add", "change"],
    "commitmentparty": ["add", "change", "delete"],
    "mention": ["add", "change"],
    "statusupdate": ["add"],
    "official": ["add"],
    "position": ["add"],
    "meeting": ["add"],
    "meetingparticipant": ["add"],
    "sourcedocument": ["add"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create
    # them now so that the groups can refer to them on a fresh database.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view_all = Permission.objects.filter(content_type__app_label="commitments", codename__startswith="view_")

    viewers, _ = Group.objects.get_or_create(name="Viewers")
    viewers.permissions.set(view_all)

    analysts, _ = Group.objects.get_or_create(name="Analysts")
    codenames = [f"{action}_{model}" for model, actions in ANALYST_PERMISSIONS.items() for action in actions]
    analysts.permissions.set(
        list(view_all)
        + list(Permission.objects.filter(content_type__app_label="commitments", codename__in=codenames))
    )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Analysts", "Viewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
