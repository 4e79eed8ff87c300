"""deals/, deals/{id}/, deals/{id}/stage/, deals/{id}/notes/, deals/{id}/attachments/."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api import serializers as s
from api.errors import PROBLEM_JSON, service_problem
from api.etags import if_match_version, is_stale, precondition_failed, quoted
from api.idempotency import idempotent
from api.views.base import PartnerAPIView, UpdatedSinceMixin
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
    set_external_id,
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

# Conditional requests (api.etags), declared where they apply.
ETAG = OpenApiParameter(
    "ETag",
    str,
    OpenApiParameter.HEADER,
    response=[200, 201, 304, 412],
    description=gettext_lazy(
        "The resource's version: send it back in If-None-Match (GET) or If-Match (changes)."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    description=gettext_lazy("The ETag you hold: 304 without a body while it is current."),
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description=gettext_lazy(
        "The deal's ETag you read: the change is made only if the deal is still at that "
        "version, else 412 with the current deal. `*` or none: no condition."
    ),
)
NOT_MODIFIED = {
    304: OpenApiResponse(description=gettext_lazy("Not modified: your copy is current."))
}
CONDITIONAL_GET = {"parameters": [IF_NONE_MATCH, ETAG]}
STALE = {
    (412, PROBLEM_JSON): OpenApiResponse(
        response=s.StaleProblemSerializer,
        description=gettext_lazy("The deal changed since the version in If-Match."),
    )
}


def deals_with_details(partner):
    """The partner's deals with everything a deal's JSON shows, in two queries."""
    return (
        selectors.deals_for_partner(partner)
        .select_related("discount")
        .prefetch_related(
            Prefetch("discount_rules", queryset=DiscountRule.objects.select_related("product"))
        )
    )


def deal_read(view, pk) -> tuple[dict, str]:
    """The deal's JSON and its ETag, from one read."""
    deal = deals_with_details(view.partner).get(pk=pk)
    return s.DealSerializer(deal).data, quoted(deal.version)


def deal_response(view, pk, *, status_code=200, headers=None) -> Response:
    data, etag = deal_read(view, pk)
    return Response(data, status=status_code, headers={"ETag": etag, **(headers or {})})


def stale_or_raise(view, pk, exc):
    """A stale If-Match is 412 with the current deal; any other refusal goes on up."""
    if not is_stale(exc):
        raise exc
    data, etag = deal_read(view, pk)
    return precondition_failed(data, etag)


class DealList(UpdatedSinceMixin, PartnerAPIView):
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
        if filters.get("external_id"):
            deals = deals.filter(external_id=filters["external_id"].strip())
        deals = self.changed_since(deals)
        page = self.paginate_queryset(deals)
        return self.get_paginated_response(s.DealSerializer(page, many=True).data)

    @extend_schema(
        operation_id="deals_create",
        request=s.DealRegisterSerializer,
        parameters=[ETAG],
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
            external_id=data.get("external_id"),
        )
        location = request.build_absolute_uri(reverse("api:deal_detail", args=[deal.pk]))
        return deal_response(
            self, deal.pk, status_code=status.HTTP_201_CREATED, headers={"Location": location}
        )


class DealDetail(PartnerAPIView):
    @extend_schema(
        operation_id="deals_retrieve",
        **CONDITIONAL_GET,
        responses={200: s.DealSerializer, **NOT_MODIFIED, **READ_ERRORS},
        summary=gettext_lazy("A deal"),
    )
    def get(self, request, pk):
        selectors.get_deal_for_partner(self.partner, pk)
        return deal_response(self, pk)

    @extend_schema(
        operation_id="deals_resubmit",
        request=s.DealResubmitSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: s.DealSerializer, **ERRORS, **STALE},
        summary=gettext_lazy(
            "Set your external_id (any deal), or edit and resubmit a deal that VNG Cloud sent "
            "back (action required)"
        ),
        description=gettext_lazy(
            'A body with only `external_id` sets (or, with null or "", clears) your id of the '
            "deal, whatever its status. Any other field resubmits the deal, which must be "
            "waiting for your changes; `external_id` beside them is saved with them, or "
            "neither is."
        ),
    )
    @idempotent
    def patch(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        version = if_match_version(request)
        data = self.valid(s.DealResubmitSerializer)
        try:
            self._edit(deal, data, version)
        except ValidationError as exc:
            return stale_or_raise(self, pk, exc)
        return deal_response(self, pk)

    @transaction.atomic
    def _edit(self, deal, data, version):
        # The first service call checks the version on the locked row; the lock is held
        # to the end of this transaction, so the second needs no check of its own.
        if "external_id" in data:
            set_external_id(
                deal,
                by=self.request.user,
                external_id=data.pop("external_id"),
                expected_version=version,
            )
            if not data:
                return
            version = None
        value = data.get("estimated_value")
        resubmit_deal(
            deal,
            by=self.request.user,
            title=data.get("title"),
            description=data.get("description"),
            estimated_value=Decimal(value) if value is not None else None,
            expected_close_date=data.get("expected_close_date"),
            rates=s.rates_dict(data["rates"]) if "rates" in data else None,
            note=data.get("note", ""),
            expected_version=version,
        )


class DealStage(PartnerAPIView):
    @extend_schema(
        operation_id="deals_stage",
        request=s.StageChangeSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: s.StageChangeResultSerializer, **ERRORS, **STALE},
        summary=gettext_lazy(
            "Move the deal to another stage; won answers with the issued discount"
        ),
    )
    @idempotent
    def post(self, request, pk):
        deal = selectors.get_deal_for_partner(self.partner, pk)
        version = if_match_version(request)
        data = self.valid(s.StageChangeSerializer)
        try:
            change_stage(
                deal,
                data["stage"],
                by=request.user,
                note=data.get("note", ""),
                lost_reason=data.get("lost_reason_text", ""),
                lost_reason_code=data.get("lost_reason", ""),
                expected_version=version,
            )
        except ValidationError as exc:
            return stale_or_raise(self, pk, exc)
        discount = None
        if deal.stage == deal.Stage.WON:
            discount = s.DiscountSerializer(
                get_discount_for_partner(self.partner, deal.discount.pk)
            ).data
        data, etag = deal_read(self, pk)
        # The deal's new ETag, for a next change with If-Match.
        return Response({"deal": data, "discount": discount}, headers={"ETag": etag})


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
