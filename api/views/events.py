"""events/: the partner's events from the outbox, oldest first, for a CRM to poll."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema

from api import selectors
from api import serializers as s
from api.views.base import PartnerAPIView
from api.views.deals import READ_ERRORS


class EventList(PartnerAPIView):
    paginated = True
    query_serializer = s.EventQuerySerializer
    default_sort = "pk"

    @extend_schema(
        operation_id="events_list",
        parameters=[s.EventQuerySerializer],
        responses={200: s.EventSerializer(many=True), **READ_ERRORS},
        summary=gettext_lazy("The partner's events, oldest first (the webhooks' JSON)"),
        description=gettext_lazy(
            "Poll with `after` = the last event id you have processed (the last page has no "
            "`next` link); `type` narrows to one kind of event."
        ),
    )
    def get(self, request):
        query = self.query()
        events = selectors.events_for_partner(
            self.partner, type=query.get("type", ""), after=query.get("after")
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)
