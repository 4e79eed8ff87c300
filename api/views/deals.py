"""deals/, deals/{id}/, deals/{id}/stage/, deals/{id}/notes/, deals/{id}/attachments/."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api import serializers as s
from api.errors import PROBLEM_JSON, service_problem
from api.idempotency import idempotent
from api.views.base import PartnerAPIView
from deals import selectors
from deals.files.names import ALLOWED
from deals.filters import DealFilter
from deals.models import Attachment, DiscountRule, Note
from deals.services import (
    change_stage,
    post_attachments,
    post_note,
    register_deal,
    resubmit_deal,
)
from discounts.selectors import get_discount_for_partner
from web.downloads import file_download

PROBLEM = OpenApiResponse(
    response=s.ProblemSerializer, description=gettext_lazy("Problem details.")
)


def problems(*codes) -> dict:
    return {(code, PROBLEM_JSON): PROBLEM for code in codes}


DOWNLOAD_TYPES = sorted({kind.content_type for kind in ALLOWED.values()})
READ_ERRORS = problems(400, 401, 403, 404, 413, 429)
ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 422, 429)


def deals_with_details(partner):
    """The partner's deals with everything a deal's JSON shows, in two queries."""
    return (
        selectors.deals_for_partner(partner)
        .select_related("discount")
        .prefetch_related(
            Prefetch("discount_rules", queryset=DiscountRule.objects.select_related("product"))
        )
    )


def deal_json(view, pk) -> dict:
    return s.DealSerializer(deals_with_details(view.partner).get(pk=pk)).data


class DealList(PartnerAPIView):
    paginated = True
    created_location = True  # a registration answers 201 with Location (declared in the schema)
    query_serializer = s.DealQuerySerializer
    sorts = {"updated": "updated_at", "value": "estimated_value", "close": "expected_close_date"}
    default_sort = "-updated"

    @extend_schema(
        operation_id="deals_list",
        parameters=[s.DealQuerySerializer],
        responses={200: s.DealSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("List the partner's deals"),
    )
    def get(self, request):
        filters = self.query()
        deals = DealFilter(
            {"q": filters.get("q", ""), "stage": filters.get("stage", "")},
            queryset=deals_with_details(self.partner),
        ).qs
        if filters.get("status"):
            deals = deals.filter(status=filters["status"])
        page = self.paginate_queryset(deals)
        return self.get_paginated_response(s.DealSerializer(page, many=True).data)

    @extend_schema(
        operation_id="deals_create",
        request=s.DealRegisterSerializer,
        responses={201: s.DealSerializer, **ERRORS},
        summary=gettext_lazy("Register a deal for review"),
    )
    @idempotent
    def post(self, request):
        data = self.valid(s.DealRegisterSerializer)
        deal = register_deal(
            partner=self.partner,
            by=request.user,
            customer_tax_code=data["customer_tax_code"],
            customer_name=data.get("customer_name", ""),
            title=data["title"],
            description=data.get("description", ""),
            estimated_value=Decimal(data["estimated_value"]),
            expected_close_date=data["expected_close_date"],
            rates=s.rates_dict(data["rates"]),
        )
        location = request.build_absolute_uri(reverse("api:deal_detail", args=[deal.pk]))
        return Response(
            deal_json(self, deal.pk), status=status.HTTP_201_CREATED, headers={"Location": location}
        )


class DealDetail(PartnerAPIView):
    @extend_schema(
        operation_id="deals_retrieve",
        responses={200: s.DealSerializer, **READ_ERRORS},
        summary=gettext_lazy("A deal"),
    )
    def get(self, request, pk):
        selectors.get_deal_for_partner(self.partner, pk)
        return Response(deal_json(self, pk))

    @extend_schema(
        operation_id="deals_resubmit",
        request=s.DealResubmitSerializer,
        responses={200: s.DealSerializer, **ERRORS},
        summary=gettext_lazy("Edit and resubmit a deal that VNG Cloud sent back (action required)"),
    )
    @idempotent
    def patch(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        data = self.valid(s.DealResubmitSerializer)
        value = data.get("estimated_value")
        resubmit_deal(
            deal,
            by=request.user,
            title=data.get("title"),
            description=data.get("description"),
            estimated_value=Decimal(value) if value is not None else None,
            expected_close_date=data.get("expected_close_date"),
            rates=s.rates_dict(data["rates"]) if "rates" in data else None,
            note=data.get("note", ""),
        )
        return Response(deal_json(self, pk))


class DealStage(PartnerAPIView):
    @extend_schema(
        operation_id="deals_stage",
        request=s.StageChangeSerializer,
        responses={200: s.StageChangeResultSerializer, **ERRORS},
        summary=gettext_lazy(
            "Move the deal to another stage; won answers with the issued discount"
        ),
    )
    @idempotent
    def post(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        data = self.valid(s.StageChangeSerializer)
        change_stage(
            deal,
            data["stage"],
            by=request.user,
            note=data.get("note", ""),
            lost_reason=data.get("lost_reason_text", ""),
            lost_reason_code=data.get("lost_reason", ""),
        )
        discount = None
        if deal.stage == deal.Stage.WON:
            discount = s.DiscountSerializer(
                get_discount_for_partner(self.partner, deal.discount.pk)
            ).data
        return Response({"deal": deal_json(self, pk), "discount": discount})


class DealNotes(PartnerAPIView):
    paginated = True
    default_sort = "-created_at"

    @extend_schema(
        operation_id="deals_notes_list",
        responses={200: s.NoteSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Notes"),
    )
    def get(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        page = self.paginate_queryset(Note.objects.filter(deal=deal).select_related("author"))
        return self.get_paginated_response(s.NoteSerializer(page, many=True).data)

    @extend_schema(
        operation_id="deals_notes_create",
        request=s.NoteInSerializer,
        responses={201: s.NoteSerializer, **ERRORS},
        summary=gettext_lazy("Add a note"),
    )
    @idempotent
    def post(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        data = self.valid(s.NoteInSerializer)
        note = post_note(deal, by=request.user, text=data["text"])
        return Response(s.NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class DealAttachments(PartnerAPIView):
    paginated = True
    parser_classes = [MultiPartParser]
    default_sort = "-uploaded_at"

    @extend_schema(
        operation_id="deals_attachments_list",
        responses={200: s.AttachmentSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Attachments"),
    )
    def get(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        files = Attachment.objects.filter(deal=deal).select_related("uploaded_by")
        page = self.paginate_queryset(files)
        data = s.AttachmentSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="deals_attachments_create",
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.UploadResultSerializer, **ERRORS},
        summary=gettext_lazy(
            "Upload files (all of them or none), checked like the portal's uploads"
        ),
    )
    @idempotent
    def post(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        data = self.valid(s.AttachmentUploadSerializer)
        try:
            saved = post_attachments(deal, by=request.user, files=data["files"], kind=data["kind"])
        except ValidationError as exc:
            return service_problem(exc, field="files")
        data = s.AttachmentSerializer(saved, many=True, context={"request": request}).data
        return Response({"attachments": data}, status=status.HTTP_201_CREATED)


class AttachmentDetail(PartnerAPIView):
    @extend_schema(
        operation_id="deals_attachments_download",
        responses={
            # The file in the type it was uploaded as (one of the types uploads accept).
            **{
                (200, content_type): OpenApiResponse(
                    response=OpenApiTypes.BINARY,
                    description=gettext_lazy("The file (local storage)."),
                )
                for content_type in DOWNLOAD_TYPES
            },
            302: OpenApiResponse(
                description=gettext_lazy("A short-lived download link (object storage).")
            ),
            **problems(400, 401, 403, 404, 413, 429),
        },
        summary=gettext_lazy("Download a file"),
    )
    def get(self, request, deal_pk, pk):
        attachment = selectors.get_attachment_for_partner(self.partner, deal_pk, pk)
        return file_download(
            attachment.file, name=attachment.original_name, content_type=attachment.content_type
        )
