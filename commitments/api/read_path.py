"""The commitment list's read path: a few flat queries, no model instances.

The DRF serializers describe the output (for the schema, the detail view and
writes); this module produces the same JSON for a page of commitments at a
fraction of the cost. tests/test_api_read_path.py keeps the two identical.
"""

import datetime

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from commitments.choices import Status
from commitments.models import CommitmentParty, Mention

COMMITMENT_COLUMNS = (
    "id",
    "slug",
    "title",
    "description",
    "category",
    "effective_status",
    "effective_status_date",
    "due_date",
    "meeting_id",
    "meeting__slug",
    "meeting__title",
    "meeting__date",
    "meeting__city",
    "mentions_count",
    "created_at",
    "updated_at",
    "version",
)
CLOSED = frozenset(Status.closed())


def commitment_rows(page: QuerySet, *, request, as_of: datetime.date | None) -> list[dict]:
    """Return the API representation of every commitment in an already sliced queryset."""
    rows = list(page.values_list(*COMMITMENT_COLUMNS))
    if not rows:
        return []
    ids = [row[0] for row in rows]
    parties: dict[int, list[dict]] = {pk: [] for pk in ids}
    for commitment_id, country, role in (
        CommitmentParty.objects.filter(commitment_id__in=ids)
        .order_by("commitment_id", "id")
        .values_list("commitment_id", "country_id", "role")
    ):
        parties[commitment_id].append({"country": country, "role": role})
    origins = {
        commitment_id: {"document": document, "quote": quote, "start": start, "end": end}
        for commitment_id, document, quote, start, end in Mention.objects.filter(
            commitment_id__in=ids, is_origin=True
        ).values_list("commitment_id", "document_id", "quote", "start", "end")
    }
    day = as_of or timezone.localdate()
    url = request.build_absolute_uri(reverse("commitment-detail", kwargs={"slug": "-"}))
    url_prefix, url_suffix = url[: url.rindex("-")], url[url.rindex("-") + 1 :]
    return [
        {
            "slug": slug,
            "title": title,
            "description": description,
            "category": category,
            "status": status,
            "status_date": status_date,
            "due_date": due_date,
            "overdue": bool(due_date and due_date < day and status not in CLOSED),
            "parties": parties[pk],
            "meeting": {
                "id": meeting_id,
                "slug": meeting_slug,
                "title": meeting_title,
                "date": meeting_date,
                "city": meeting_city,
            },
            "origin": origins.get(pk),
            "mentions_count": mentions_count,
            "created_at": created_at,
            "updated_at": updated_at,
            "version": version,
            "url": f"{url_prefix}{slug}{url_suffix}",
        }
        for (
            pk,
            slug,
            title,
            description,
            category,
            status,
            status_date,
            due_date,
            meeting_id,
            meeting_slug,
            meeting_title,
            meeting_date,
            meeting_city,
            mentions_count,
            created_at,
            updated_at,
            version,
        ) in rows
    ]
