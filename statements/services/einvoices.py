"""E-invoice references on statements and top-ups: recorded by staff (admin) or billing
(internal API), never issued here.

The PDF goes through the files package's checks (`deals.files.checks.check_upload`: size,
real type, active content) and must be a PDF. The files package refuses markup on purpose (a
browser would run it), so the XML is checked here instead: within the same size limit, parsed
by defusedxml (well-formed, no DTD, no entities). Both are stored through the same orphan-safe
storing (`deals.files.storing`), under einvoices/<partner>/<random>/<name>.
"""

import hashlib
import uuid

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.files.checks import CheckedFile, check_upload
from deals.files.names import ALLOWED, FileType, clean_name, key_name, megabytes
from deals.files.storing import StoredFiles, store
from notifications.activity import record_activity
from statements.documents import enqueue_documents
from statements.models import NUMBER_WIDTH, EInvoice, invoice_number_forms

XML = FileType("application/xml", "XML", (".xml",))
STAFF_ONLY = gettext_lazy("Only VNG Cloud staff or billing can record e-invoices.")
FIELDS = ("form", "series", "number", "authority_code", "buyer_tax_code", "issued_on")
DUPLICATE_NUMBER = gettext_lazy("This form, series and number is already recorded.")


def _key(partner_id, name: str) -> str:
    return f"einvoices/{partner_id}/{uuid.uuid4().hex}/{key_name(name)}"


def check_pdf(upload) -> CheckedFile:
    try:
        checked = check_upload(upload)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        if error.error_list[0].code == "bad_type":
            # Its message lists every type a deal's attachment may have: here only a PDF.
            raise _not_a_pdf() from None
        # The files package's refusals (too large, corrupt, ...) name no field: this is the PDF.
        raise ValidationError({"pdf": error.error_list}) from None
    if checked.content_type != ALLOWED["pdf"].content_type:
        raise _not_a_pdf()
    return checked


def _not_a_pdf() -> ValidationError:
    # The code inside: a dict's own `code` is dropped.
    return ValidationError(
        {"pdf": ValidationError(_("The invoice's PDF must be a PDF file."), code="bad_type")}
    )


def check_xml(upload) -> CheckedFile:
    name = clean_name(getattr(upload, "name", "") or "invoice.xml")
    size = upload.size or 0
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "xml": _("The XML is larger than %(mb)s MB.")
                % {"mb": megabytes(settings.ATTACHMENT_MAX_BYTES)}
            },
            code="too_large",
        )
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if not data.strip():
        raise ValidationError({"xml": _("The XML file is empty.")}, code="empty")
    try:
        ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError, LookupError):
        # LookupError: an encoding the XML declaration names that Python does not know.
        raise ValidationError(
            {"xml": _("The invoice's XML is not a well-formed XML document.")}, code="bad_type"
        ) from None
    if not name.lower().endswith(".xml"):
        name += ".xml"
    return CheckedFile(upload, name, XML, len(data), hashlib.sha256(data).hexdigest())


def _check_invoiced(statement, top_up, issued_on, buyer_tax_code) -> None:
    """An e-invoice of a top-up is issued for money paid: the top-up applied (not one waiting
    for billing, nor a failed one). Any e-invoice is issued on a day that has come, and not
    before what it invoices: a statement's month, a top-up's request. Its buyer is the
    partner (`_is_the_buyer`). Each refusal is keyed by its field and has its code."""
    if top_up is not None and top_up.status != top_up.Status.APPLIED:
        raise ValidationError(
            {"top_up": ValidationError(
                _("Only an applied top-up has an e-invoice; this one is %(status)s.")
                % {"status": top_up.get_status_display().lower()},
                code="not_invoiced")}
        )  # fmt: skip
    if issued_on is not None and issued_on > timezone.localdate():
        raise ValidationError(
            {"issued_on": ValidationError(
                _("An e-invoice is issued on a day that has come."), code="future")}
        )  # fmt: skip
    first = statement.month if statement else timezone.localdate(top_up.created_at)
    if issued_on is not None and issued_on < first:
        raise ValidationError(
            {"issued_on": ValidationError(
                _("The e-invoice is dated before what it invoices: %(day)s at the earliest.")
                % {"day": date_format(first, "SHORT_DATE_FORMAT")},
                code="too_early")}
        )  # fmt: skip
    partner_tax_code = (statement or top_up).partner.tax_code
    if buyer_tax_code and not _is_the_buyer(partner_tax_code, buyer_tax_code):
        raise ValidationError(
            {"buyer_tax_code": ValidationError(
                _("The buyer is the partner: its tax code %(tax_code)s, or a branch's "
                  "(%(tax_code)s-NNN).") % {"tax_code": partner_tax_code[:10]}
                if len(partner_tax_code) == 10
                else _("The buyer is the partner: its tax code %(tax_code)s.")
                % {"tax_code": partner_tax_code},
                code="not_the_partner")}
        )  # fmt: skip


