"""A statement as a PDF, in Vietnamese or English, drawn with fpdf2 and the DejaVu fonts
shipped in statements/fonts/ (Vietnamese glyphs; no network, no system fonts)."""

from pathlib import Path

from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from statements import selectors

FONTS = Path(__file__).resolve().parent / "fonts"


def _money(value) -> str:
    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def _rate(value) -> str:
    return number_format(value, decimal_pos=2, use_l10n=True) + " %"


WIDTHS = (62, 36, 40, 28, 18, 28, 18, 28, 20)
ROW = 5  # mm


def _fit(text: str, width: float, per_char: float = 1.55) -> str:
    """Cut `text` to its column (7.5 pt DejaVu: about 1.55 mm a character)."""
    most = int(width / per_char)
    return text if len(text) <= most else text[: most - 1] + "…"


def _header(pdf, head) -> None:
    pdf.set_font("DejaVu", "B", 6)
    for width, text in zip(WIDTHS, head, strict=True):
        pdf.cell(width, ROW + 1, _fit(text, width, per_char=1.3), border=1)
    pdf.ln(ROW + 1)


def render_statement_pdf(statement, *, language: str = "vi") -> bytes:
    with translation.override(language):
        return _draw(statement)


def _draw(statement) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creator("VNG Cloud Partner Portal")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    month = date_format(statement.month, "YEAR_MONTH_FORMAT")
    title = _("Statement of %(month)s") % {"month": month}
    pdf.set_title(title)
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, "VNG Cloud — " + title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    partner = statement.partner
    pdf.cell(
        0,
        6,
        f"{_('Partner')}: {partner.name} ({_('tax code')} {partner.tax_code})",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        0,
        6,
        f"{_('Status')}: {statement.get_status_display()}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    head = (
        _("Customer"),
        _("Product"),
        _("Days"),
        _("Consumption (VND)"),
        _("Partner rate"),
        _("Partner discount"),
        _("Customer rate"),
        _("Customer discount"),
        _("Commission"),
    )
    _header(pdf, head)
    pdf.set_font("DejaVu", "", 7.5)
    # One cell per value, not fpdf2's table: the busiest partner's statement has some 15,000
    # lines, which the table laid out in 79 s (plain cells: 9 s, bench/RESULTS.md).
    for line in selectors.lines_of(statement):
        if pdf.will_page_break(ROW):
            pdf.add_page()
            _header(pdf, head)
            pdf.set_font("DejaVu", "", 7.5)
        if line.kind == line.Kind.ADJUSTMENT:
            label = _("Adjustment") + ": " + line.description
            cells = (
                _fit(label, sum(WIDTHS[:3])),
                _money(line.consumption),
                "",
                _money(line.amount),
            )
            widths = (sum(WIDTHS[:3]), WIDTHS[3], sum(WIDTHS[4:8]), WIDTHS[8])
        else:
            cells = (
                _fit(f"{line.customer.name} · {line.customer.tax_code}", WIDTHS[0]),
                _fit(line.product.display_name, WIDTHS[1]),
                f"{date_format(line.first_day, 'SHORT_DATE_FORMAT')} – "
                f"{date_format(line.last_day, 'SHORT_DATE_FORMAT')}",
                _money(line.consumption),
                _rate(line.partner_rate),
                _money(line.partner_discount),
                _rate(line.customer_rate),
                _money(line.customer_discount),
                _money(line.amount),
            )
            widths = WIDTHS
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, ROW, text, border=1)
        pdf.ln(ROW)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 10)
    for label, value in (
        (_("Consumption"), statement.consumption),
        (_("Partner discount"), statement.partner_discount),
        (_("Customer discounts passed on"), -statement.customer_discount),
        (_("Adjustments"), statement.adjustments),
    ):
        pdf.cell(90, 6, label)
        pdf.cell(50, 6, _money(value) + " ₫", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(90, 7, _("Commission"))
    pdf.cell(50, 7, _money(statement.total) + " ₫", align="R", new_x="LMARGIN", new_y="NEXT")
    invoices = list(selectors.einvoices_of(statement))
    if invoices:
        pdf.ln(3)
        pdf.set_font("DejaVu", "", 9)
        for invoice in invoices:
            pdf.cell(
                0,
                5,
                _("E-invoice %(form)s%(series)s no. %(number)s of %(date)s")
                % {
                    "form": invoice.form,
                    "series": invoice.series,
                    "number": invoice.number,
                    "date": date_format(invoice.issued_on, "SHORT_DATE_FORMAT"),
                },
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())
