"""The user's notifications: /notifications/, mark read, mark all read, e-mail preferences.

Partner users and staff alike have notifications, so these views need a login, not a partner.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import selectors, services
from notifications.forms import PreferenceForm
from notifications.messages import message
from notifications.models import Preference
from notifications.recipients import kinds_heard_by
from partners.access import not_suspended
from web.paging import whole_number


@not_suspended
def notification_list(request):
    before = request.GET.get("before", "")
    rows, next_cursor = selectors.inbox_page(request.user, before=whole_number(before))
    in_admin = services.reads_in_admin(request.user)
    items = [
        {
            "row": row,
            "text": message(row.event),
            "url": services.link_for(row.event, in_admin=in_admin),
        }
        for row in rows
    ]
    ctx = {"items": items, "next_cursor": next_cursor, "is_first_page": not before}
    return render(request, "notifications/notification_list.html", ctx)


@not_suspended
@require_POST
def notification_read(request, pk):
    notification = selectors.get_notification_for(request.user, pk)
    services.mark_read(notification, by=request.user)
    target = request.POST.get("next", "")
    if _is_local_path(request, target):
        return HttpResponseRedirect(target)
    return redirect("notification_list")


def _is_local_path(request, target: str) -> bool:
    """A path on this site ("/deals/?stage=won"): never another host or scheme, and never a
    bare word, which redirect() would try as a view name (a 500, or somewhere unexpected)."""
    return target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


@not_suspended
@require_POST
def notification_read_all(request):
    count = services.mark_all_read(user=request.user)
    messages.success(request, _("%(n)d notification(s) marked read.") % {"n": count})
    return redirect("notification_list")


@not_suspended
def notification_settings(request):
    preference = Preference.objects.filter(user=request.user).first() or Preference()
    form = PreferenceForm(
        request.POST or None, preference=preference, kinds=kinds_heard_by(request.user)
    )
    if request.method == "POST" and form.is_valid():
        services.save_preference(
            user=request.user,
            language=form.cleaned_data["language"],
            email_kinds=form.email_kinds(),
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_settings")
    return render(request, "notifications/settings.html", {"form": form})