def _is_the_buyer(partner_tax_code: str, buyer_tax_code: str) -> bool:
    """The partner's own tax code, or, for a head office (10 digits), one of its branches'
    (the same 10, then -NNN). A partner that is itself a branch is its own code only."""
    if buyer_tax_code == partner_tax_code:
        return True
    return len(partner_tax_code) == 10 and buyer_tax_code.startswith(partner_tax_code + "-")


def record_einvoice(
    *, statement=None, top_up=None, by=None, token=None, pdf=None, xml=None, **fields
) -> EInvoice:
    """Record an e-invoice of a statement or a top-up (exactly one of them).

    Effects: staff (`by`) or billing (`token`) only; the fields checked (form 1-6, a series
    such as C26TAA, a number of at most 8 digits, the buyer's tax code of 10 digits or 10+3:
    the partner's or its branch's; issued between what it invoices and today);
    the files checked, then stored; one EInvoice (a form, series and number is recorded once);
    activity `einvoice.recorded`; a statement's PDFs (which list its e-invoices) drawn again
    after commit. A refusal leaves nothing in storage.
    """
    if token is None and not getattr(by, "is_staff", False):
        raise PermissionDenied(str(STAFF_ONLY))
    if (statement is None) == (top_up is None):
        raise ValidationError(_("An e-invoice belongs to one statement or one top-up."))
    owner = statement or top_up
    _check_invoiced(statement, top_up, fields.get("issued_on"), fields.get("buyer_tax_code"))
    number = (fields.get("number") or "").strip()
    if number.isascii() and number.isdigit() and len(number) <= NUMBER_WIDTH:
        # One invoice however its number was typed: kept as printed, with its leading zeros.
        fields["number"] = number.zfill(NUMBER_WIDTH)
    invoice = EInvoice(
        statement=statement,
        top_up=top_up,
        partner_id=owner.partner_id,
        recorded_by=by if token is None else None,
        recorded_by_token=token,
        **{name: fields.get(name) or "" for name in FIELDS if name != "issued_on"},
        issued_on=fields.get("issued_on"),
    )
    if EInvoice.objects.filter(
        form=invoice.form,
        series=invoice.series,
        number__in=invoice_number_forms(invoice.number),  # and one recorded before the zeros
    ).exists():
        raise ValidationError({"number": ValidationError(DUPLICATE_NUMBER, code="duplicate")})
    invoice.full_clean(exclude=["pdf", "xml", "statement", "top_up", "partner"])
    checked = [
        ("pdf", check_pdf(pdf) if pdf else None),
        ("xml", check_xml(xml) if xml else None),
    ]
    with StoredFiles() as stored:
        for field, item in checked:
            if item is not None:
                name, _thumb = store(item, key=_key(owner.partner_id, item.name), stored=stored)
                getattr(invoice, field).name = name
        try:
            with transaction.atomic():
                invoice.save()
                stored.keep()
                record_activity(
                    action="einvoice.recorded",
                    actor=by if token is None else None,
                    obj=invoice,
                    data={"number": f"{invoice.form}{invoice.series} {invoice.number}"},
                )
                if statement is not None:
                    enqueue_documents(statement)
        except IntegrityError:
            raise ValidationError(
                {"number": ValidationError(DUPLICATE_NUMBER, code="duplicate")}
            ) from None
    return invoice
