"""The portal's URLs plus the floor page the benchmarks compare every page with.

The floor is the least a partner page can do: a login_required view, one indexed query (the
partner's 25 newest deals) rendered as a table. Each page's time is reported as a ratio to
the floor's, timed interleaved in the same run, so a busy shared machine moves both alike.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Subquery
from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from deals.models import Deal
from partners.models import Membership

FLOOR = engines["django"].from_string(
    "<!doctype html><html><head><title>floor</title></head><body><table>"
    "{% for d in deals %}<tr><td>{{ d.title }}</td><td>{{ d.estimated_value }}</td>"
    "<td>{{ d.stage }}</td><td>{{ d.updated_at }}</td></tr>{% endfor %}</table></body></html>"
)


@login_required
def floor(request):
    # The partner id as a subquery: one statement, and the (partner, updated_at, id) index.
    partner = Membership.objects.filter(user=request.user).values("partner_id")[:1]
    deals = Deal.objects.filter(partner_id=Subquery(partner)).order_by("-updated_at", "-pk")[:25]
    return HttpResponse(FLOOR.render({"deals": deals}, request))


class QueryCountMiddleware:
    """Answers every request with X-Queries: the number of SQL statements it ran."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Queries"] = str(count)
        return response


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("partner_portal.urls")),
]
