"""The archived copy of a status update's evidence, where the evidence archive holds one.

The trail reads the snapshot's columns through the status update's own query
(a LEFT JOIN on the one-to-one relation), so the report's query count does
not grow. The link is the API's address of the archived text; reports built
outside a request (the command) give it relative to the site unless told the
site's address.
"""

import datetime

from django.urls import reverse

from ..choices import ArchiveState

SNAPSHOT_FIELDS = (
    "uuid",
    "evidence_snapshot__state",
    "evidence_snapshot__text_file",
    "evidence_snapshot__retrieved_at",
)


def archived_copy(values: dict, site_url: str = "") -> tuple[str, datetime.datetime | None]:
    """Return (the archived text's URL, when it was retrieved), or ("", None) without a copy."""
    if values["evidence_snapshot__state"] != ArchiveState.ARCHIVED:
        return "", None
    if not values["evidence_snapshot__text_file"]:
        return "", None
    path = reverse("status-update-evidence-text", kwargs={"uuid": values["uuid"]})
    return f"{site_url.rstrip('/')}{path}", values["evidence_snapshot__retrieved_at"]
