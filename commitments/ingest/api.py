"""The ingest area's API: adding sources, running the proposer, and reviewing what it proposes.

- `POST /api/sources/` adds a source from JSON text or an uploaded .txt/.html file;
- `GET|POST /api/sources/{source}/proposals/` lists a source's proposals, or runs
  the proposer over it (idempotent) and returns what it stored;
- `/api/proposals/{id}/` with `accept/` and `reject/`, and `/api/proposals/merge/`;
- `/api/proposed-meetings/{id}/` with `resolve/`.

Every review goes through the one model method that makes it (`Proposal.accept`,
`Proposal.reject`, `merge_proposals`, `ProposedMeeting.resolve`); the views parse
the input, turn the model's ValidationError into a 400 naming the field, and
answer 409 when the proposal, meeting or text was already reviewed, resolved or
stored.
"""

from collections.abc import Mapping

import django_filters
import pycountry
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings

from ..api.errors import ClientErrorResponseSerializer
from ..api.inputs import INTEGER_RE, parse_date, shown
from ..api.serializers import SourceDocumentDetailSerializer
from ..api.views import SourceDocumentViewSet as ReadOnlySourceDocumentViewSet
from ..choices import Category, ParticipantRole, PartyRole, ReviewState
from ..filters import CommaSeparatedWidget
from ..models import Commitment, Meeting, SourceDocument, country_code_exists
from . import services
from .models import Proposal, ProposedMeeting, merge_proposals

# The router's own pattern for numeric keys: up to 18 digits fit a 64-bit key.
ID_PATTERN = "[0-9]{1,18}"
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY


# Errors


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with what is already stored."
    default_code = "conflict"


def conflict_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ClientErrorResponseSerializer, description=description)


def api_validation_error(
    exc: DjangoValidationError, *, rename: dict[str, str] | None = None
) -> ValidationError:
    """Return the model's ValidationError as a DRF one, keyed by the API's field names.

    Messages keep their codes and are used as Django formatted them: never
    %-formatted again, so a `%` in a value quoted by a message stays text.
    """
    rename = rename or {}
    if hasattr(exc, "error_dict"):
        groups = {
            NON_FIELD if field == NON_FIELD_ERRORS else rename.get(field, field): errors
            for field, errors in exc.error_dict.items()
        }
    else:
        groups = {NON_FIELD: exc.error_list}
    return ValidationError(
        {
            field: [
                ErrorDetail(message, code=error.code or "invalid")
                for error in errors
                for message in error
            ]
            for field, errors in groups.items()
        }
    )


# Permissions

VIEW = "%(app_label)s.view_%(model_name)s"
CHANGE = "%(app_label)s.change_%(model_name)s"


class ModelPermissionsToReadAndAdd(DjangoModelPermissions):
    """Read with the model's view permission (the review queue is not public), POST with add."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
    }


class ModelPermissionsToReview(ModelPermissionsToReadAndAdd):
    """Read with view; every POST (accept, reject, merge, resolve) is a review and needs change."""

    perms_map = {**ModelPermissionsToReadAndAdd.perms_map, "POST": [CHANGE]}


# Input fields


class StrictDateField(serializers.DateField):
    """A date written exactly YYYY-MM-DD, read by the API's input layer."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            raise serializers.ValidationError(
                f"Must be a date as YYYY-MM-DD, got a JSON {type(value).__name__}.", code="invalid"
            )
        try:
            return parse_date(self.field_name, value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.detail[self.field_name]) from None


@extend_schema_field(OpenApiTypes.INT)
class ProposalIdField(serializers.Field):
    """A proposal's id: a positive whole number, as a JSON number or ASCII digits."""

    def to_internal_value(self, value):
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not (isinstance(text, str) and INTEGER_RE.fullmatch(text) and int(text) > 0):
            raise serializers.ValidationError(
                f"Must be a proposal id (a positive whole number), got {shown(str(value))}.",
                code="invalid",
            )
        return int(text)

    def to_representation(self, value):
        return value


# Representations


class ProposedPartySerializer(serializers.Serializer):
    country = serializers.CharField(read_only=True, help_text="ISO alpha-2 code, e.g. KZ.")
    role = serializers.ChoiceField(choices=PartyRole.choices, read_only=True)


class MatchSerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True, help_text="The recorded commitment's slug.")
    score = serializers.FloatField(read_only=True, help_text="Text similarity, 0 to 1.")
    title = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True, help_text="Its quote most like the proposal's.")


class ProposalSerializer(serializers.ModelSerializer):
    """A proposed commitment and where its review stands."""

    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    proposed_meeting = serializers.PrimaryKeyRelatedField(read_only=True)
    parties = ProposedPartySerializer(many=True, read_only=True)
    matches = MatchSerializer(many=True, read_only=True)
    commitment = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    reviewed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    url = serializers.HyperlinkedIdentityField(view_name="proposal-detail")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "source",
            "proposed_meeting",
            "quote",
            "start",
            "end",
            "parties",
            "category",
            "title",
            "rule",
            "backend",
            "confidence",
            "matches",
            "state",
            "commitment",
            "reject_reason",
            "reviewed_by",
            "reviewed_at",
            "accepted_as_proposed",
            "url",
        ]
        read_only_fields = fields


class ProposedParticipantSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True, allow_null=True)
    official = serializers.CharField(
        read_only=True, allow_null=True, help_text="A recorded official's slug."
    )
    title = serializers.CharField(read_only=True)
    # As read in the text; recording the meeting takes any role it does not
    # know as "participant".
    role = serializers.CharField(
        read_only=True, help_text=f"Usually one of {', '.join(ParticipantRole.values)}."
    )


class ProposedMeetingSerializer(serializers.ModelSerializer):
    """A meeting the proposer read in a source, and the recorded meeting it was resolved to."""

    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    participants = ProposedParticipantSerializer(many=True, read_only=True)
    existing = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="A recorded meeting with the same date and participants.",
    )
    meeting = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The recorded meeting it was resolved to; null until resolved.",
    )
    url = serializers.HyperlinkedIdentityField(view_name="proposedmeeting-detail")

    class Meta:
        model = ProposedMeeting
        fields = [
            "id",
            "source",
            "position",
            "date",
            "city",
            "country",
            "kind",
            "title",
            "participants",
            "existing",
            "meeting",
            "url",
        ]
        read_only_fields = fields


class SourceCreatedSerializer(SourceDocumentDetailSerializer):
    proposals = serializers.HyperlinkedIdentityField(
        view_name="source-proposals", lookup_field="slug", lookup_url_kwarg="source"
    )

    class Meta(SourceDocumentDetailSerializer.Meta):
        fields = [*SourceDocumentDetailSerializer.Meta.fields, "proposals"]


class ProposerRunSerializer(serializers.Serializer):
    meetings = serializers.IntegerField(read_only=True, help_text="Meetings read in the text.")
    created = serializers.IntegerField(read_only=True, help_text="New proposals.")
    refreshed = serializers.IntegerField(read_only=True, help_text="Pending proposals updated.")
    dropped = serializers.IntegerField(
        read_only=True, help_text="Pending proposals the proposer no longer makes, deleted."
    )
    reviewed = serializers.IntegerField(
        read_only=True, help_text="Proposals already reviewed, left as they are."
    )


class ProposerResultSerializer(serializers.Serializer):
    """What a run of the proposer stored: its counts, and the source's meetings and proposals."""

    run = ProposerRunSerializer(read_only=True)
    proposed_meetings = ProposedMeetingSerializer(many=True, read_only=True)
    proposals = ProposalSerializer(many=True, read_only=True)


class MergedSerializer(serializers.Serializer):
    commitment = serializers.CharField(read_only=True, help_text="The new commitment's slug.")
    proposals = ProposalSerializer(many=True, read_only=True)


# Inputs


class SourceFieldsSerializer(serializers.Serializer):
    publisher = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    language = serializers.CharField(
        max_length=10, required=False, default="en", help_text="A BCP 47 tag, e.g. en."
    )


class SourceTextSerializer(SourceFieldsSerializer):
    """A source given as its text."""

    title = serializers.CharField(max_length=300)
    published_on = StrictDateField(help_text="YYYY-MM-DD.")
    # Kept exactly as sent: the proposals' offsets and the SHA-256 refer to it.
    text = serializers.CharField(
        trim_whitespace=False,
        help_text="At most SOURCE_TEXT_MAX_CHARS characters; the 400 for a longer one states it.",
    )


