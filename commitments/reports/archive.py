"""The archived copy of a status update's evidence, where the evidence archive holds one.

The trail reads the snapshot's columns through the status update's own query
(a LEFT JOIN on the one-to-one relation), so the report's query count does
not grow. The link is the API's address of the archived text; reports built
outside a request (the command) give it relative to the site unless told the
site's address.
"""

import datetime

from django.db.models import Case, Q, When
from django.urls import reverse

from ..choices import ArchiveState


def snapshot_fields() -> dict:
    """Return the expressions a status update's values() names for `archived_copy()`.

    Each is NULL unless the update's evidence has an archived text, so a trail
    of updates without one converts no UUID and no timestamp.
    """
    archived = Q(evidence_snapshot__state=ArchiveState.ARCHIVED) & ~Q(
        evidence_snapshot__text_file=""
    )
    return {
        "archived_uuid": Case(When(archived, then="uuid")),
        "archived_at": Case(When(archived, then="evidence_snapshot__retrieved_at")),
    }


def archived_copy(values: dict, site_url: str = "") -> tuple[str, datetime.datetime | None]:
    """Return (the archived text's URL, when it was retrieved), or ("", None) without a copy."""
    if values["archived_uuid"] is None:
        return "", None
    path = reverse("status-update-evidence-text", kwargs={"uuid": values["archived_uuid"]})
    return f"{site_url.rstrip('/')}{path}", values["archived_at"]
