"""What the commitment list is measured against.

- The floor: one hand-written SQL query per relation and orjson, producing the
  same JSON as /api/commitments/ (same page, default order, no filter).
- The idiomatic DRF way: a ModelSerializer with select_related and
  prefetch_related, DRF's own pagination and JSON renderer.
"""

import orjson
from django.db import connection
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework import generics
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.urls import remove_query_param, replace_query_param

from commitments.api.serializers import CommitmentSerializer
from commitments.choices import Status
from commitments.models import (
    Commitment,
    CommitmentParty,
    Meeting,
    Mention,
)

CLOSED = frozenset(Status.closed())


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def floor_page(request, limit: int = 100, offset: int = 0) -> bytes:
    """Return the JSON of a page of commitments from raw SQL, as the endpoint gives it."""
    commitment, meeting = _table(Commitment), _table(Meeting)
    party, mention = _table(CommitmentParty), _table(Mention)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {commitment}")
        count = cursor.fetchone()[0]
        cursor.execute(
            f"""SELECT c.id, c.slug, c.title, c.description, c.category, c.status,
                       c.status_date, c.due_date, m.id, m.slug, m.title, m.date, m.city,
                       (SELECT COUNT(*) FROM {mention} x WHERE x.commitment_id = c.id),
                       c.created_at, c.updated_at, c.version
                FROM {commitment} c JOIN {meeting} m ON m.id = c.meeting_id
                ORDER BY c.slug LIMIT %s OFFSET %s""",
            [limit, offset],
        )
        rows = cursor.fetchall()
        ids = [row[0] for row in rows]
        marks = ", ".join(["%s"] * len(ids)) or "NULL"
        cursor.execute(
            f"SELECT commitment_id, country_id, role FROM {party} "
            f"WHERE commitment_id IN ({marks}) ORDER BY commitment_id, id",
            ids,
        )
        parties = {pk: [] for pk in ids}
        for commitment_id, country, role in cursor.fetchall():
            parties[commitment_id].append({"country": country, "role": role})
        cursor.execute(
            f'SELECT commitment_id, document_id, quote, start, "end" FROM {mention} '
            f"WHERE is_origin AND commitment_id IN ({marks})",
            ids,
        )
        origins = {
            row[0]: {"document": row[1], "quote": row[2], "start": row[3], "end": row[4]}
            for row in cursor.fetchall()
        }
    today_text = timezone.localdate().isoformat()
    url = request.build_absolute_uri(reverse("commitment-detail", kwargs={"slug": "-"}))
    prefix, suffix = url[: url.rindex("-")], url[url.rindex("-") + 1 :]
    results = []
    for (
        pk, slug, title, description, category, status, status_date, due_date, meeting_id,
        meeting_slug, meeting_title, meeting_date, city, mentions_count, created, updated,
        version,
    ) in rows:  # fmt: skip
        overdue = False
        if due_date is not None and status not in CLOSED:
            due_text = due_date if isinstance(due_date, str) else due_date.isoformat()
            overdue = due_text < today_text
        results.append(
            {
                "slug": slug,
                "title": title,
                "description": description,
                "category": category,
                "status": status,
                "status_date": status_date,
                "due_date": due_date,
                "overdue": overdue,
                "parties": parties[pk],
                "meeting": {
                    "id": meeting_id,
                    "slug": meeting_slug,
                    "title": meeting_title,
                    "date": meeting_date,
                    "city": city,
                },
                "origin": origins.get(pk),
                "mentions_count": mentions_count,
                "created_at": created,
                "updated_at": updated,
                "version": version,
                "url": f"{prefix}{slug}{suffix}",
            }
        )
    page_url = request.build_absolute_uri()
    page_url = replace_query_param(page_url, "limit", limit)
    next_link = (
        replace_query_param(page_url, "offset", offset + limit) if offset + limit < count else None
    )
    previous_link = None
    if offset > 0:
        previous_link = (
            remove_query_param(page_url, "offset")
            if offset - limit <= 0
            else replace_query_param(page_url, "offset", offset - limit)
        )
    return orjson.dumps(
        {"count": count, "next": next_link, "previous": previous_link, "results": results},
        option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC,
    )


def floor_view(request):
    limit = int(request.GET.get("limit", 100))
    offset = int(request.GET.get("offset", 0))
    return HttpResponse(floor_page(request, limit, offset), content_type="application/json")


class IdiomaticCommitmentList(generics.ListAPIView):
    """The commitment list written the way DRF's documentation teaches."""

    serializer_class = CommitmentSerializer
    pagination_class = LimitOffsetPagination
    renderer_classes = [JSONRenderer]
    permission_classes = [AllowAny]
    filter_backends = []

    def get_queryset(self):
        return (
            Commitment.objects.with_status().with_mentions_count().with_relations().order_by("slug")
        )
