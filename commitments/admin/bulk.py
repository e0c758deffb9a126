"""The action that records one status update on many commitments, all or none."""

from collections import defaultdict

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render

from ..choices import Status
from .forms import BulkStatusUpdateForm

# The confirmation page names this many of the chosen commitments, then counts the rest.
LISTED = 50
# A refusal names this many of the commitments it stopped, then counts the rest.
NAMED = 10


@admin.action(description="Record a status update on the selected commitments")
def record_bulk_status_update(model_admin, request, queryset):
    """Ask for the update, then add it to every chosen commitment in one transaction."""
    if not model_admin.has_add_status_update_permission(request):
        model_admin.message_user(request, "You may not record status updates.", messages.ERROR)
        return None
    form = BulkStatusUpdateForm(
        request.POST if "apply" in request.POST else None, admin_site=model_admin.admin_site
    )
    # Read once, before the change: a filtered list (say, status=announced)
    # no longer holds them afterwards.
    chosen = list(queryset.select_related("meeting"))
    if form.is_valid():
        refusals: dict[str, list[str]] = defaultdict(list)
        try:
            with transaction.atomic():
                for commitment in chosen:
                    try:
                        commitment.record_status_update(
                            **form.cleaned_data, recorded_by=request.user
                        )
                    except ValidationError as exc:
                        refusals["; ".join(exc.messages)].append(commitment.slug)
                if refusals:
                    raise ValidationError("rolled back")
        except ValidationError:
            # One error per reason, naming the commitments it stopped.
            for reason, slugs in refusals.items():
                named = ", ".join(slugs[:NAMED])
                more = f" and {len(slugs) - NAMED} more" if len(slugs) > NAMED else ""
                form.add_error(None, f"{reason} ({len(slugs)} commitments: {named}{more})")
        else:
            model_admin.message_user(
                request,
                f"Recorded “{Status(form.cleaned_data['status']).label}” on "
                f"{len(chosen)} commitments.",
                messages.SUCCESS,
            )
            return None
    changelist = request.get_full_path()
    return render(
        request,
        "admin/commitments/bulk_status_update.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": "Record a status update on several commitments",
            "form": form,
            "media": model_admin.media + form.media,
            "count": len(chosen),
            "listed": chosen[:LISTED],
            "unlisted": max(0, len(chosen) - LISTED),
            "opts": model_admin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across") == "1",
            "changelist_url": changelist,
        },
    )
