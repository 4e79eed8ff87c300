"""CSV downloads that Excel opens correctly and safely, for any app's list page."""

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation

# A cell starting with one of these is run as a formula by Excel or LibreOffice
# (CSV/formula injection); a leading apostrophe makes it plain text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    if isinstance(value, int | float | Decimal):
        # A number, negative ones too, is written as one: "-50000" stays a number Excel
        # adds up (an apostrophe made a statement's negative adjustment text).
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download `<name>-<date>.csv`: UTF-8 with a BOM so Excel reads Vietnamese names."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{name}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response


class _Line:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_streaming_response(
    name: str, header: Sequence[str], rows: Iterable[Sequence]
) -> StreamingHttpResponse:
    """Like csv_response, but each row is sent as it is made: memory stays flat however many
    rows there are (pass a queryset's .iterator()).

    The rows are made while the response is sent, after the view and the middleware that
    chose the reader's language have returned: they are made in that language again here,
    or a stage would read "Tiềm năng" in an English file.
    """
    writer = csv.writer(_Line())
    language = translation.get_language()

    def lines():
        with translation.override(language):
            yield "\ufeff" + writer.writerow([safe_cell(cell) for cell in header])
            for row in rows:
                yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"{name}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
