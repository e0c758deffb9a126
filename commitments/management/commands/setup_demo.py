"""Load the seed fixtures into an empty database and create the demo users."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from commitments.models import Commitment

FIXTURES = ["countries", "officials", "sources", "meetings", "commitments"]

# Demo credentials only: the command refuses to run unless DEBUG is on.
DEMO_USERS = [
    ("admin", "demo-admin-pass", None, True),
    ("analyst", "demo-analyst-pass", "Analysts", False),
    ("viewer", "demo-viewer-pass", "Viewers", False),
]


class Command(BaseCommand):
    help = "Load the seed fixtures (into an empty database only) and create the demo users."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "setup_demo creates users with published passwords; it runs only with DEBUG on."
            )
        if Commitment.objects.exists():
            self.stdout.write(
                "Commitments are already loaded; leaving them as they are so that no recorded "
                "status update or edit is lost."
            )
        else:
            call_command("loaddata", *FIXTURES, verbosity=1, stdout=self.stdout)
        User = get_user_model()
        for username, password, group_name, is_superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = is_superuser
            user.set_password(password)
            user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))
        self.stdout.write(self.style.SUCCESS("Demo users (for this demo only, never elsewhere):"))
        for username, password, group_name, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<8} {password:<20} {group_name or 'superuser'}")
        self.stdout.write("Open http://127.0.0.1:8000/admin/ and log in with one of them.")
