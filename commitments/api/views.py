"""The REST API's views."""

import datetime
import re

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from commitments.filters import CommitmentFilter, StatusUpdateFilter
from commitments.models import (
    Commitment,
    Country,
    Meeting,
    Official,
    SourceDocument,
    StatusUpdate,
)

from .caching import data_generation, etag_matches, request_day
from .caching import not_modified_for_view as not_modified
from .errors import ClientErrorResponseSerializer, PreconditionFailed, PreconditionRequired
from .inputs import parse_date
from .pagination import CommitmentPagination
from .permissions import OpenReadUnlessLoginRequired
from .read_path import (
    DEEP_OFFSET,
    LIST_SHAPES,
    PAGE_COUNT,
    PageSql,
    anchored_page,
    anchoring_sql,
    commitment_json,
    count_sql,
    counting_page_sql,
    deep_page_sql,
    detail_json,
    page_sql,
    render_counted_page,
    render_page,
    run_count,
)
from .renderers import ORJSONRenderer
from .responses import page_not_found
from .serializers import (
    CommitmentSerializer,
    CommitmentUpdateSerializer,
    CountrySerializer,
    MeetingSerializer,
    OfficialSerializer,
    SourceDocumentDetailSerializer,
    SourceDocumentSerializer,
    StatusUpdateCreatedSerializer,
    StatusUpdateSerializer,
)
from .throttling import TokenEndpointThrottle

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=(
        "Return statuses as they stood at the end of this day (YYYY-MM-DD), read from the "
        "timeline; commitments first made after it are left out."
    ),
)
ETAG_RE = re.compile(r'^\s*(?:W/)?"([0-9]{1,18})"\s*$')
# The path converter's own pattern: a lookup that cannot be a slug is an
# unknown path (404) and never reaches the database.
SLUG_PATTERN = "[-a-zA-Z0-9_]+"


def read_as_of(request) -> datetime.date | None:
    """Return the request's `as_of` day (None when absent), or raise a 400 naming it."""
    raw = request.query_params.get("as_of")
    return None if raw is None else parse_date("as_of", raw)


class CountryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Country.objects.all()
    serializer_class = CountrySerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z]{2}"


class OfficialViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Official.objects.prefetch_related("positions")
    serializer_class = OfficialSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Meeting.objects.select_related("parent").prefetch_related("participations__official")
    serializer_class = MeetingSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


class SourceDocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """Source documents; the full text only on the detail view."""

    queryset = SourceDocument.objects.defer("text")
    # Up to 18 digits: any longer number overflows a 64-bit key on both engines.
    lookup_value_regex = "[0-9]{1,18}"

    def get_queryset(self):
        if self.action == "retrieve":
            return SourceDocument.objects.all()
        return super().get_queryset()

    def get_serializer_class(self):
        if self.action == "retrieve":
            return SourceDocumentDetailSerializer
        return SourceDocumentSerializer


# Filters whose SQL holds a row's id rather than the parameter's own value (the
# meeting's, found by slug): a shape using one is compiled again in every data
# generation.
DATA_SHAPED_FILTERS = frozenset({"meeting"})


def list_shape(request) -> tuple[tuple, tuple]:
    """Return what shapes an offset page's query, and its filters (all but the page's)."""
    filters = tuple(
        sorted(
            (name, tuple(values))
            for name, values in request.query_params.lists()
            if name not in ("limit", "offset", "format")
        )
    )
    shape = (request_day(request), request.as_of, filters)
    if any(name in DATA_SHAPED_FILTERS for name, _ in filters):
        shape = (data_generation(request._request), *shape)
    return shape, filters


def offset_page_json(request, paginator, compiled, filters) -> list[bytes]:
    """Return the page of a compiled shape that `limit` and `offset` ask for, as JSON objects.

    The results are counted once per data generation and filters: by the
    page's own statement when no count is kept yet.
    """
    select, counter, deep, anchoring, counting = compiled
    paginator.request = request
    count = 0 if select is None else paginator.known_count(filters)
    objects = None
    if count is None:
        limit, offset = paginator.get_limit(request), paginator.get_offset(request)
        if counting is None:
            page, counted_by = page_at(select, deep, offset, limit), counter
        else:  # The page counts its whole result as it reads it.
            page, counted_by = counting.then(" LIMIT %s OFFSET %s", (limit, offset)), PAGE_COUNT
        objects, count = render_counted_page(page, counted_by, request=request, as_of=request.as_of)
        if count is None:  # No result at this offset: past the last, or none at all.
            count = run_count(counter)
        paginator.keep_count(filters, count)
    bounds = paginator.page_bounds(request, count)
    if bounds is None:
        return []
    if objects is not None:
        return objects
    offset, limit = bounds
    if anchoring is not None and offset < count:
        page = anchored_page(anchoring, data_generation(request._request), offset, limit)
        objects = [] if page is None else render_page(page, request=request, as_of=request.as_of)
        if objects:  # Else the generation moved since the request read it.
            return objects
    return render_page(page_at(select, deep, offset, limit), request=request, as_of=request.as_of)


