"""Workbooks built by the tests themselves (no binary fixtures in the repository)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook


def workbook_bytes(*sheets: tuple[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsxwriter_bytes(rows: list[list[Any]], title: str = "Sheet1", date_1904: bool = False,
                     formulas: dict[tuple[int, int], tuple[str, Any]] | None = None) -> bytes:
    """An .xlsx written by XlsxWriter (as Excel writes one: dates formatted, formulas with
    their saved value): `formulas[(row, column)]` = (formula, saved value or "" for none),
    0-based; `date_1904`: the Mac date system."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"date_1904": date_1904, "strings_to_formulas": False,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet(title)
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, dated)
            elif value is not None:
                sheet.write(r, c, value)
    for (r, c), (formula, saved) in (formulas or {}).items():
        sheet.write_formula(r, c, formula, None, saved)
    book.close()
    return buffer.getvalue()


def xls_bytes(rows: list[list[Any]], title: str = "Sheet1") -> bytes:
    """A legacy .xls (BIFF8) written by xlwt, a test-only dependency."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet(title)
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, dated)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ods_bytes(rows: list[list[Any]], title: str = "Sheet1") -> bytes:
    """A minimal OpenDocument spreadsheet, as LibreOffice stores one (mimetype first)."""
    import zipfile
    from xml.sax.saxutils import escape, quoteattr

    def cell(value: Any) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, date):
            return (f'<table:table-cell office:value-type="date" '
                    f'office:date-value="{value.isoformat()}"/>')
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}'
                "</text:p></table:table-cell>")

    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>"
                   for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet><table:table table:name={quoteattr(title)}>{body}"
        "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"),
                         "application/vnd.oasis.opendocument.spreadsheet")  # stored
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()
