"""deals/batch/: up to 100 registrations in one call, each through register_deal in its own
transaction, each with its own result and, with a `key`, its own idempotency."""

import json
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as InputError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api import serializers as s
from api.errors import _flatten, problem, service_problem, validation_problem
from api.idempotency import idempotent
from api.models import IdempotencyKey
from api.services import IDEMPOTENCY_TTL
from api.views.base import PartnerAPIView
from api.views.deals import ERRORS, deal_read
from deals.services import register_deal
from web.digests import sha256_hex

# Item keys live beside the Idempotency-Key header's keys of the same token, in their own
# namespace: an item key never replays a single call's answer, nor the other way round.
KEY_PREFIX = "batch-item:"


def _fingerprint(raw_deal) -> str:
    body = json.dumps(raw_deal, sort_keys=True, cls=JSONEncoder, default=str)
    return sha256_hex(body)


class DealBatch(PartnerAPIView):
    @extend_schema(
        operation_id="deals_batch_create",
        request=s.DealBatchSerializer,
        responses={200: s.DealBatchResultSerializer, **ERRORS},
        summary=gettext_lazy("Register up to 100 deals in one call, each with its own result"),
        description=gettext_lazy(
            "Each item goes through the same rules as POST /api/v1/deals/, in its own "
            "transaction and in order: one refused item leaves the others registered. A body "
            "that does not match the schema is refused whole (400). The call counts once "
            "against the rate limit."
        ),
    )
    @idempotent
    def post(self, request):
        data = self.valid(s.DealBatchSerializer)
        raw_items = request.data["items"]
        results = [
            self._item(index, item, raw_items[index]["deal"])
            for index, item in enumerate(data["items"])
        ]
        return Response({"results": results})

    def _item(self, index, item, raw_deal) -> dict:
        key = item.get("key")
        result = {"index": index, "key": key, "replayed": False}
        if key is None:
            code, body = self._register(item["deal"])
        else:
            code, body, replayed = self._register_once(key, item["deal"], raw_deal)
            result["replayed"] = replayed
        created = status.is_success(code)
        return {
            **result,
            "status": code,
            "deal": body if created else None,
            "problem": None if created else body,
        }

    def _register(self, deal) -> tuple[int, dict]:
        """(201, the deal's JSON), or (the single call's status, its problem)."""
        try:
            with transaction.atomic():
                registered = register_deal(
                    partner=self.partner,
                    by=self.request.user,
                    customer_tax_code=deal["customer_tax_code"],
                    customer_name=deal.get("customer_name", ""),
                    title=deal["title"],
                    description=deal.get("description", ""),
                    estimated_value=Decimal(deal["estimated_value"]),
                    expected_close_date=deal["expected_close_date"],
                    rates=s.rates_dict(deal["rates"]),
                    external_id=deal.get("external_id"),
                )
        except ValidationError as exc:
            answer = service_problem(exc)
            return answer.status_code, answer.data
        except InputError as exc:
            answer = validation_problem(_flatten(exc.get_full_details()))
            return answer.status_code, answer.data
        return status.HTTP_201_CREATED, deal_read(self, registered.pk)[0]

    def _register_once(self, key, deal, raw_deal) -> tuple[int, dict, bool]:
        """As `_register`, once per item key: the key's row is claimed in the item's
        transaction (see api.idempotency), and only a registration is kept."""
        token, stored_key, print_ = self.request.auth, KEY_PREFIX + key, _fingerprint(raw_deal)
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                token=token, key=stored_key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
            ).delete()
            try:
                with transaction.atomic():
                    claim = IdempotencyKey.objects.create(
                        token=token, key=stored_key, fingerprint=print_, status_code=0
                    )
            except IntegrityError:
                return self._replay(IdempotencyKey.objects.get(token=token, key=stored_key), print_)
            code, body = self._register(deal)
            if not status.is_success(code):
                claim.delete()
                return code, body, False
            claim.status_code, claim.response = code, body
            claim.save(update_fields=["status_code", "response"])
            return code, body, False

    def _replay(self, stored, print_) -> tuple[int, dict, bool]:
        if stored.fingerprint != print_:
            answer = problem(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                _("This item key was already used with another deal. Use a new key."),
                title=_("Item key reused"),
                kind="idempotency-key-reused",
                code="idempotency_key_reused",
            )
            return answer.status_code, answer.data, False
        return stored.status_code, stored.response, True