def page_at(select: PageSql, deep: PageSql | None, offset: int, limit: int) -> PageSql:
    """Return a shape's page at `offset`: its slugs read first if it is deep (PostgreSQL)."""
    if deep is not None and offset >= DEEP_OFFSET:
        return deep.then("", (limit, offset))
    return select.then(" LIMIT %s OFFSET %s", (limit, offset))


@extend_schema_view(
    list=extend_schema(parameters=[AS_OF]),
    retrieve=extend_schema(parameters=[AS_OF]),
    partial_update=extend_schema(
        request=CommitmentUpdateSerializer,
        responses={
            200: CommitmentSerializer,
            412: OpenApiResponse(
                ClientErrorResponseSerializer, description="The If-Match ETag is stale."
            ),
            428: OpenApiResponse(
                ClientErrorResponseSerializer, description="The If-Match header is missing."
            ),
        },
        parameters=[
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description='The ETag from the last read, e.g. "7".',
            )
        ],
    ),
)
class CommitmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Commitments, their current (or past) status, and edits to their descriptive fields."""

    queryset = Commitment.objects.all()
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilter
    pagination_class = CommitmentPagination
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    http_method_names = ["get", "patch", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.as_of = read_as_of(request)

    def get_queryset(self):
        as_of = getattr(self.request, "as_of", None)
        queryset = Commitment.objects.with_status(as_of).with_mentions_count()
        if self.action == "list":
            # By slug unless asked otherwise: unique, indexed, the same for
            # `as_of` (which would otherwise compute every row's past status
            # to sort), and the key of cursor pages.
            return queryset.order_by("slug")
        return queryset.with_relations()

    def filter_queryset(self, queryset):
        if not self.request.query_params.keys() & CommitmentFilter.base_filters.keys():
            # Nothing to filter: skip building and validating the filter form.
            return queryset
        queryset = super().filter_queryset(queryset)
        if "ordering" in self.request.query_params:
            # Ties broken by slug here too, so that pages never overlap.
            queryset = queryset.order_by(*queryset.query.order_by, "slug")
        return queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "as_of": getattr(self.request, "as_of", None)}

    def list(self, request, *args, **kwargs):
        if self.paginator.uses_cursor(request):
            queryset = self.filter_queryset(self.get_queryset())
            page = self.paginator.slice_queryset(queryset, request)
            objects = commitment_json(page, request=request, as_of=request.as_of)
        else:
            objects = self.offset_page(request)
        response = self.paginator.get_paginated_json_response(objects)
        if not isinstance(request.accepted_renderer, ORJSONRenderer):
            # The browsable API indents what it shows: the same page, as data.
            response.data["results"] = [orjson.loads(item) for item in objects][
                : self.paginator.limit
            ]
        return response

    def offset_page(self, request) -> "list[bytes]":  # quoted: `list` is the action above
        """Return the page `limit` and `offset` ask for, one JSON object per commitment.

        The page's query and its count query are built once per shape; the
        count is run once per shape and data generation.
        """
        shape, filters = list_shape(request)

        def compile_shape():
            queryset = self.filter_queryset(self.get_queryset())
            return (
                page_sql(queryset),
                count_sql(queryset),
                deep_page_sql(queryset, request.as_of),
                anchoring_sql(queryset),
                counting_page_sql(queryset),
            )

        compiled = LIST_SHAPES.get_or_compile(shape, compile_shape)
        return offset_page_json(request, self.paginator, compiled, filters)

    def retrieve(self, request, *args, **kwargs):
        if not isinstance(request.accepted_renderer, ORJSONRenderer):
            commitment = self.get_object()
            response = Response(self.get_serializer(commitment).data)
            version = commitment.version
        else:
            # The list's read path: one statement for the object and its relations.
            slug = kwargs[self.lookup_field]
            if request.as_of is None and "HTTP_IF_NONE_MATCH" in request.META:
                version = Commitment.objects.filter(slug=slug).values_list("version").first()
                if version is not None and etag_matches(request, f'"{version[0]}"'):
                    return not_modified(f'"{version[0]}"', request)
            found = detail_json(self.get_queryset, slug, request=request, as_of=request.as_of)
            if found is None:
                raise NotFound("No commitment with this slug.")
            response = Response(orjson.Fragment(found))
            version = orjson.loads(found)["version"]
        if request.as_of is None:
            response["ETag"] = f'"{version}"'
        return response

    def update(self, request, *args, **kwargs):
        header = request.headers.get("If-Match")
        if not header:
            raise PreconditionRequired()
        match = ETAG_RE.match(header)
        if match is None:
            raise PreconditionFailed(
                f'If-Match must be the ETag from the last read, e.g. "7"; got {header[:40]!r}.'
            )
        with transaction.atomic():
            commitment = get_object_or_404(
                Commitment.objects.select_for_update(), slug=kwargs["slug"]
            )
            self.check_object_permissions(request, commitment)
            if int(match.group(1)) != commitment.version:
                raise PreconditionFailed(
                    f'The commitment is at version "{commitment.version}", not '
                    f'"{match.group(1)}"; read it again and retry.'
                )
            serializer = CommitmentUpdateSerializer(commitment, data=request.data, partial=True)
            serializer.is_valid(raise_exception=True)
            serializer.save()
        fresh = self.get_queryset().get(pk=commitment.pk)
        response = Response(self.get_serializer(fresh).data)
        response["ETag"] = f'"{fresh.version}"'
        return response


@extend_schema_view(
    get=extend_schema(summary="A commitment's status timeline, newest first"),
    post=extend_schema(
        summary="Record a status update with its evidence",
        request=StatusUpdateSerializer,
        responses={201: StatusUpdateCreatedSerializer},
    ),
)
class CommitmentStatusUpdatesView(generics.ListCreateAPIView):
    """The status timeline of one commitment."""

    serializer_class = StatusUpdateSerializer
    queryset = StatusUpdate.objects.all()

    def get_commitment(self) -> Commitment:
        return get_object_or_404(
            Commitment.objects.select_related("meeting"), slug=self.kwargs["slug"]
        )

    def get_queryset(self):
        commitment = self.get_commitment()
        return StatusUpdate.objects.filter(commitment=commitment).select_related(
            "commitment", "recorded_by", "evidence_document", "evidence_snapshot"
        )

    def create(self, request, *args, **kwargs):
        commitment = self.get_commitment()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            update = commitment.record_status_update(
                **serializer.validated_data, recorded_by=request.user
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"non_field_errors": exc.messages}
            ) from exc
        data = StatusUpdateCreatedSerializer(
            {"update": update, "commitment": commitment}, context=self.get_serializer_context()
        ).data
        response = Response(data, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{commitment.version}"'
        return response


class StatusUpdateFeedView(generics.ListAPIView):
    """Every status update across commitments, most recently recorded first."""

    serializer_class = StatusUpdateSerializer
    filterset_class = StatusUpdateFilter
    queryset = StatusUpdate.objects.select_related(
        "commitment", "recorded_by", "evidence_document", "evidence_snapshot"
    ).order_by("-recorded_at", "-id")


@csrf_exempt
def endpoint_not_found(request, *args, **kwargs):
    """Answer any unknown path under /api/ (any method, no CSRF check) as Django's 404 would."""
    return page_not_found(request)


