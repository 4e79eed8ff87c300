"""Notes and attachments on a deal: add a note, add files, download a file or its thumbnail."""

import logging

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from deals import selectors
from deals.content_forms import AttachmentForm, NoteForm
from deals.files import thumbnails
from deals.services.content import post_attachments, post_note
from partners.access import partner_required
from web.downloads import file_download, open_stored, private
from web.htmx import form_response
from web.submissions import Outcome, submit_once

logger = logging.getLogger(__name__)


def _show_error(form, exc: ValidationError, field: str | None = None):
    """A service's refusal on the form: field errors on their fields, the rest on `field`."""
    form.add_error(None if hasattr(exc, "error_dict") else field, exc)


@require_http_methods(["GET", "POST"])
@partner_required
def note_add(request, pk):
    """Add a note to the partner's open deal (modal for htmx, page otherwise)."""
    deal = selectors.get_deal_for_partner(request.partner, pk)
    form = NoteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():

        def write():
            post_note(deal, by=request.user, text=form.cleaned_data["text"])
            return Outcome(url=deal.get_absolute_url(), message=_("Note added."))

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            _show_error(form, exc)
    return form_response(
        request,
        page="deals/note_form.html",
        partial="deals/_note_form.html",
        ctx={"deal": deal, "form": form},
        invalid=form.is_bound,
    )


@require_http_methods(["GET", "POST"])
@partner_required
def attachment_add(request, pk):
    """Attach files to the partner's open deal: all of the batch or none of it."""
    deal = selectors.get_deal_for_partner(request.partner, pk)
    form = (
        AttachmentForm(request.POST, request.FILES)
        if request.method == "POST"
        else AttachmentForm()
    )
    if request.method == "POST" and form.is_valid():

        def write():
            saved = post_attachments(
                deal,
                by=request.user,
                files=form.cleaned_data["files"],
                kind=form.cleaned_data["kind"],
            )
            message = ngettext(
                "%(count)s file attached.", "%(count)s files attached.", len(saved)
            ) % {"count": len(saved)}
            return Outcome(url=deal.get_absolute_url(), message=message)

        try:
            return submit_once(request, write)
        except ValidationError as exc:
            _show_error(form, exc, field="files")
    return form_response(
        request,
        page="deals/attachment_form.html",
        partial="deals/_attachment_form.html",
        ctx={"deal": deal, "form": form},
        invalid=form.is_bound,
    )


@require_GET
@partner_required
def attachment_download(request, deal_pk, pk):
    """The partner's file, always as a download under its original name.

    Another partner's id answers 404. Local storage streams the file through this view;
    object storage answers a redirect to a presigned URL valid for AWS_QUERYSTRING_EXPIRE
    seconds, which makes the bucket send the same download headers.
    """
    attachment = selectors.get_attachment_for_partner(request.partner, deal_pk, pk)
    return download_response(attachment)


def download_response(attachment):
    """The attachment as a download under its original name (callers check who may see it;
    staff get here from admin)."""
    return file_download(
        attachment.file, name=attachment.original_name, content_type=attachment.content_type
    )


@require_GET
@partner_required
def attachment_thumbnail(request, deal_pk, pk):
    """The thumbnail we made of an image, shown inline in the timeline.

    Served through the app (not a presigned URL) because the page's CSP allows images from
    this origin only. It is our own re-encoded PNG or JPEG, never the uploaded bytes. While
    storage cannot give it (endpoint down), a placeholder image stands in, not an error page.
    """
    attachment = selectors.get_attachment_for_partner(request.partner, deal_pk, pk)
    if not attachment.thumbnail:
        raise Http404
    name = attachment.thumbnail.name
    try:
        # Read whole (a thumbnail is a few kilobytes), so a storage failure surfaces here and
        # not half-way through a streamed response.
        with open_stored(attachment.thumbnail) as stored:
            data, content_type = stored.read(), thumbnails.thumbnail_content_type(name)
    except Http404:
        raise
    except Exception:
        logger.exception("thumbnail %s could not be read from storage", name)
        data, content_type = thumbnails.placeholder(), "image/png"
    return private(HttpResponse(data, content_type=content_type))
