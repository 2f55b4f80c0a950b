"""The master-data reader: header variants, dates, bad values, duplicates, formulas."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sop.excel.import_files import template_workbook
from sop.excel.masterdata import FORMATS, HeaderError, ProblemLog, read_rows
from tests.excel.builders import workbook_bytes

SALES_HEADER = ["Customer Code*", "Item Code*", "Year*", "Month*", "Quantity*", "Unit Price",
                "Sales*", "COGS", "Gross Profit"]


def read(kind: str, *sheets):
    problems = ProblemLog()
    rows = list(read_rows(workbook_bytes(*sheets), FORMATS[kind], problems))
    return rows, list(problems)


@pytest.mark.parametrize("header", [
    ["Item Code*", "Description*", "UoM*"],
    ["item code", "DESCRIPTION", " UoM "],
    ["  Item   Code ", "Description *", "uom*"],
    ["UoM", "Description", "Item Code", "Unknown extra"],  # reordered, extra column ignored
])
def test_headers_match_whatever_the_case_stars_spaces_and_order(header):
    values = {"Item Code": "110001", "Description": "Peeled Garlic", "UoM": "CS"}
    row = [next((v for k, v in values.items() if k.lower() in " ".join(h.lower().split())),
                None) for h in header]
    rows, problems = read("products", ("Items", [header, row]))
    assert problems == []
    assert rows[0].values == {"item_code": "110001", "description": "Peeled Garlic",
                              "uom": "CS"}


def test_a_missing_required_column_names_it_and_lists_what_was_found():
    with pytest.raises(HeaderError) as error:
        read("products", ("Items", [["Item Code", "Descr"], ["110001", "x"]]))
    message = str(error.value)
    assert "Required: Item Code, Description, UoM" in message
    assert "'Items': Item Code, Descr" in message


def test_the_example_sheet_of_the_template_is_never_imported():
    problems = ProblemLog()
    rows = list(read_rows(template_workbook(FORMATS["customers"]), FORMATS["customers"],
                          problems))
    assert rows == [] and list(problems) == []


@pytest.mark.parametrize(("cell", "expected"), [
    (datetime(2026, 3, 17), date(2026, 3, 1)),
    (46098, date(2026, 3, 1)),  # an Excel serial number for 2026-03-15
    ("2026-03", date(2026, 3, 1)),
    ("2026-3", date(2026, 3, 1)),
    ("2026-03-31", date(2026, 3, 1)),
])
def test_effective_from_accepts_every_date_form(cell, expected):
    rows, problems = read("prices", ("Prices", [["Customer Code", "Item Code", "Effective From"],
                                                ["PATITO-000001", 110001, cell]]))
    assert problems == [] and rows[0].values["effective_from"] == expected


@pytest.mark.parametrize("cell", ["03/04/2025", "March 2025", "2025-13", -5])
def test_ambiguous_or_impossible_dates_are_row_errors(cell):
    rows, problems = read("prices", ("Prices", [["Customer Code", "Item Code", "Effective From"],
                                                ["PATITO-000001", 110001, cell]]))
    assert rows == []
    [problem] = problems
    assert (problem.sheet, problem.row, problem.column) == ("Prices", 2, "Effective From")
    assert problem.value == cell and "YYYY-MM" in problem.message


def test_sales_take_year_and_month_or_one_month_column():
    with_year, p1 = read("sales", ("Sales", [SALES_HEADER,
                                             ["C1", "110001", 2025, 12, 5, 2.0, 10, None, None]]))
    single, p2 = read("sales", ("Sales", [["Customer Code", "Item Code", "Month", "Quantity",
                                           "Sales"], ["C1", "110001", "2025-12", 5, 10],
                                          ["C1", "110002", datetime(2026, 1, 1), 1, 2]]))
    assert p1 == [] and p2 == []
    assert with_year[0].values["month"] == "2025-12"
    assert [r.values["month"] for r in single] == ["2025-12", "2026-01"]
    assert single[1].values["year"] == 2026


def test_bad_values_are_reported_cell_by_cell():
    rows, problems = read("sales", ("Sales", [
        SALES_HEADER,
        ["C1", "110001", 2025, 1, -5, 2.0, 10, None, None],        # negative quantity
        ["C1", "11000A", 2025, 2, 5, 2.0, 10, None, None],         # bad item code
        ["C1", "110001", 2025, 13, 5, 2.0, 10, None, None],        # month out of range
        ["C1", "110001", 2025, 4, "lots", 2.0, 10, None, None],    # not a number
        ["C1", "110001", 2025, 5, 5, 2.0, "=A1*2", None, None],    # a formula never computed
        ["", "110001", 2025, 6, 5, 2.0, 10, None, None],           # required missing
        ["C1", "110001", 2025, 7, "1,234.5", "$2.00", 10, None, None],  # fine
    ]))
    assert [r.row for r in rows] == [8]
    assert rows[0].values["quantity"] == 1234.5 and rows[0].values["unit_price"] == 2.0
    found = {(p.row, p.column): p.message for p in problems}
    assert "Negative values are not allowed" in found[(2, "Quantity")]
    assert "exactly 6 digits" in found[(3, "Item Code")]
    assert "from 1 to 12" in found[(4, "Month")]
    assert "Enter a number" in found[(5, "Quantity")]
    assert "Sales is required" in found[(6, "Sales")]  # no saved value: a blank to Excel too
    assert "Customer Code is required" in found[(7, "Customer Code")]


def test_duplicate_keys_name_the_first_row():
    rows, problems = read("products", ("Items", [
        ["Item Code", "Description", "UoM"], [110001, "A", "CS"], [110002, "B", "CS"],
        [110001, "C", "CS"]]))
    assert [r.row for r in rows] == [2, 3]
    [problem] = problems
    assert problem.row == 4 and "as row 2" in problem.message


def test_html_is_kept_as_text_and_blank_rows_are_skipped():
    rows, problems = read("customers", ("Customers", [
        ["Customer Code", "Customer Name"], ["C1", "<script>alert(1)</script>"], [None, None],
        ["C2", "Plain"]]))
    assert problems == []
    assert [r.values["name"] for r in rows] == ["<script>alert(1)</script>", "Plain"]


def test_active_flags_and_emails():
    rows, problems = read("customers", ("Customers", [
        ["Customer Code", "Customer Name", "Active", "Sales Rep Email"],
        ["C1", "A", "no", "Rep@Example.com"], ["C2", "B", "perhaps", "x"]]))
    assert rows[0].values["active"] is False and rows[0].values["rep_email"] == "rep@example.com"
    assert {p.column for p in problems} == {"Active", "Sales Rep Email"}


def test_the_problem_log_counts_everything_but_keeps_a_bounded_list():
    log = ProblemLog(keep=2)
    rows = [["Item Code", "Description", "UoM"]] + [["bad", "x", "CS"]] * 5
    assert list(read_rows(workbook_bytes(("Items", rows)), FORMATS["products"], log)) == []
    assert log.errors == 5 and len(list(log)) == 2


def _with_dimension(data: bytes, dimension: bytes | None) -> bytes:
    """The workbook with its sheets' <dimension> replaced (or removed, when None)."""
    import io
    import re
    import zipfile

    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', dimension or b"",
                                         content)
                assert count == 1
            target.writestr(item, content)
    return buffer.getvalue()


