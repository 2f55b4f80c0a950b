"""Every uploaded workbook is read through one row source (sop.excel.rows, python-calamine):
.xlsx, .xlsb, .xls and .ods give the same master-data rows; dates are dates in both of Excel's
date systems; a formula is read as the value Excel saved for it."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import gridfs
import pytest
from mongoengine.connection import get_db

from sop.excel.masterdata import FORMATS, HeaderError, ProblemLog, read_rows
from sop.excel.safety import inspect_upload
from sop.uploads import spooled_upload
from tests.excel.builders import (
    ods_bytes,
    workbook_bytes,
    xls_bytes,
    xlsxwriter_bytes,
)
from tests.excel.rep_workbook_variants import xlsb_workbook

PRICES = [["Customer Code", "Item Code", "Customer Price", "Effective From", "Active"],
          ["PATITO-000123", 110001, 41.75, date(2026, 3, 1), "Yes"],
          [None, None, None, None, None],
          ["ACME", "220001", 3, "2026-04", "No"]]
EXPECTED = [(2, {"customer_code": "PATITO-000123", "item_code": "110001", "price": 41.75,
                 "effective_from": date(2026, 3, 1), "active": True}),
            (4, {"customer_code": "ACME", "item_code": "220001", "price": 3.0,
                 "effective_from": date(2026, 4, 1), "active": False})]


def read(data: bytes, kind: str = "prices") -> tuple[list, ProblemLog]:
    problems = ProblemLog()
    return [(row.row, row.values) for row in read_rows(data, FORMATS[kind], problems)], problems


def _xlsb(rows: list[list]) -> bytes:
    # pyxlsbwriter writes no date cells: the date as the serial number Excel stores
    serial = [[46082 if isinstance(v, date) else v for v in row] for row in rows]
    return xlsb_workbook([("Prices", serial)])


@pytest.mark.parametrize(("kind", "build"), [
    ("xlsx", lambda rows: workbook_bytes(("Prices", rows))),
    ("xlsb", _xlsb),
    ("xls", lambda rows: xls_bytes(rows, "Prices")),
    ("ods", lambda rows: ods_bytes(rows, "Prices")),
])
def test_every_format_gives_the_same_rows(kind, build):
    data = build(PRICES)
    assert inspect_upload(data, 10 * 1024 * 1024).kind == kind
    rows, problems = read(data)
    assert rows == EXPECTED and list(problems) == []


def test_dates_of_the_1904_date_system_are_the_dates_excel_shows():
    rows, _ = read(xlsxwriter_bytes(PRICES, "Prices", date_1904=True))
    assert rows == EXPECTED


def test_a_formula_is_read_as_its_saved_value_and_formula_text_is_refused():
    sheet = [PRICES[0], ["C1", 110001, None, "2026-01", "Yes"],
             ["C2", 110001, None, "2026-01", "Yes"], ["C3", 110001, "=B2*2", "2026-01", "Yes"]]
    data = xlsxwriter_bytes(sheet, "Prices", formulas={(1, 2): ("=10*4", 40),
                                                        (2, 2): ("=1/0", "#DIV/0!")})
    rows, problems = read(data)
    assert rows[0] == (2, {"customer_code": "C1", "item_code": "110001", "price": 40.0,
                           "effective_from": date(2026, 1, 1), "active": True})
    # an error value reads as nothing (an optional price: the row keeps its other values)
    assert rows[1][0] == 3 and "price" not in rows[1][1]
    assert [(p.row, p.column, p.value) for p in problems] == [(4, "Customer Price", "=B2*2")]
    assert "formula as text" in next(iter(problems)).message


def test_a_header_below_row_1_or_right_of_column_a_is_found_where_it_is():
    """Row numbers and columns count from A1 whatever the sheet's used range."""
    shifted = [[None] * 6] + [[None, *row] for row in PRICES]
    problems = ProblemLog()
    with pytest.raises(HeaderError, match="row 1"):
        list(read_rows(workbook_bytes(("Prices", shifted)), FORMATS["prices"], problems))
    right = [[None, *row] for row in PRICES]
    rows, _ = read(workbook_bytes(("Prices", right)))
    assert rows == EXPECTED


@pytest.mark.parametrize(("kind", "build"), [
    ("xlsx", lambda rows: workbook_bytes(("Prices", rows))),
    ("xlsb", _xlsb),
    ("xls", lambda rows: xls_bytes(rows, "Prices")),
    ("ods", lambda rows: ods_bytes(rows, "Prices")),
])
def test_an_upload_read_from_gridfs_gives_the_same_rows_and_leaves_no_file(kind, build,
                                                                          app_context):
    """An import's upload is read from GridFS through a temporary file, removed after."""
    spooled = set(Path(tempfile.gettempdir()).glob("sop-upload-*"))
    file_id = gridfs.GridFS(get_db(), collection="uploads").put(build(PRICES))
    problems = ProblemLog()
    with spooled_upload("uploads", file_id) as path:
        assert path.suffix == f".{kind}"
        rows = [(row.row, row.values) for row in read_rows(path, FORMATS["prices"], problems)]
    assert rows == EXPECTED and list(problems) == []
    assert set(Path(tempfile.gettempdir()).glob("sop-upload-*")) == spooled
