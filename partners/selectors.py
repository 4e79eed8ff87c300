"""Reads scoped to a partner: the one place that decides what a partner user may see."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404, redirect, render

from partners.models import Customer, CustomerOwnership, Membership, Partner


def membership_of(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("partner").get(user=user)
    except Membership.DoesNotExist:
        return None


def partner_required(view):
    """Login, then a membership of an active partner; sets request.partner and .membership.

    Staff without a membership are sent to admin; anybody else without one gets a page that
    says so (403), never a crash.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = membership_of(request.user)
        if membership is None:
            if request.user.is_staff:
                return redirect("admin:index")
            return render(request, "partners/no_partner.html", status=403)
        if membership.partner.status != Partner.Status.ACTIVE:
            ctx = {"suspended_partner": membership.partner}
            return render(request, "partners/no_partner.html", ctx, status=403)
        request.membership = membership
        request.partner = membership.partner
        return view(request, *args, **kwargs)

    return wrapper


def owned_customers(partner: Partner) -> QuerySet[Customer]:
    """Customers the partner owns now, with `ownership` set to the active link."""
    active = CustomerOwnership.objects.filter(partner=partner, ended_at__isnull=True)
    return (
        Customer.objects.filter(ownerships__in=active)
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=active.select_related("deal"),
                to_attr="active_ownerships",
            )
        )
        .distinct()
    )


def get_customer_for_partner(partner: Partner, pk) -> Customer:
    return get_object_or_404(owned_customers(partner), pk=pk)


def active_ownership(customer: Customer) -> CustomerOwnership | None:
    return customer.ownerships.filter(ended_at__isnull=True).select_related("partner").first()
