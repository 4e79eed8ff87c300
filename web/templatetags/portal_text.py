"""Text filters for the portal's pages."""

from django import template

from web.useragents import describe

register = template.Library()


@register.filter
def browser(user_agent) -> str:
    """A User-Agent header as a person names the browser: "Chrome on Linux"."""
    return describe(user_agent)
