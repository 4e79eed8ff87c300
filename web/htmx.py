"""One way for every sub-screen (a form in the modal) to answer, for any app.

htmx asks for the form as a partial that fills the modal; without JavaScript the same URL
answers a full page. After a successful POST both end on the page the form belongs to
(post/redirect/get): htmx through django-htmx's client redirect, a plain browser by a 302.
"""

from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


def form_response(request, *, page: str, partial: str, ctx: dict, invalid: bool = False):
    """The form: the modal partial for htmx, the page otherwise.

    An invalid form answers 200 to htmx (htmx swaps only 2xx answers) and 400 to a plain
    browser, so both show the errors in place.
    """
    if request.htmx:
        response = render(request, partial, ctx)
    else:
        response = render(request, page, ctx, status=400 if invalid else 200)
    patch_vary_headers(response, ("HX-Request",))
    return response


def done(request, url: str):
    """After a successful change: load `url` (the success message shows there)."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
