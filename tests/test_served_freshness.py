"""Through gunicorn with two workers and the shared caches: a read after any write sees it.

The server runs as production does (config.settings.production, gthread
workers, the response cache on). Each write path changes one commitment; the
reads after it go to both workers (several requests on fresh connections)
and must all show the change, in the list, the filtered list, the detail and
the timeline, with and without If-None-Match.
"""

import datetime
import io
import json
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from commitments.choices import Status
from commitments.models import Commitment, StatusUpdate
from tests.served import production_server

pytestmark = pytest.mark.django_db(transaction=True)

VISA = "cn-kz-mutual-visa-exemption"
READS = 6


@pytest.fixture
def served(seed_data):
    with production_server(threads=2, API_ANON_THROTTLE_RATE="100000/minute") as base:
        yield base


def get(base, path, headers=None):
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("ETag"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("ETag"), error.read()


def send(base, method, path, body, headers):
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


PATHS = [
    "/api/commitments/?limit=500",
    "/api/commitments/?country=KZ&limit=500&ordering=-status_date",
    f"/api/commitments/{VISA}/",
    f"/api/commitments/{VISA}/status-updates/",
]


def views_of(base):
    """Read every path from both workers; return what each showed, and the ETags seen."""
    seen, etags = {}, {}
    for path in PATHS:
        bodies = set()
        for _ in range(READS):
            status, etag, body = get(base, path)
            assert status == 200, (path, status, body[:200])
            bodies.add(body)
            etags[path] = etag
        assert len(bodies) == 1, f"two workers disagree on {path}"
        seen[path] = bodies.pop()
    return seen, etags


def visa_title(seen) -> str:
    return json.loads(seen[f"/api/commitments/{VISA}/"])["title"]


def test_every_write_path_is_read_straight_after_through_two_workers(served, analyst):
    token = Token.objects.create(user=analyst).key
    auth = {"Authorization": f"Token {token}"}
    before, etags = views_of(served)

    def patch():
        etag = get(served, f"/api/commitments/{VISA}/")[1]
        assert send(served, "PATCH", f"/api/commitments/{VISA}/", {"title": "Via PATCH"},
                    {**auth, "If-Match": etag}) == 200  # fmt: skip
        return "Via PATCH"

    def status_update():
        body = {
            "status": Status.FORMALIZED,
            "effective_date": "2023-09-01",
            "evidence_url": "https://example.org/visa",
            "evidence_title": "Signed",
            "evidence_publisher": "Example",
            "evidence_excerpt": "signed",
        }
        assert send(served, "POST", f"/api/commitments/{VISA}/status-updates/", body, auth) == 201
        return None

    def queryset_update():
        Commitment.objects.filter(slug=VISA).update(title="Via update()")
        return "Via update()"

    def model_method():
        Commitment.objects.get(slug=VISA).record_status_update(
            status=Status.IN_PROGRESS,
            effective_date=datetime.date(2023, 10, 1),
            evidence_url="https://example.org/visa-2",
            evidence_title="Under way",
            evidence_publisher="Example",
            evidence_excerpt="under way",
        )
        return None

    def loaddata():
        call_command("loaddata", "commitments", verbosity=0)  # Back to the seed's own title.
        return Commitment.objects.get(slug=VISA).title

    for write in (patch, status_update, queryset_update, model_method, loaddata):
        timeline_length = StatusUpdate.objects.filter(commitment__slug=VISA).count()
        title = write()
        after, new_etags = views_of(served)
        assert after != before, write.__name__
        if title is not None:
            assert visa_title(after) == title, write.__name__
        timeline = json.loads(after[f"/api/commitments/{VISA}/status-updates/"])
        items = timeline["results"] if isinstance(timeline, dict) else timeline
        assert len(items) == StatusUpdate.objects.filter(commitment__slug=VISA).count()
        assert len(items) >= timeline_length
        # A tag from before the write is answered with the new body, never a
        # 304; except the detail's, which is the commitment's version, and a
        # bare QuerySet.update() moves no version (README, "Served speed").
        for path in PATHS:
            if write is queryset_update and path == f"/api/commitments/{VISA}/":
                continue
            status, _, body = get(served, path, {"If-None-Match": etags[path]})
            assert status == 200 and body == after[path], (write.__name__, path)
        before, etags = after, new_etags


def test_a_restore_is_read_straight_after_through_two_workers(served, tmp_path):
    backup = tmp_path / "backup.json"
    call_command("backup", "--output", str(backup), stdout=io.StringIO())
    before, _ = views_of(served)
    Commitment.objects.filter(slug=VISA).update(title="About to be restored away")
    assert visa_title(views_of(served)[0]) == "About to be restored away"
    call_command("flush", "--no-input", verbosity=0)
    call_command("restore", str(backup), stdout=io.StringIO(), stderr=io.StringIO())
    assert views_of(served)[0] == before
