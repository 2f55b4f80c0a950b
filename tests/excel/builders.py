"""Workbooks built by the tests themselves (no binary fixtures in the repository)."""

from __future__ import annotations

import io
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
