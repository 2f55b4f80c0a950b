"""What a generated workbook shows, read back with openpyxl: per sheet its cells (value, type,
number format, font, fill, alignment, border, quote prefix) and its layout (frozen panes,
autofilter, merged ranges, validations, conditional formats, column widths, print setup).
The comparison test (test_writers_compared.py) holds every writer's snapshot to the one the
openpyxl writers produced before the move to XlsxWriter (golden/*.json)."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter


def _colour(colour: Any) -> str | None:
    """The RGB of a colour (its alpha dropped: openpyxl writes 00, XlsxWriter FF)."""
    if colour is None or colour.type != "rgb" or not isinstance(colour.rgb, str):
        return None
    return colour.rgb[-6:].upper()


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return f"{type(value).__name__}:{value.isoformat()}"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 3 and 3.0 are one number in a cell
    return value


def _style(cell: Any) -> list[Any]:
    font, fill, alignment = cell.font, cell.fill, cell.alignment
    return [cell.number_format,
            [bool(font.b), bool(font.i), float(font.sz or 11), _colour(font.color)],
            [fill.fill_type, _colour(fill.fgColor)] if fill.fill_type else None,
            [alignment.horizontal, alignment.vertical, bool(alignment.wrap_text)],
            cell.border.left.style if cell.border and cell.border.left else None,
            bool(cell.quotePrefix)]


PLAIN = _style(Workbook().active["A1"])


def _dxf(rule: Any) -> list[Any]:
    dxf = rule.dxf
    fill = _colour(dxf.fill.bgColor) if dxf is not None and dxf.fill is not None else None
    bold = bool(dxf.font.b) if dxf is not None and dxf.font is not None else False
    number = dxf.numFmt.formatCode if dxf is not None and dxf.numFmt is not None else None
    border = bool(dxf is not None and dxf.border is not None and dxf.border.left is not None
                  and dxf.border.left.style)
    return [rule.type, list(rule.formula), fill, bold, number, border]


def _ranges(sqref: Any) -> list[str]:
    return sorted(str(sqref).split())


def sheet_snapshot(sheet: Any) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):
                continue  # Excel shows a merged range as its first cell
            style = _style(cell)
            if cell.value is None and style == PLAIN:
                continue
            entry: list[Any] = [_value(cell.value), cell.data_type if cell.value is not None
                                else None]
            if style != PLAIN:
                entry.append(style)
            cells[cell.coordinate] = entry
    validations = sorted(
        [_ranges(v.sqref), v.type, v.formula1, bool(v.allow_blank), bool(v.showErrorMessage),
         v.error, v.errorTitle] for v in sheet.data_validations.dataValidation)
    conditional = sorted([_ranges(formats.sqref), [_dxf(rule) for rule in formats.rules]]
                         for formats in sheet.conditional_formatting)
    # XlsxWriter stores a width as Excel does (16 -> 16.71: the padding), openpyxl as given
    widths = {get_column_letter(index): int(dimension.width)
              for dimension in sheet.column_dimensions.values() if dimension.customWidth
              for index in range(dimension.min, dimension.max + 1)}
    setup = sheet.page_setup
    return {
        "freeze": sheet.freeze_panes,
        "filter": sheet.auto_filter.ref,
        "merged": sorted(str(ref) for ref in sheet.merged_cells.ranges),
        "validations": validations,
        "conditional": conditional,
        "widths": widths,
        "print": [setup.orientation, setup.fitToWidth, setup.fitToHeight,
                  bool(sheet.sheet_properties.pageSetUpPr
                       and sheet.sheet_properties.pageSetUpPr.fitToPage),
                  str(sheet.print_title_rows) if sheet.print_title_rows else None],
        "cells": cells,
    }


def snapshot(data: bytes) -> dict[str, Any]:
    """{sheet name: its snapshot}, in workbook order (the names' order is compared too)."""
    book = load_workbook(io.BytesIO(data))
    return {"sheets": book.sheetnames,
            **{sheet.title: sheet_snapshot(sheet) for sheet in book.worksheets}}
