"""statements/ and statements/{id}/ (partners); consumption/ and e-invoices/ (billing)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api import statements_serializers as s
from api.views.base import PartnerAPIView
from api.views.deals import ERRORS, READ_ERRORS
from api.views.internal import InternalAPIView
from billing.models import TopUp
from statements import selectors
from statements.models import Consumption, Statement
from statements.services.consumption import record_consumption
from statements.services.einvoices import record_einvoice


class StatementList(PartnerAPIView):
    paginated = True
    default_sort = "-month"

    @extend_schema(
        operation_id="statements_list",
        responses={200: s.StatementSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Your monthly statements (sent ones), newest month first"),
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.statements_for_partner(self.partner))
        data = s.StatementSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class StatementDetail(PartnerAPIView):
    @extend_schema(
        operation_id="statements_retrieve",
        responses={200: s.StatementDetailSerializer, **READ_ERRORS},
        summary=gettext_lazy("A statement: totals, e-invoices, and where its lines are"),
    )
    def get(self, request, pk):
        statement = selectors.get_statement_for_partner(self.partner, pk)
        statement.ordered_einvoices = list(selectors.einvoices_of(statement))
        return Response(s.StatementDetailSerializer(statement, context={"request": request}).data)


class StatementLines(PartnerAPIView):
    paginated = True
    default_sort = "pk"  # drafting creates the lines in reading order

    @extend_schema(
        operation_id="statement_lines_list",
        responses={200: s.StatementLineSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy(
            "A statement's lines by customer and product (adjustments first), a page at a time"
        ),
    )
    def get(self, request, pk):
        statement = selectors.get_statement_for_partner(self.partner, pk)
        page = self.paginate_queryset(selectors.paged_lines(statement))
        return self.get_paginated_response(s.StatementLineSerializer(page, many=True).data)


class ConsumptionBatch(InternalAPIView):
    @extend_schema(
        operation_id="internal_consumption_create",
        request=s.ConsumptionInSerializer,
        responses={200: s.ConsumptionReportSerializer, **ERRORS},
        summary=gettext_lazy(
            "Consumption per account, day and product: stored once each (a new value replaces "
            "the day's), refused rows reported by number"
        ),
    )
    def post(self, request):
        data = self.valid(s.ConsumptionInSerializer)
        report = record_consumption(data["rows"], source=Consumption.Source.API, token=self.token)
        return Response(report.as_dict())


class EInvoiceCreate(InternalAPIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="internal_einvoices_create",
        request={"multipart/form-data": s.EInvoiceInSerializer},
        responses={201: s.EInvoiceSerializer, **ERRORS},
        summary=gettext_lazy(
            "Record the e-invoice of a statement or a top-up, with its PDF and XML"
        ),
    )
    def post(self, request):
        data = self.valid(s.EInvoiceInSerializer)
        statement_id, top_up_id = data.pop("statement", None), data.pop("top_up", None)
        statement = None if statement_id is None else get_object_or_404(Statement, pk=statement_id)
        top_up = None if top_up_id is None else get_object_or_404(TopUp, pk=top_up_id)
        made = record_einvoice(statement=statement, top_up=top_up, token=self.token, **data)
        return Response(s.EInvoiceSerializer(made).data, status=status.HTTP_201_CREATED)


class StatementPDF(PartnerAPIView):
    query_serializer = s.PDFQuerySerializer

    @extend_schema(
        operation_id="statements_pdf",
        parameters=[s.PDFQuerySerializer],
        responses={(200, "application/pdf"): bytes, **READ_ERRORS},
        summary=gettext_lazy("The statement as a PDF (lang=vi or en)"),
    )
    def get(self, request, pk):
        from statements.documents import download

        statement = selectors.get_statement_for_partner(self.partner, pk)
        return download(statement, self.query().get("lang") or "vi")


class EInvoiceFile(PartnerAPIView):
    @extend_schema(
        operation_id="einvoices_file",
        responses={(200, "application/octet-stream"): bytes, **READ_ERRORS},
        summary=gettext_lazy("An e-invoice's PDF or XML (kind: pdf or xml)"),
    )
    def get(self, request, pk, kind):
        from django.http import Http404

        from web.downloads import file_download

        invoice = selectors.get_einvoice_for_partner(self.partner, pk)
        stored = invoice.pdf if kind == "pdf" else invoice.xml if kind == "xml" else None
        if not stored:
            raise Http404
        content_type = "application/pdf" if kind == "pdf" else "application/xml"
        name = f"e-invoice-{invoice.form}{invoice.series}-{invoice.number}.{kind}"
        return file_download(stored, name=name, content_type=content_type)
