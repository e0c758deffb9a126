"""Load the seed fixtures and the demo timeline into an empty database; create the demo users."""

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from commitments.demo_timeline import DEMO_FIXTURE, record_demo_timeline
from commitments.ingest.services import add_source, run_proposer
from commitments.models import Commitment

FIXTURES = ["countries", "officials", "sources", "meetings", "commitments"]
# A second account of the seed's talks, from the extraction evaluation set: the
# demo's review queue opens with its proposals, most of them restatements.
DEMO_READOUT = "xinhua-2023-04-26-qin-gang-talks-central-asian-diplomats"

# Demo credentials only: the command refuses to run unless DEBUG is on.
DEMO_USERS = [
    ("admin", "demo-admin-pass", None, True),
    ("analyst", "demo-analyst-pass", "Analysts", False),
    ("viewer", "demo-viewer-pass", "Viewers", False),
]


class Command(BaseCommand):
    help = (
        "Load the seed fixtures and the demo status timeline (into an empty database only) "
        "and create the demo users."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="The host:port the demo server listens on, for the address printed at the end.",
        )

    def handle(self, *args, address: str, **options):
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
            # Together, so that a failure leaves the database empty and the
            # command can simply be run again.
            with transaction.atomic():
                call_command("loaddata", *FIXTURES, verbosity=1, stdout=self.stdout)
                recorded = record_demo_timeline(settings.BASE_DIR / "fixtures" / DEMO_FIXTURE)
                readout = add_demo_readout()
            self.stdout.write(f"Recorded {recorded} status updates from fixtures/{DEMO_FIXTURE}.")
            self.stdout.write(
                f"A new readout waits for review: {readout.title} "
                f"(/admin/commitments/proposal/source/{readout.pk}/review/)."
            )
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
        # runserver also accepts a bare port.
        if address.isdigit():
            address = f"127.0.0.1:{address}"
        self.stdout.write(f"Open http://{address}/admin/ and log in with one of them.")


def add_demo_readout():
    """Add the demo's readout and propose its meetings and commitments."""
    folder = settings.BASE_DIR / "bench" / "extraction"
    entry = next(
        item
        for item in yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
        if item["slug"] == DEMO_READOUT
    )
    source = add_source(
        text=(folder / entry["file"]).read_text(encoding="utf-8"),
        title=entry["title"],
        publisher=entry["publisher"],
        url=entry["url"],
        published_on=entry["published_on"],
    )
    run_proposer(source)
    return source
