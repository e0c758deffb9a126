"""The dashboard page: where commitments stand, by status and by country."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from ..choices import PartyRole, Status
from ..evidence.admin import rotted_evidence
from ..models import Commitment, CommitmentParty, Country
from ..reports import scoring
from ..reports.services import ReportInputError, parse_day

# The overdue and stale lists show this many; a link opens the whole list.
LIST_LIMIT = 10


@dataclass
class Bar:
    label: str
    value: int
    width: float
    css_class: str = ""


@dataclass
class ComplianceRow:
    country: Country
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def score(self) -> float | None:
        """Return the mean score of the assessed commitments (see reports.scoring)."""
        return scoring.mean_score(self.counts)

    @property
    def assessed(self) -> int:
        """Return how many have a status beyond "announced": only those say anything."""
        return scoring.assessed(self.counts)

    @property
    def not_assessed(self) -> int:
        return scoring.not_assessed(self.counts)

    @property
    def percentage(self) -> float | None:
        """Return the score on the G7 Research Group's 0-100 % scale."""
        return scoring.as_percentage(self.score)

    @property
    def cells(self) -> list[int]:
        return [self.counts.get(status, 0) for status in Status.values]


def bars(pairs: list[tuple[str, int, str]]) -> list[Bar]:
    top = max((value for _, value, _ in pairs), default=0) or 1
    return [Bar(label, value, 100 * value / top, css) for label, value, css in pairs]


def stale_days(request) -> tuple[int, str | None]:
    """Return N for the stale list from ?days=, or the default with a message."""
    default = settings.COMMITMENTS_STALE_AFTER_DAYS
    raw = request.GET.get("days")
    if raw is None or raw == "":
        return default, None
    if raw.isdigit() and 0 < int(raw) <= 36500:
        return int(raw), None
    return default, f"“days” must be a whole number from 1 to 36500; showing {default}."


def dashboard_view(request, site_context: dict):
    """Render the dashboard; the admin site has already checked the login."""
    if not request.user.has_perm("commitments.view_commitment"):
        raise PermissionDenied
    today = timezone.localdate()
    days, days_error = stale_days(request)
    cutoff = timezone.now() - datetime.timedelta(days=days)
    try:
        as_of = parse_day(request.GET.get("as_of"), "as_of", today=today)
        as_of_error = None
    except ReportInputError as error:
        as_of, as_of_error = None, str(error)

    by_status = dict(Commitment.objects.order_by().values_list("status").annotate(n=Count("id")))
    countries = Country.objects.in_bulk()
    by_country = (
        CommitmentParty.objects.order_by()
        .values_list("country_id")
        .annotate(n=Count("commitment_id", distinct=True))
    )
    # The compliance table reads the timeline as of a day when asked (the
    # compliance report's scores for the same day are these).
    by_lead = (
        Commitment.objects.with_status(as_of)
        .filter(parties__role=PartyRole.LEAD)
        .order_by()
        .values_list("parties__country_id", "effective_status")
        .annotate(n=Count("id"))
    )
    compliance: dict[str, ComplianceRow] = {}
    for code, status, n in by_lead:
        row = compliance.setdefault(code, ComplianceRow(countries[code]))
        row.counts[status] = n

    overdue = Commitment.objects.overdue(today).select_related("meeting").order_by("due_date")
    stale = (
        Commitment.objects.not_assessed_since(cutoff)
        .select_related("meeting")
        .order_by("last_assessed_at", "created_at", "slug")
    )
    rotted, rotted_count = rotted_evidence(LIST_LIMIT)
    changelist = reverse("admin:commitments_commitment_changelist")
    context = {
        **site_context,
        "title": "Dashboard",
        "total": sum(by_status.values()),
        "status_bars": bars(
            [(label, by_status.get(value, 0), f"status-{value}") for value, label in Status.choices]
        ),
        "country_bars": bars(
            sorted(
                ((countries[code].name, n, "") for code, n in by_country),
                key=lambda bar: (-bar[1], bar[0]),
            )
        ),
        "statuses": Status.choices,
        "compliance": sorted(
            compliance.values(),
            key=lambda row: (row.score is None, -(row.score or 0), row.country.name),
        ),
        "as_of": as_of,
        "as_of_error": as_of_error,
        "overdue": overdue[:LIST_LIMIT],
        "overdue_count": overdue.count(),
        "stale": stale[:LIST_LIMIT],
        "stale_count": stale.count(),
        "rotted": rotted,
        "rotted_count": rotted_count,
        "rotted_url": reverse("admin:commitments_evidencesnapshot_changelist")
        + "?link_health__in=redirected,gone,failing,changed",
        "days": days,
        "days_error": days_error,
        "list_limit": LIST_LIMIT,
        "overdue_url": f"{changelist}?overdue=yes",
        "stale_url": f"{changelist}?not_assessed_days={days}",
    }
    return render(request, "admin/commitments/dashboard.html", context)
