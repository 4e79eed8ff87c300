"""cloud-accounts/, cloud-accounts/{id}/, cloud-accounts/{id}/top-ups/ (partners)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from api import billing_serializers as s
from api.idempotency import idempotent
from api.views.base import PartnerAPIView
from api.views.deals import ERRORS, READ_ERRORS
from billing import selectors
from billing.services.accounts import request_cloud_account
from billing.services.credit import top_up
from partners import selectors as partner_selectors


class CloudAccountList(PartnerAPIView):
    paginated = True
    created_location = True  # a request answers 201 with Location (declared in the schema)
    default_sort = "-created_at"

    @extend_schema(
        operation_id="cloud_accounts_list",
        responses={200: s.CloudAccountSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Your customers' VNG Cloud accounts, newest request first"),
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.cloud_accounts_for_partner(self.partner))
        return self.get_paginated_response(s.CloudAccountSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cloud_accounts_create",
        request=s.CloudAccountInSerializer,
        responses={201: s.CloudAccountSerializer, **ERRORS},
        summary=gettext_lazy(
            "Ask to link a customer's VNG Cloud account (or a new one); the customer confirms "
            "by e-mail, then VNG Cloud approves. Another partner's customer is 404. Send an "
            "Idempotency-Key so a retry asks once"
        ),
    )
    @idempotent
    def post(self, request):
        data = self.valid(s.CloudAccountInSerializer)
        # Another partner's customer answers 404, as its id does everywhere in the API.
        customer = partner_selectors.get_customer_for_partner(
            self.partner, data.pop("customer"), in_force=False
        )
        account = request_cloud_account(
            partner=self.partner, customer=customer, by=request.user, **data
        )
        location = request.build_absolute_uri(
            reverse("api:cloud_account_detail", args=[account.pk])
        )
        return Response(
            s.CloudAccountSerializer(account).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class CloudAccountDetail(PartnerAPIView):
    @extend_schema(
        operation_id="cloud_accounts_retrieve",
        responses={200: s.CloudAccountSerializer, **READ_ERRORS},
        summary=gettext_lazy("A cloud account, its status and the credit applied"),
    )
    def get(self, request, pk):
        account = selectors.get_cloud_account_for_partner(self.partner, pk)
        return Response(s.CloudAccountSerializer(account).data)


class CloudAccountTopUps(PartnerAPIView):
    paginated = True
    default_sort = "-created_at"

    @extend_schema(
        operation_id="cloud_account_top_ups_list",
        responses={200: s.TopUpSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("Your top-ups of this account, newest first"),
    )
    def get(self, request, pk):
        account = selectors.get_cloud_account_for_partner(self.partner, pk)
        page = self.paginate_queryset(selectors.top_ups_of(account, self.partner))
        return self.get_paginated_response(s.TopUpSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cloud_account_top_ups_create",
        request=s.TopUpInSerializer,
        responses={201: s.TopUpSerializer, **ERRORS},
        summary=gettext_lazy(
            "Top the account up from your credit balance (admins' tokens); send an "
            "Idempotency-Key so a retry never tops up twice"
        ),
    )
    @idempotent
    def post(self, request, pk):
        account = selectors.get_cloud_account_for_partner(self.partner, pk)
        data = self.valid(s.TopUpInSerializer)
        made = top_up(
            account, partner=self.partner, amount=data["amount"], note=data["note"], by=request.user
        )
        return Response(s.TopUpSerializer(made).data, status=status.HTTP_201_CREATED)
