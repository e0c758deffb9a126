"""The WARC the archiver writes is read back by warcio's own reader, byte for byte."""

import hashlib
import io

import pytest
from warcio.archiveiterator import ArchiveIterator

from commitments.choices import Status
from commitments.evidence.fetch import fetch
from commitments.evidence.models import EvidenceSnapshot
from commitments.evidence.warc import final_response_body, write_warc
from tests.evidence.pages import ARTICLE


def test_warcio_reads_back_every_hop_with_the_same_body_and_digest(site):
    result = fetch(site.url("/hop/2"))
    records = []
    for record in ArchiveIterator(io.BytesIO(write_warc(result))):
        body = record.content_stream().read()
        records.append(
            (record.rec_type, record.rec_headers.get_header("WARC-Target-URI"), record, body)
        )
    assert [kind for kind, *_ in records] == [
        "warcinfo",
        *["response", "request"] * 3,
    ]
    _, uri, last, body = records[-2]
    assert uri == site.url("/article")
    assert last.http_headers.get_statuscode() == "200"
    assert last.http_headers.get_header("ETag") == '"v1"'
    assert body == ARTICLE
    assert hashlib.sha256(body).hexdigest() == hashlib.sha256(result.body).hexdigest()
    assert [r[3] for r in records if r[0] == "response"][:2] == [b"", b""]
    request = records[-1][2]
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.get_header("User-Agent").startswith("commitment-tracker")


@pytest.mark.django_db
def test_a_stored_snapshot_s_warc_matches_its_sha256(
    commitment, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update = commitment.record_status_update(
            status=Status.COMPLETED,
            effective_date=commitment.made_on,
            evidence_url=site.url("/article"),
        )
    snapshot = EvidenceSnapshot.objects.get(status_update=update)
    with snapshot.open_warc() as stream:
        url, body = final_response_body(stream)
    assert url == site.url("/article")
    assert hashlib.sha256(body).hexdigest() == snapshot.sha256
    assert len(body) == snapshot.size