@pytest.mark.parametrize("dimension", [None, b'<dimension ref="A1:B2"/>'])
def test_a_sheet_without_or_with_a_wrong_size_is_read_whole(dimension):
    rows = [SALES_HEADER] + [["PATITO-000001", "110001", 2026, month, 10, 2.5, 25]
                             for month in range(1, 13)]
    data = _with_dimension(workbook_bytes(("Sales", rows)), dimension)
    problems = ProblemLog()
    read_back = list(read_rows(data, FORMATS["sales"], problems))
    assert list(problems) == []
    assert [r.values["month"] for r in read_back] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert read_back[-1].values == {"customer_code": "PATITO-000001", "item_code": "110001",
                                    "year": 2026, "month": "2026-12", "quantity": 10.0,
                                    "unit_price": 2.5, "sales": 25.0}


BOUND = "A number must be at most 1,000,000,000,000 (10^12); check the number."


@pytest.mark.parametrize("cell, message", [
    ("nan", "Enter a number, like 1234.5."), ("inf", "Enter a number, like 1234.5."),
    ("-Infinity", "Enter a number, like 1234.5."), ("sNaN", "Enter a number, like 1234.5."),
    ("\u0663", "Enter a number, like 1234.5."),  # an Arabic-Indic 3: float() would take it
    ("1e999", BOUND), (1e308, BOUND), (2e12, BOUND)])
def test_non_finite_foreign_and_absurd_numbers_are_refused(cell, message):
    rows, problems = read("sales", ("Sales", [
        SALES_HEADER, ["C1", "110001", 2025, 1, cell, 2.0, 10, None, None]]))
    assert rows == []
    assert [(p.column, p.message) for p in problems] == [("Quantity", message)]



def test_a_long_file_reads_the_same_whether_its_rows_are_clean_or_not():
    """Blocks of clean rows are checked column by column, others row by row: a file of both
    reads every good row with the same values and names each problem's row."""
    good = [["PATITO-000001", 110001 + n // 12, 2024, n % 12 + 1, float(n % 7), 2.5, float(n),
             1.0, 1.5] for n in range(6000)]
    rows = [SALES_HEADER, *good[:3000], good[10], *good[3000:5500],
            [*good[5500][:4], -1.0, *good[5500][5:]], *good[5501:]]
    parsed, problems = read("sales", ("Sales", rows))
    assert [(p.row, p.column, p.value) for p in problems] == [
        (3002, "customer_code", "PATITO-000001 / 110001 / 2024 / 2024-11"),
        (5503, "Quantity", -1.0)]
    assert "as row 12" in problems[0].message

    def expected(n: int) -> dict:
        return {"customer_code": "PATITO-000001", "item_code": str(110001 + n // 12),
                "year": 2024, "month": f"2024-{n % 12 + 1:02d}", "quantity": float(n % 7),
                "unit_price": 2.5, "sales": float(n), "cogs": 1.0, "gross_profit": 1.5}

    assert len(parsed) == 5999 and parsed[-1].row == 6002
    assert [(r.row, r.values) for r in parsed[:2]] == [(2, expected(0)), (3, expected(1))]
    assert (parsed[4999].row, parsed[4999].values) == (5002, expected(4999))  # row by row
    assert parsed[5499].values == expected(5499) and parsed[5500].values == expected(5501)
