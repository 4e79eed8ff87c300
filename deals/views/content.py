"""Notes and attachments on a deal: add a note, add files, download a file."""

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from deals import selectors
from partners.selectors import partner_required


@require_GET
@partner_required
def attachment_download(request, deal_pk, pk):
    """The partner's file, always as a download; another partner's id answers 404."""
    attachment = selectors.get_attachment_for_partner(request.partner, deal_pk, pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@partner_required
def note_add(request, pk):
    """Placeholder until the notes/attachments issue lands."""
    raise Http404


@partner_required
def attachment_add(request, pk):
    """Placeholder until the notes/attachments issue lands."""
    raise Http404
