"""discounts/, discounts/{id}/, discounts/{id}/customer-discounts/, customers/, products/."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as InputError
from rest_framework.response import Response

from api import serializers as s
from api.errors import service_problem
from api.idempotency import idempotent
from api.views.base import PartnerAPIView, UpdatedSinceMixin
from api.views.deals import CONDITIONAL_GET, ERRORS, NOT_MODIFIED, READ_ERRORS
from deals.models import Product
from discounts import selectors, services
from partners import selectors as partner_selectors
from partners.models import Customer


class DiscountList(UpdatedSinceMixin, PartnerAPIView):
    paginated = True
    query_serializer = s.DiscountQuerySerializer
    default_sort = "-created_at"

    @extend_schema(
        operation_id="discounts_list",
        parameters=[s.DiscountQuerySerializer],
        responses={200: s.DiscountSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("The partner's discounts, newest first"),
    )
    def get(self, request):
        discounts = selectors.filter_discounts(
            selectors.discounts_for_partner(self.partner),
            status=self.query().get("status", ""),
        )
        discounts = self.changed_since(discounts)
        page = self.paginate_queryset(discounts)
        return self.get_paginated_response(s.DiscountSerializer(page, many=True).data)


class DiscountDetail(PartnerAPIView):
    @extend_schema(
        operation_id="discounts_retrieve",
        **CONDITIONAL_GET,
        responses={200: s.DiscountSerializer, **NOT_MODIFIED, **READ_ERRORS},
        summary=gettext_lazy("A discount"),
    )
    def get(self, request, pk):
        discount = selectors.get_discount_for_partner(self.partner, pk)
        return Response(s.DiscountSerializer(discount).data)


def _customer_discount_json(discount, pk) -> dict:
    return s.CustomerDiscountSerializer(selectors.customer_discounts_of(discount).get(pk=pk)).data


class CustomerDiscountList(PartnerAPIView):
    paginated = True
    default_sort = "-created_at"

    @extend_schema(
        operation_id="customer_discounts_list",
        responses={200: s.CustomerDiscountSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Customer discounts drawn on a discount, revoked ones included"),
    )
    def get(self, request, pk):
        discount = selectors.get_discount_for_partner(self.partner, pk)
        page = self.paginate_queryset(selectors.customer_discounts_of(discount))
        return self.get_paginated_response(s.CustomerDiscountSerializer(page, many=True).data)

    @extend_schema(
        operation_id="customer_discounts_create",
        request=s.CustomerDiscountInSerializer,
        responses={201: s.CustomerDiscountSerializer, **ERRORS},
        summary=gettext_lazy(
            "Give one of your customers a discount drawn on this one (admins' tokens)"
        ),
    )
    @idempotent
    def post(self, request, pk):
        discount = selectors.get_discount_for_partner(self.partner, pk)
        data = self.valid(s.CustomerDiscountInSerializer)
        codes = {line.product.code: line.product_id for line in discount.lines.all()}
        rates, rename = {}, {}
        for item in data["rates"]:
            code = item["product"].code
            key = codes.get(code, code)
            if key in rates:
                raise InputError({"rates": [_("List each product once.")]})
            rates[key] = item["rate"]
            rename[services.rate_field(key)] = f"rates.{code}"
        customer = Customer.objects.filter(pk=data["customer"]).first()
        if customer is None:
            raise ValidationError({"customer": _("This company is not one of your customers now.")})
        try:
            created = services.create_customer_discount(
                discount,
                by=request.user,
                customer=customer,
                rates=rates,
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            return service_problem(exc, rename=rename)
        return Response(
            _customer_discount_json(discount, created.pk), status=status.HTTP_201_CREATED
        )


class CustomerDiscountDetail(PartnerAPIView):
    @extend_schema(
        operation_id="customer_discounts_retrieve",
        **CONDITIONAL_GET,
        responses={200: s.CustomerDiscountSerializer, **NOT_MODIFIED, **READ_ERRORS},
    )
    def get(self, request, pk, cd_pk):
        customer_discount = selectors.get_customer_discount_for_partner(self.partner, pk, cd_pk)
        return Response(_customer_discount_json(customer_discount.discount, cd_pk))


class CustomerDiscountRevoke(PartnerAPIView):
    @extend_schema(
        operation_id="customer_discounts_revoke",
        request=None,
        responses={200: s.CustomerDiscountSerializer, **ERRORS},
        summary=gettext_lazy("Revoke a customer discount (admins' tokens); it stays as history"),
    )
    @idempotent
    def post(self, request, pk, cd_pk):
        self.no_body()
        customer_discount = selectors.get_customer_discount_for_partner(self.partner, pk, cd_pk)
        services.revoke_customer_discount(customer_discount, by=request.user)
        return Response(_customer_discount_json(customer_discount.discount, cd_pk))


class CustomerList(UpdatedSinceMixin, PartnerAPIView):
    paginated = True
    query_serializer = s.CustomerQuerySerializer
    default_sort = "name"

    @extend_schema(
        operation_id="customers_list",
        parameters=[s.CustomerQuerySerializer],
        responses={200: s.CustomerSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("The customers the partner owns now, by name"),
    )
    def get(self, request):
        customers = partner_selectors.search_customers(
            partner_selectors.owned_customers(self.partner), self.query().get("q", "")
        )
        customers = self.changed_since(customers)
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(s.CustomerSerializer(page, many=True).data)


class CustomerDetail(PartnerAPIView):
    @extend_schema(
        operation_id="customers_retrieve",
        **CONDITIONAL_GET,
        responses={200: s.CustomerDetailSerializer, **NOT_MODIFIED, **READ_ERRORS},
        summary=gettext_lazy("A customer"),
    )
    def get(self, request, pk):
        customer = partner_selectors.get_customer_for_partner(self.partner, pk)
        return Response(s.CustomerDetailSerializer(customer).data)


class ProductList(PartnerAPIView):
    paginated = True
    default_sort = "name"

    @extend_schema(
        operation_id="products_list",
        responses={200: s.ProductSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Products offered now (their codes name the rates)"),
    )
    def get(self, request):
        page = self.paginate_queryset(Product.objects.filter(is_active=True))
        return self.get_paginated_response(s.ProductSerializer(page, many=True).data)
