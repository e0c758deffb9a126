"""A backup keeps the snapshots: their rows in the JSON, their files in a folder beside it."""

import hashlib
import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from commitments.choices import LinkHealth, Status
from commitments.evidence import services
from commitments.evidence.models import EvidenceCheck, EvidenceSnapshot
from commitments.evidence.warc import final_response_body
from tests.evidence.pages import EXCERPT
from tests.factories import CommitmentFactory, MentionFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def archived(transactional_db, roles, site):
    commitment = MentionFactory(commitment=CommitmentFactory()).commitment
    for path in ("/article", "/missing"):
        commitment.record_status_update(
            status=Status.COMPLETED,
            effective_date=commitment.made_on,
            evidence_url=site.url(path),
            evidence_excerpt=EXCERPT,
        )
    snapshot = EvidenceSnapshot.objects.get(state="archived")
    services.check_snapshot(snapshot)
    return snapshot


def test_the_round_trip_keeps_snapshots_their_checks_and_their_files(archived, tmp_path, settings):
    backup = tmp_path / "backup.json"
    out = io.StringIO()
    call_command("backup", output=backup, stdout=out)
    assert "Copied 2 archived evidence file(s)" in out.getvalue()
    assert (tmp_path / "backup.json.evidence" / archived.warc_file).is_file()

    # A new machine: an empty database and empty storage.
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "new-media"
    out = io.StringIO()
    call_command("restore", backup, stdout=out)
    assert "Restored 2 archived evidence file(s)" in out.getvalue()

    snapshot = EvidenceSnapshot.objects.get(state="archived")
    assert (snapshot.pk, snapshot.sha256, snapshot.excerpt_found) == (
        archived.pk,
        archived.sha256,
        True,
    )
    assert snapshot.link_health == LinkHealth.OK
    assert EvidenceCheck.objects.filter(snapshot=snapshot).count() == 1
    assert EvidenceSnapshot.objects.filter(state="failed").count() == 1
    with default_storage.open(snapshot.warc_file, "rb") as stream:
        _, body = final_response_body(stream)
    assert hashlib.sha256(body).hexdigest() == snapshot.sha256
    assert "entered into force today" in snapshot.read_text()


def test_a_restore_without_the_files_names_what_is_missing(archived, tmp_path, settings):
    backup = tmp_path / "backup.json"
    call_command("backup", output=backup, stdout=io.StringIO())
    for path in sorted((tmp_path / "backup.json.evidence").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    call_command("flush", interactive=False, verbosity=0)
    settings.MEDIA_ROOT = tmp_path / "new-media"
    err = io.StringIO()
    call_command("restore", backup, stdout=io.StringIO(), stderr=err)
    assert "2 archived evidence file(s) are neither in storage nor in" in err.getvalue()
    assert archived.warc_file in err.getvalue() or archived.text_file in err.getvalue()
