"""Admin's navigation by staff task: Review, Programme, Partners, Deals, Discounts,
Deliveries, and System for the internals (sign-in records, two-factor devices, tokens,
sessions). The index lists the models in these groups instead of one box per Django app, and
every admin page shows the groups as a bar under the header (admin/base_site.html).
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# (anchor, name, models by "app_label.ModelName"); a model in no group goes to System.
GROUPS = (
    ("partners", _("Partners"), (
        "partners.Partner", "partners.Membership", "partners.User", "partners.Contract",
        "accounts.Invitation", "partners.Customer", "partners.CustomerOwnership",
        "notifications.Activity",
    )),
    ("deals", _("Deals"), ("deals.Deal", "deals.Product", "deals.DayOff")),
    ("discounts", _("Discounts"), ("discounts.Discount", "discounts.CustomerDiscount")),
    ("billing", _("Billing"), (
        "billing.CloudAccount", "billing.TopUp", "billing.CreditEntry", "billing.PartnerCredit",
        "billing.ServiceToken",
    )),
    ("statements", _("Statements"), (
        "statements.Statement", "statements.Consumption", "statements.Adjustment",
        "statements.EInvoice",
    )),
    ("deliveries", _("Deliveries"), (
        "notifications.Event", "notifications.Delivery", "notifications.WebhookDelivery",
        "notifications.WebhookEndpoint", "notifications.Preference",
    )),
)  # fmt: skip
SYSTEM = ("system", _("System"))
# Pages of their own (issue 22's review queue and programme view), linked when they exist.
PAGES = (("admin:review_queue", _("Review")), ("admin:programme", _("Programme")))


def group_app_list(get_app_list):
    """Wrap AdminSite.get_app_list: the whole list regrouped by task; one app's list (its
    own page, /admin/<app>/) as Django makes it."""

    def grouped(request, app_label=None):
        apps = get_app_list(request, app_label)
        if app_label is not None:
            return apps
        models = {
            f"{app['app_label']}.{m['object_name']}": m for app in apps for m in app["models"]
        }
        groups = []
        for anchor, name, labels in GROUPS:
            rows = [models.pop(label) for label in labels if label in models]
            if rows:
                groups.append(_group(anchor, name, rows))
        if models:
            # Libraries' models named without gettext ("Authenticators") are translated in
            # locale_allauth.
            for model in models.values():
                model["name"] = gettext(str(model["name"]))
            groups.append(_group(*SYSTEM, sorted(models.values(), key=lambda m: m["name"])))
        return groups

    return grouped


def _group(anchor, name, models) -> dict:
    return {
        "name": name,
        "app_label": anchor,
        "app_url": f"{reverse('admin:index')}#{anchor}",
        "has_module_perms": True,
        "models": models,
    }


def staff_groups(request) -> list[dict]:
    """The bar under admin's header: the task pages, then the groups of the index."""
    links = []
    for url_name, name in PAGES:
        try:
            links.append({"name": name, "url": reverse(url_name)})
        except NoReverseMatch:
            continue
    index = reverse("admin:index")
    links += [{"name": name, "url": f"{index}#{anchor}"} for anchor, name, _m in GROUPS]
    links.append({"name": SYSTEM[1], "url": f"{index}#{SYSTEM[0]}"})
    for link in links:
        link["current"] = link["url"] == request.path
    return links