class SourceUploadSerializer(SourceFieldsSerializer):
    """A source given as a .txt or .html file; an HTML page's title and date fill those left out."""

    title = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    published_on = StrictDateField(required=False, allow_null=True, default=None)
    file = serializers.FileField(
        help_text=".txt (UTF-8) or .html/.htm of at most SOURCE_UPLOAD_MAX_BYTES bytes; "
        "the 400 for a larger one states the limit."
    )


class PartyInputSerializer(serializers.Serializer):
    country = serializers.RegexField(
        r"^[A-Z]{2}\Z",
        error_messages={"invalid": "Must be an ISO alpha-2 code in capitals, e.g. KZ."},
        help_text="ISO alpha-2 code, e.g. KZ.",
    )
    role = serializers.ChoiceField(choices=PartyRole.choices)

    def validate_country(self, code: str) -> str:
        # The accept method adds a country of ISO 3166 the database lacks.
        if not (country_code_exists(code) or pycountry.countries.get(alpha_2=code)):
            raise serializers.ValidationError(f"Unknown country code “{code}”.")
        return code


class NewCommitmentSerializer(serializers.Serializer):
    """What may differ from the proposal when it becomes a new commitment; all optional."""

    slug = serializers.SlugField(max_length=140, required=False)
    title = serializers.CharField(max_length=300, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    parties = PartyInputSerializer(many=True, required=False)
    due_date = StrictDateField(required=False, allow_null=True)
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True)

    def changes(self) -> dict:
        data = dict(self.validated_data)
        if "parties" in data:
            data["parties"] = [dict(party) for party in data["parties"]]
        return data


class AcceptSerializer(NewCommitmentSerializer):
    """Accept as a mention of a recorded commitment (`commitment`), or as a new one."""

    commitment = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Commitment.objects.all(),
        required=False,
        error_messages={"does_not_exist": "No commitment has the slug “{value}”."},
        help_text="Slug of the recorded commitment this proposal restates.",
    )

    def validate(self, data):
        if "commitment" in data:
            extra = sorted(set(data) - {"commitment"})
            if extra:
                raise serializers.ValidationError(
                    {
                        "commitment": "Give either `commitment` (accept as a mention) or the "
                        f"fields of a new commitment, not both; got also {', '.join(extra)}."
                    }
                )
        return data


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the proposal is rejected.")


class MergeSerializer(NewCommitmentSerializer):
    """Several proposals as one new commitment: the first as its origin, the others as mentions."""

    proposals = serializers.ListField(
        child=ProposalIdField(), min_length=2, max_length=100, help_text="Proposal ids, in order."
    )

    def validate_proposals(self, ids: list[int]) -> list[Proposal]:
        repeated = sorted({id_ for id_ in ids if ids.count(id_) > 1})
        if repeated:
            raise serializers.ValidationError(
                f"Proposals listed twice: {', '.join(map(str, repeated))}."
            )
        found = Proposal.objects.in_bulk(ids)
        unknown = [id_ for id_ in ids if id_ not in found]
        if unknown:
            raise serializers.ValidationError(
                f"No proposal has the id {', '.join(map(str, unknown))}."
            )
        return [found[id_] for id_ in ids]

    def changes(self) -> dict:
        data = super().changes()
        data.pop("proposals")
        return data


class ResolveSerializer(serializers.Serializer):
    meeting = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Meeting.objects.all(),
        required=False,
        error_messages={"does_not_exist": "No meeting has the slug “{value}”."},
        help_text="Slug of the recorded meeting it is; leave out to record it as proposed.",
    )


# Views

SOURCE_PARAMETER = OpenApiParameter(
    "source",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The source's slug (or, when no slug is all digits like it, its id).",
)


class ProposalFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=ReviewState.choices,
        widget=CommaSeparatedWidget,
        distinct=False,
        label="Review state (several allowed)",
    )

    class Meta:
        model = Proposal
        fields = []


def proposals_for_api():
    # The source's text is never shown here, and may be half a million characters.
    return Proposal.objects.select_related("source", "commitment", "reviewed_by").defer(
        "source__text"
    )


def proposed_meetings_for_api():
    return ProposedMeeting.objects.select_related("source", "existing", "meeting").defer(
        "source__text"
    )


