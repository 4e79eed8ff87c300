"""`{% activity_log_url original %}`: the activity log in admin, filtered to one object."""

from urllib.parse import urlencode

from django import template
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

register = template.Library()


@register.simple_tag
def activity_log_url(obj) -> str:
    """A partner's page lists everything about the partner; a membership's, its person's
    entries (role and access changes are logged on the person); any other object, its own."""
    url = reverse("admin:notifications_activity_changelist")
    label = obj._meta.label
    if label == "partners.Partner":
        return f"{url}?{urlencode({'partner__id__exact': obj.pk})}"
    if label == "partners.Membership":
        obj = obj.user
    content_type = ContentType.objects.get_for_model(obj)
    return f"{url}?{urlencode({'content_type': content_type.pk, 'object_id': obj.pk})}"