ROOT_ENDPOINTS = {
    "commitments": "commitment-list",
    "status_updates": "status-update-list",
    "countries": "country-list",
    "officials": "official-list",
    "meetings": "meeting-list",
    "sources": "sourcedocument-list",
    "auth_token": "auth-token",
    "schema": "schema",
    "docs": "swagger-ui",
}


@extend_schema(exclude=True)
class ApiRootView(APIView):
    """The API's entry point: a link to each of its endpoints."""

    permission_classes = [OpenReadUnlessLoginRequired]

    def get(self, request, *args, **kwargs):
        return Response(
            {name: reverse(url_name, request=request) for name, url_name in ROOT_ENDPOINTS.items()}
        )


class JsonErrorsMixin:
    """Answer errors in the API's JSON shape even from views that render YAML or HTML."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = ORJSONRenderer()
        self.request.accepted_media_type = ORJSONRenderer.media_type
        return response


class ApiSchemaView(JsonErrorsMixin, SpectacularAPIView):
    """The OpenAPI schema, as open as the API's reads."""


class ApiDocsView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """Swagger UI with its script served apart and no inline style, as the CSP requires."""

    template_name = "api/swagger_ui.html"


class ThrottledObtainAuthToken(ObtainAuthToken):
    """Exchange a username and password for an API token; throttled against guessing."""

    throttle_classes = [TokenEndpointThrottle]
    # ObtainAuthToken names DRF's stock parsers; use the API's strict ones.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