class SourceDocumentViewSet(mixins.CreateModelMixin, ReadOnlySourceDocumentViewSet):
    """Source documents; the full text only on the detail view."""

    # The docstring is the reads' description in the schema: kept as the
    # read-only viewset has it. Adding a source is described on `create`.

    @extend_schema(
        summary="Add a source from its text (JSON) or an uploaded .txt or .html file",
        description=(
            "Needs the permission to add source documents. A text already stored (the same "
            "SHA-256) is a 409 naming the stored source. An HTML page is reduced to its main "
            "text; its own title and date fill `title` and `published_on` when left out."
        ),
        request={
            "application/json": SourceTextSerializer,
            "multipart/form-data": SourceUploadSerializer,
        },
        responses={
            201: SourceCreatedSerializer,
            409: conflict_response(
                "The same text (by SHA-256) is already stored; the error names that source."
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        # A body that is not an object (null, a list) is left to the serializer to refuse.
        given = request.data if isinstance(request.data, Mapping) else {}
        if "file" in given and "text" in given:
            raise ValidationError({NON_FIELD: ["Send either `text` or `file`, not both."]})
        field = "file" if "file" in given else "text"
        serializer_class = SourceUploadSerializer if field == "file" else SourceTextSerializer
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if field == "file":
            data.update(self.read_upload(data.pop("file"), data))
        try:
            source = services.add_source(**data, by=request.user)
        except services.DuplicateSource as exc:
            existing = exc.existing
            where = reverse("sourcedocument-detail", args=[existing.pk], request=request)
            raise Conflict(
                {
                    field: [
                        f"{exc.messages[0]} It is source {existing.pk}, slug “{existing.slug}”: "
                        f"{where}"
                    ]
                },
                code="duplicate",
            ) from None
        except DjangoValidationError as exc:
            raise api_validation_error(exc, rename={"text": field}) from None
        body = SourceCreatedSerializer(source, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})

    @staticmethod
    def read_upload(upload, data: dict) -> dict:
        """Return the upload's text, and its title and date where the request gave none."""
        limit = settings.SOURCE_UPLOAD_MAX_BYTES
        # Refused before reading: the size is known from the upload itself.
        if upload.size > limit:
            raise ValidationError(
                {"file": [f"The file is {upload.size:,} bytes; the limit is {limit:,}."]},
                code="too_large",
            )
        try:
            found = services.read_upload(upload.name, upload.read(), field="file")
        except DjangoValidationError as exc:
            raise api_validation_error(exc) from None
        filled = {"text": found.text}
        missing = {}
        for name in ("title", "published_on"):
            filled[name] = data[name] or getattr(found, name)
            if not filled[name]:
                missing[name] = [f"This field is required: the file did not give a {name}."]
        if missing:
            raise ValidationError(missing, code="required")
        return filled


@extend_schema(parameters=[SOURCE_PARAMETER])
class SourceProposalsView(generics.ListAPIView):
    """A source's proposals (view permission), and running the proposer over it (add)."""

    queryset = Proposal.objects.all()
    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter
    permission_classes = [ModelPermissionsToReadAndAdd]

    def get_queryset(self):
        # Lazy, and without the source: the permission check calls it before any lookup.
        return proposals_for_api()

    def get_source(self, *, with_text: bool) -> SourceDocument:
        """Return the source named in the path: by slug, or by id when no slug is those digits."""
        lookup = self.kwargs["source"]
        sources = (
            SourceDocument.objects.all() if with_text else SourceDocument.objects.defer("text")
        )
        source = sources.filter(slug=lookup).first()
        if source is None and INTEGER_RE.fullmatch(lookup):
            source = sources.filter(pk=int(lookup)).first()
        if source is None:
            raise exceptions.NotFound(f"No source has the slug or id {shown(lookup)}.")
        return source

    @extend_schema(summary="A source's proposals, in text order")
    def get(self, request, *args, **kwargs):
        source = self.get_source(with_text=False)
        queryset = self.filter_queryset(self.get_queryset().filter(source=source))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Run the proposer over the source and store what it proposes (idempotent)",
        request=None,
        responses={200: ProposerResultSerializer},
    )
    def post(self, request, *args, **kwargs):
        source = self.get_source(with_text=True)
        run = services.run_proposer(source)
        result = {
            "run": run,
            "proposed_meetings": proposed_meetings_for_api().filter(source=source),
            "proposals": self.get_queryset().filter(source=source),
        }
        return Response(
            ProposerResultSerializer(result, context=self.get_serializer_context()).data
        )


def refuse_if_reviewed(proposals) -> None:
    """Raise a 409 naming the proposals among these already reviewed."""
    reviewed = [proposal for proposal in proposals if proposal.state != ReviewState.PENDING]
    if reviewed:
        states = "; ".join(
            f"proposal {proposal.pk}: {proposal.get_state_display().lower()}"
            for proposal in reviewed
        )
        raise Conflict(
            f"Already reviewed, so it cannot be reviewed again ({states}).",
            code="already_reviewed",
        )


def refuse_if_reviewed_meanwhile(proposals) -> None:
    """After the model refused a review, answer 409 if that was because one was reviewed."""
    refuse_if_reviewed(Proposal.objects.filter(pk__in=[p.pk for p in proposals]).only("state"))


class ProposalViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposed commitments: read (view permission) and reviewed (change permission)."""

    queryset = Proposal.objects.all()
    serializer_class = ProposalSerializer
    permission_classes = [ModelPermissionsToReview]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return proposals_for_api()

    def fresh(self, proposal: Proposal) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        summary="Accept as a mention of a recorded commitment, or as a new commitment",
        request=AcceptSerializer,
        responses={200: ProposalSerializer, 409: conflict_response("Already reviewed.")},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        proposal = self.get_object()
        refuse_if_reviewed([proposal])
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            proposal.accept(by=request.user, **serializer.changes())
        except DjangoValidationError as exc:
            refuse_if_reviewed_meanwhile([proposal])
            raise api_validation_error(exc) from None
        return self.fresh(proposal)

    @extend_schema(
        summary="Reject, saying why",
        request=RejectSerializer,
        responses={200: ProposalSerializer, 409: conflict_response("Already reviewed.")},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        proposal = self.get_object()
        refuse_if_reviewed([proposal])
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            proposal.reject(by=request.user, reason=serializer.validated_data["reason"])
        except DjangoValidationError as exc:
            refuse_if_reviewed_meanwhile([proposal])
            raise api_validation_error(exc, rename={"reject_reason": "reason"}) from None
        return self.fresh(proposal)

    @extend_schema(
        summary="Accept several proposals as one new commitment",
        request=MergeSerializer,
        responses={
            200: MergedSerializer,
            409: conflict_response("One of the proposals was already reviewed."),
        },
    )
    @action(detail=False, methods=["post"])
    def merge(self, request):
        serializer = MergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposals = serializer.validated_data["proposals"]
        refuse_if_reviewed(proposals)
        try:
            commitment = merge_proposals(proposals, by=request.user, **serializer.changes())
        except DjangoValidationError as exc:
            refuse_if_reviewed_meanwhile(proposals)
            raise api_validation_error(exc) from None
        merged = self.get_queryset().filter(pk__in=[proposal.pk for proposal in proposals])
        order = {proposal.pk: index for index, proposal in enumerate(proposals)}
        result = {
            "commitment": commitment.slug,
            "proposals": sorted(merged, key=lambda proposal: order[proposal.pk]),
        }
        return Response(MergedSerializer(result, context=self.get_serializer_context()).data)


class ProposedMeetingViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Proposed meetings: read (view permission) and resolved (change permission)."""

    queryset = ProposedMeeting.objects.all()
    serializer_class = ProposedMeetingSerializer
    permission_classes = [ModelPermissionsToReview]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return proposed_meetings_for_api()

    @extend_schema(
        summary="Resolve to a recorded meeting, or record the meeting as proposed",
        request=ResolveSerializer,
        responses={200: ProposedMeetingSerializer, 409: conflict_response("Already resolved.")},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        proposed = self.get_object()
        self.refuse_if_resolved(proposed)
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            proposed.resolve(by=request.user, meeting=serializer.validated_data.get("meeting"))
        except DjangoValidationError as exc:
            self.refuse_if_resolved(ProposedMeeting.objects.select_related("meeting").get(pk=pk))
            raise api_validation_error(exc) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=proposed.pk)).data)

    @staticmethod
    def refuse_if_resolved(proposed: ProposedMeeting) -> None:
        if proposed.meeting_id is not None:
            raise Conflict(
                f"Already resolved to the meeting “{proposed.meeting.slug}”.",
                code="already_resolved",
            )
