"""The compliance report as JSON: `GET /api/reports/compliance/?meeting=SLUG|country=CODE`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.errors import BadRequestResponseSerializer
from ..api.permissions import OpenReadUnlessLoginRequired
from .rendering import report_as_dict
from .services import ReportInputError, report_from_inputs

PARAMETERS = [
    OpenApiParameter("meeting", str, description="A meeting's slug: it and its child meetings."),
    OpenApiParameter(
        "country", str, description="A country's code: the commitments it is party to."
    ),
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="The cut-off date (default today)."),
    OpenApiParameter(
        "compare_to", OpenApiTypes.DATE, description="An earlier cut-off to compare with."
    ),
]


class ComplianceReportView(APIView):
    """Answer the compliance report of a meeting or a country as of a date, as the page shows it."""

    permission_classes = [OpenReadUnlessLoginRequired]

    @extend_schema(
        parameters=PARAMETERS,
        responses={
            200: OpenApiTypes.OBJECT,
            400: OpenApiResponse(BadRequestResponseSerializer, description="An unusable input."),
        },
    )
    def get(self, request, *args, **kwargs):
        params = request.query_params
        try:
            report = report_from_inputs(
                meeting=params.get("meeting"),
                country=params.get("country"),
                as_of=params.get("as_of"),
                compare_to=params.get("compare_to"),
                site_url=request.build_absolute_uri("/"),
            )
        except ReportInputError as error:
            message = str(error).split(": ", 1)[1]
            raise ValidationError({error.field: [message]}) from None
        return Response(report_as_dict(report))
