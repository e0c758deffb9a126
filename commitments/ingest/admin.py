"""The review queue in the admin: add a readout, resolve its meetings, review its proposals."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from ..admin.base import iso_date, user_name
from ..choices import ReviewState
from ..models import Meeting, SourceDocument
from .forms import AcceptForm, MentionForm, PartyFormSet, SourceForm
from .models import Proposal, ProposedMeeting, merge_proposals
from .services import DuplicateSource, add_source, run_proposer


def is_key(value: str) -> bool:
    """Tell whether a posted value can be a primary key (up to 18 ASCII digits, as in the API)."""
    return value.isascii() and value.isdigit() and len(value) <= 18


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def review_url(source) -> str:
    return reverse("admin:commitments_review_source", args=[source.pk])


def quote_in_paragraph(proposal: Proposal) -> str:
    before, quote, after = proposal.source.paragraph_around(proposal.start, proposal.end)
    return format_html("{}<mark>{}</mark>{}", before, quote, after)


def queue_progress(source: SourceDocument) -> dict:
    """Return the counts by review state, and how many were accepted as proposed."""
    counts = source.proposals.aggregate(
        total=Count("pk"),
        **{state: Count("pk", filter=Q(state=state)) for state in ReviewState.values},
        as_proposed=Count("pk", filter=Q(accepted_as_proposed=True)),
    )
    reviewed = counts["total"] - counts[ReviewState.PENDING]
    counts["reviewed"] = reviewed
    counts["precision"] = round(100 * counts["as_proposed"] / reviewed) if reviewed else None
    return counts


def add_readout_view(request, site_context: dict):
    """Add a source from pasted text or an uploaded file, propose, and open its queue."""
    if not request.user.has_perms(["commitments.add_sourcedocument", "commitments.add_proposal"]):
        raise PermissionDenied
    duplicate = None
    form = SourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                source = add_source(
                    text=data["source_text"],
                    title=data["title"],
                    publisher=data["publisher"],
                    url=data["url"],
                    published_on=data["published_on"],
                    language=data["language"],
                    by=request.user,
                )
                run = run_proposer(source)
        except DuplicateSource as error:
            duplicate = error.existing
            form.add_error(None, error_text(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Added “{source.title}”: {counted(run.meetings, 'meeting')} and "
                f"{counted(run.created, 'proposal')} to review.",
            )
            return HttpResponseRedirect(review_url(source))
    duplicate = duplicate or form.duplicate
    context = {
        **site_context,
        "title": "Add a readout",
        "form": form,
        "duplicate": duplicate,
        "duplicate_url": review_url(duplicate) if duplicate else None,
    }
    return render(request, "admin/commitments/ingest/add_source.html", context)


class ReviewQueue:
    """The per-source queue: one page, one form, each button naming its operation."""

    def __init__(self, request, source: SourceDocument, site_context: dict):
        self.request = request
        self.source = source
        self.site_context = site_context

    def can_review(self) -> bool:
        return self.request.user.has_perm("commitments.change_proposal")

    def response(self):
        if self.request.method == "POST":
            if not self.can_review():
                raise PermissionDenied
            op = self.request.POST.get("op", "")
            if op == "merge":
                return self.merge()
            self.handle(op)
            return HttpResponseRedirect(self.request.get_full_path())
        return self.render()

    def merge(self):
        """Open the accept page of the first selected proposal, the others merged into it."""
        chosen = [p for p in self.selected() if p.state == ReviewState.PENDING]
        if len(chosen) < 2:
            messages.warning(self.request, "Select at least two pending proposals to merge.")
            return HttpResponseRedirect(self.request.get_full_path())
        first, *others = chosen
        url = reverse("admin:commitments_accept_proposal", args=[first.pk])
        return HttpResponseRedirect(f"{url}?merge={','.join(str(p.pk) for p in others)}")

    def selected(self) -> list[Proposal]:
        ids = [value for value in self.request.POST.getlist("selected") if is_key(value)]
        return list(self.source.proposals.filter(pk__in=ids).order_by("start", "pk"))

    def proposal(self, pk: str) -> Proposal:
        if not is_key(pk):
            raise ValidationError("Unknown proposal.")
        return get_object_or_404(self.source.proposals, pk=pk)

    def handle(self, op: str) -> None:
        name, _, argument = op.partition(":")
        request, user = self.request, self.request.user
        try:
            if name == "rerun":
                run = run_proposer(self.source)
                messages.success(
                    request,
                    f"Proposer run again: {run.created} new, {run.refreshed} refreshed, "
                    f"{run.dropped} dropped; {run.reviewed} reviewed left as they were.",
                )
            elif name == "use-meeting":
                pk, _, slug = argument.partition(":")
                if not is_key(pk):
                    raise ValueError(pk)
                proposed = get_object_or_404(self.source.proposed_meetings, pk=pk)
                meeting = get_object_or_404(Meeting, slug=slug)
                proposed.resolve(by=user, meeting=meeting)
                messages.success(request, f"Proposals of this meeting now refer to {meeting}.")
            elif name == "create-meeting":
                if not is_key(argument):
                    raise ValueError(argument)
                proposed = get_object_or_404(self.source.proposed_meetings, pk=argument)
                meeting = proposed.resolve(by=user)
                messages.success(request, f"Recorded the meeting {meeting}.")
            elif name == "mention":
                pk, _, slug = argument.partition(":")
                proposal = self.proposal(pk)
                form = MentionForm({"commitment": slug or request.POST.get(f"commitment-{pk}")})
                if not form.is_valid():
                    raise ValidationError(form.errors["commitment"])
                commitment = proposal.accept(by=user, commitment=form.cleaned_data["commitment"])
                messages.success(request, f"Added the quote as a mention of “{commitment.title}”.")
            elif name == "accept":
                proposal = self.proposal(argument)
                commitment = proposal.accept(by=user)
                messages.success(request, f"Recorded the commitment “{commitment.title}”.")
            elif name == "reject":
                proposal = self.proposal(argument)
                proposal.reject(by=user, reason=request.POST.get(f"reason-{argument}", ""))
                messages.success(request, "Rejected the proposal.")
            elif name in ("bulk-accept", "bulk-reject"):
                self.bulk(name)
            else:
                messages.error(request, "Unknown operation: nothing was changed.")
        except ValidationError as error:
            messages.error(request, f"Nothing was changed: {error_text(error)}")
        except ValueError:
            messages.error(request, "Unknown operation: nothing was changed.")

    def bulk(self, name: str) -> None:
        chosen = self.selected()
        request, user = self.request, self.request.user
        if not chosen:
            messages.warning(request, "Select the proposals first: nothing was changed.")
            return
        reason = request.POST.get("bulk_reason", "")
        # All or nothing: one refused proposal leaves the others as they were.
        with transaction.atomic():
            for proposal in chosen:
                if name == "bulk-accept":
                    proposal.accept(by=user)
                else:
                    proposal.reject(by=user, reason=reason)
        verb = "Accepted" if name == "bulk-accept" else "Rejected"
        messages.success(request, f"{verb} {counted(len(chosen), 'proposal')}.")

    def render(self):
        # The source (and its text) is read once, not joined into every row.
        proposals = list(
            self.source.proposals.select_related(
                "proposed_meeting__meeting", "commitment", "reviewed_by"
            ).order_by("start", "pk")
        )
        for proposal in proposals:
            proposal.source = self.source
            proposal.in_context = quote_in_paragraph(proposal)
            proposal.reviewer = user_name(proposal.reviewed_by)
            proposal.reviewed_on = iso_date(proposal.reviewed_at)
        meetings = list(
            self.source.proposed_meetings.select_related("existing", "meeting").order_by("position")
        )
        context = {
            **self.site_context,
            "title": f"Review: {self.source.title}",
            "source": self.source,
            "meetings": meetings,
            "proposals": proposals,
            "progress": queue_progress(self.source),
            "can_review": self.can_review(),
            "source_url": reverse("admin:commitments_sourcedocument_change", args=[self.source.pk]),
        }
        return render(self.request, "admin/commitments/ingest/review.html", context)


def review_view(request, source_id: int, site_context: dict):
    if not request.user.has_perm("commitments.view_proposal"):
        raise PermissionDenied
    source = get_object_or_404(SourceDocument, pk=source_id)
    return ReviewQueue(request, source, site_context).response()


def accept_view(request, proposal_id: int, site_context: dict):
    """Accept one proposal (or merge several) as a new commitment, edited first."""
    if not request.user.has_perm("commitments.change_proposal"):
        raise PermissionDenied
    proposal = get_object_or_404(
        Proposal.objects.select_related("source", "proposed_meeting"), pk=proposal_id
    )
    merged_ids = [v for v in request.GET.get("merge", "").split(",") if is_key(v)]
    merged = list(
        Proposal.objects.filter(source=proposal.source, pk__in=merged_ids)
        .exclude(pk=proposal.pk)
        .order_by("start")
    )
    initial = {"title": proposal.title, "category": proposal.category}
    initial_parties = [{"country": p["country"], "role": p["role"]} for p in proposal.parties]
    form = AcceptForm(request.POST or None, initial=initial)
    parties = PartyFormSet(request.POST or None, initial=initial_parties, prefix="parties")
    if request.method == "POST" and form.is_valid() and parties.is_valid():
        chosen = [
            {"country": row["country"].pk, "role": row["role"]}
            for row in parties.cleaned_data
            if row.get("country")
        ]
        changes = {**form.cleaned_data, "parties": chosen}
        try:
            if merged:
                commitment = merge_proposals([proposal, *merged], by=request.user, **changes)
            else:
                commitment = proposal.accept(by=request.user, **changes)
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, f"Recorded the commitment “{commitment.title}”.")
            return HttpResponseRedirect(review_url(proposal.source))
    context = {
        **site_context,
        "title": "Accept as a new commitment",
        "proposal": proposal,
        "merged": merged,
        "in_context": quote_in_paragraph(proposal),
        "form": form,
        "parties": parties,
        "review_url": review_url(proposal.source),
    }
    return render(request, "admin/commitments/ingest/accept.html", context)


@admin.register(ProposedMeeting)
class ProposedMeetingAdmin(admin.ModelAdmin):
    """Edit a proposed meeting (date, place, participants) before recording it."""

    list_display = ["title", "date", "city", "source", "existing", "meeting"]

    def get_queryset(self, request):
        # A source's text may be half a million characters: never joined into a list.
        queryset = super().get_queryset(request).select_related("source", "existing", "meeting")
        return queryset.defer("source__text")

    list_filter = ["kind"]
    search_fields = ["title", "city", "source__title"]
    fields = ["source", "position", "title", "kind", "date", "city", "country", "participants"]
    readonly_fields = ["source", "position"]
    fieldsets = None

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.meeting_id is not None:
            return self.fields
        return self.readonly_fields

    def response_change(self, request, obj):
        return HttpResponseRedirect(review_url(obj.source))


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Every proposal across sources; reviewing happens in each source's queue."""

    list_display = ["__str__", "source", "category", "party_list", "confidence", "state"]
    list_filter = ["state", "category", "rule", "backend"]

    def get_queryset(self, request):
        # A source's text may be half a million characters: never joined into a list.
        return super().get_queryset(request).select_related("source").defer("source__text")

    search_fields = ["quote", "title", "source__title"]
    readonly_fields = [
        "source", "proposed_meeting", "quote", "start", "end", "parties", "category", "title",
        "rule", "backend", "confidence", "matches", "state", "commitment", "reject_reason",
        "reviewed_by", "reviewed_at", "accepted_as_proposed", "queue_link",
    ]  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="parties")
    def party_list(self, proposal):
        return ", ".join(f"{p['country']} ({p['role']})" for p in proposal.parties)

    @admin.display(description="review queue")
    def queue_link(self, proposal):
        url = review_url(proposal.source)
        return format_html('<a href="{}">Open the queue of this source</a>', url)

    def get_urls(self):
        site = self.admin_site

        def wrap(view):
            def wrapped(request, *args, **kwargs):
                return view(request, *args, site_context=site.each_context(request), **kwargs)

            return site.admin_view(wrapped)

        return [
            path("add-readout/", wrap(add_readout_view), name="commitments_add_readout"),
            path(
                "source/<int:source_id>/review/",
                wrap(review_view),
                name="commitments_review_source",
            ),
            path(
                "<int:proposal_id>/accept/",
                wrap(accept_view),
                name="commitments_accept_proposal",
            ),
            *super().get_urls(),
        ]
