"""Reading goods item lines from a broker's CSV or XLSX file.

Pure parsing plus the domain rules of :func:`validation.declaration_errors`: nothing is
written here. The result is either every row as service input, or a list of errors that
name the spreadsheet row, the column and what is wrong, so the trader can fix the file.
The rules are checked for all rows at once (one query per reference table), so a file
with hundreds of lines costs the same handful of queries as a file with one.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from ..choices import Unit
from .validation import ITEM_FIELDS, declaration_errors

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
COLUMNS = ITEM_FIELDS  # hs_code, description, origin_country, quantity, unit, packages, gross_mass, net_mass, value
DECIMAL_COLUMNS = {"quantity", "gross_mass", "net_mass", "value"}
HEADER_ROW = 1
TEMPLATE_ROWS = [
    COLUMNS,
    ["940360", "Wooden dining table, oak", "CN", "40", "PCE", "40", "1200.000", "1100.000", "8800.00"],
]


@dataclass(frozen=True)
class ItemImportError:
    """What is wrong with one cell (or, with ``column`` empty, one row or the whole file)."""

    row: int
    column: str
    message: str


def _header_name(value) -> str:
    return re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())


def _is_xlsx(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _csv_rows(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise ValueError(_("The file is not a text (CSV) file in UTF-8 or GB 18030."))
    # The header row tells the separator: spreadsheets set to a European locale write ";".
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ValueError(_("The file is not a readable XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _cell_text(value, column: str) -> str:
    """A cell as text; spreadsheet numbers come as int/float and are written without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        value = int(value) if value.is_integer() and column not in DECIMAL_COLUMNS else value
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = str(value)
    if column == "hs_code" and isinstance(value, int | float) and len(text) % 2:
        text = "0" + text  # a spreadsheet number lost the leading zero of chapters 01–09
    return text.strip()


def _parse_cell(column: str, text: str):
    """The cell's value as the services take it, or raise ValueError with what is wrong."""
    if column == "hs_code":
        code = re.sub(r"[\s.]", "", text)
        if not code.isdigit():
            raise ValueError(_("“%(value)s” is not an HS code: digits only, e.g. 940360.") % {"value": text})
        return code
    if column == "origin_country":
        return text.upper()
    if column == "unit":
        unit = text.upper()
        if unit not in Unit.values:
            raise ValueError(
                _("“%(value)s” is not a unit; use one of %(units)s.") % {"value": text, "units": ", ".join(Unit.values)}
            )
        return unit
    if column == "packages":
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text})
        return int(number)
    if column in DECIMAL_COLUMNS:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": text})
        return number
    return text


def item_rows_parse(file) -> tuple[list[dict], list[ItemImportError]]:
    """Read goods items from a CSV or XLSX file (its first sheet).

    The first row names the columns (``hs_code``, ``description``, ``origin_country``,
    ``quantity``, ``unit``, ``packages``, ``gross_mass``, ``net_mass``, ``value``; order
    free, case and spaces ignored, unknown columns ignored). Empty rows are skipped.
    Returns ``(items, [])`` when every row is valid, else ``([], errors)`` with the
    spreadsheet row number (the header is row 1) and column of each problem.
    """
    content = file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return [], [ItemImportError(0, "", _("The file is larger than 5 MB; split it into several files."))]
    try:
        rows = _xlsx_rows(content) if _is_xlsx(content[:4]) else _csv_rows(content)
    except ValueError as error:
        return [], [ItemImportError(0, "", str(error))]
    except csv.Error as error:
        return [], [ItemImportError(0, "", _("The file could not be read as CSV: %(error)s") % {"error": error})]
    if not rows:
        return [], [ItemImportError(HEADER_ROW, "", _("The file is empty."))]

    positions = {}
    for position, name in enumerate(rows[0]):
        positions.setdefault(_header_name(name), position)
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        return [], [
            ItemImportError(
                HEADER_ROW, column, _("The column “%(column)s” is missing from the first row.") % {"column": column}
            )
            for column in missing
        ]

    errors: list[ItemImportError] = []
    unreadable: set[tuple[int, str]] = set()
    items: list[dict] = []
    row_numbers: list[int] = []
    for row_number, row in enumerate(rows[1:], start=HEADER_ROW + 1):
        cells = {
            column: _cell_text(row[positions[column]] if positions[column] < len(row) else None, column)
            for column in COLUMNS
        }
        if not any(cells.values()):
            continue
        if len(items) >= MAX_IMPORT_ROWS:
            errors.append(
                ItemImportError(row_number, "", _("At most %(max)d lines per file.") % {"max": MAX_IMPORT_ROWS})
            )
            break
        item = {}
        for column, text in cells.items():
            if text == "":
                item[column] = None
                continue
            try:
                item[column] = _parse_cell(column, text)
            except ValueError as error:
                errors.append(ItemImportError(row_number, column, str(error)))
                unreadable.add((row_number, column))
                item[column] = None
        items.append(item)
        row_numbers.append(row_number)
    if not items and not errors:
        return [], [ItemImportError(HEADER_ROW + 1, "", _("The file has no item lines below the column names."))]

    # The same rules as the form and the API, for all rows at once; only the item rules apply here.
    rule_errors = declaration_errors({}, items, [], complete=True)
    for key, messages in rule_errors.items():
        parts = key.split(".")
        if parts[0] != "items" or len(parts) != 3:
            continue
        index, column = int(parts[1]), parts[2]
        if (row_numbers[index], column) in unreadable:
            continue  # already reported as unreadable; the rules then only see an empty cell
        for message in messages:
            errors.append(ItemImportError(row_numbers[index], column, message))
    if errors:
        order = {column: position for position, column in enumerate(COLUMNS)}
        errors.sort(key=lambda error: (error.row, order.get(error.column, -1)))
        return [], errors
    return items, []


def item_import_template_csv() -> str:
    """The downloadable template: the column names and one example line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(TEMPLATE_ROWS)
    return buffer.getvalue()
