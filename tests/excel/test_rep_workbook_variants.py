"""Reading rep workbooks as reps really send them (DOMAIN.md §5.1 variants (a)-(e), .xlsb)."""

from __future__ import annotations

import io
import zipfile

import pytest

from sop.excel.masterdata import ProblemLog
from sop.excel.rep_workbook import (
    PROBABILITY_TEXTS,
    CustomerSheet,
    map_probability,
    read_rep_workbook,
)
from sop.excel.safety import UnsafeWorkbook, inspect_upload
from sop.models.forecast import PROBABILITIES
from tests.excel.rep_workbook_variants import (
    Row,
    Sheet,
    real_workbook,
    sheet_rows,
    with_cached_values,
    xlsb_as_formula,
    xlsb_workbook,
)

NONE16 = [None] * 16


def read(data: bytes) -> tuple[dict[str, CustomerSheet], ProblemLog]:
    problems = ProblemLog()
    sheets = read_rep_workbook(data, problems)
    return {sheet.name: sheet for sheet in sheets}, problems


def issues(problems: ProblemLog) -> list[tuple[str, int, str, object, str]]:
    """Errors and warnings (notes say how the file was read: see `notes`)."""
    return [(p.sheet, p.row, p.column, p.value, p.severity) for p in problems
            if p.severity != "note"]


def notes(problems: ProblemLog) -> list[tuple[str, int, str, object, str]]:
    return [(p.sheet, p.row, p.column, p.value, p.message) for p in problems
            if p.severity == "note"]


def lines(sheet: CustomerSheet) -> dict[str, tuple]:
    return {ln.item_code: (ln.probability, ln.new_item, ln.qty, ln.price) for ln in sheet.lines}


def qty(*values: float) -> list[float]:
    return [float(v) for v in values] + [0.0] * (16 - len(values))


def test_standard_sheets_with_awkward_names_and_the_other_sheets_ignored():
    names = ["O'Brien & Sons, Inc. ", "A.B. FOODS", "ZERO CO  "]
    data = real_workbook([
        Sheet(names[0], [Row(110001, [100, 120.5, None, 80], [41.5, 41.5], PROBABILITIES[0]),
                         Row(220001, [0, 0, 3])]),
        Sheet(names[1], [Row(110002, [], [None, 9.99], PROBABILITIES[3])],
              new_rows=[Row(990001, [5, 5], [], "HIGH RISK", "Black garlic 1 lb  ")]),
        Sheet(names[2], [Row(110001, [0, 0], [0])]),  # all zeros: a customer, no lines
    ])
    sheets, problems = read(data)
    assert list(sheets) == names  # Summary, Budget, Sheet1 and Average are not customers
    assert lines(sheets[names[0]]) == {
        "110001": (0, False, qty(100, 120.5, 0, 80), [41.5, 41.5] + [None] * 14),
        "220001": (None, False, qty(0, 0, 3), NONE16),
    }
    assert lines(sheets[names[1]]) == {  # 110002 has a price and no volume: not a line
        "990001": (3, True, qty(5, 5), NONE16),
    }
    assert [(sheet, row) for sheet, row, *_ in notes(problems)] == [(names[1], 9)]
    new = sheets[names[1]].lines[0]
    assert new.description == "Black garlic 1 lb" and new.row == 15
    assert sheets[names[2]].lines == []
    assert issues(problems) == [("A.B. FOODS", 15, "F", "HIGH RISK", "warning")]


def test_variant_a_single_price_in_y_for_every_month_and_sales_in_z_ignored():
    data = real_workbook([Sheet("SINGLE", [Row(110001, [10, 20], single_price=3.25),
                                           Row(220001, [0, 0, 1], single_price=7),
                                           Row(330001, [], single_price=8)],
                                variant="single")])
    sheets, problems = read(data)
    assert sheets["SINGLE"].price_source == "single"
    assert lines(sheets["SINGLE"]) == {
        "110001": (None, False, qty(10, 20), [3.25] * 16),  # F "Avg" is not a probability
        "220001": (None, False, qty(0, 0, 1), [7.0] * 16),
    }
    assert issues(problems) == []
    assert [row for _, row, *_ in notes(problems)] == [11]  # 330001: a price, no volume


def test_variant_b_prices_come_from_the_summary_price_column_by_item_code():
    data = real_workbook(
        [Sheet("NO PRICES", [Row(110002, [4, 4]), Row(330001, [1])], variant="no_prices"),
         Sheet("HAS PRICES", [Row(110002, [1], [2.5])])],
        summary={"prices": {110002: 31.5, 110001: 12.0}})
    sheets, problems = read(data)
    assert sheets["NO PRICES"].price_source == "summary"
    assert lines(sheets["NO PRICES"]) == {
        "110002": (None, False, qty(4, 4), [31.5] * 16),
        "330001": (None, False, qty(1), NONE16),  # no Summary price: none
    }
    # an item with a Summary price but no volume is not a line of that customer
    assert "110001" not in lines(sheets["NO PRICES"])
    assert lines(sheets["HAS PRICES"])["110002"][3][0] == 2.5
    assert list(problems) == []


def test_variant_b_a_formula_price_on_the_summary_is_not_read_and_says_so():
    data = real_workbook([Sheet("NO PRICES", [Row(110002, [4]), Row(110001, [1])],
                                variant="no_prices")],
                         summary={"prices": {110002: "=VLOOKUP(D9,Prices!A:B,2,0)",
                                             110001: 12.0, 220001: "=1/0"}})
    sheets, problems = read(data)
    assert lines(sheets["NO PRICES"])["110002"][3] == NONE16
    assert lines(sheets["NO PRICES"])["110001"][3] == [12.0] * 16
    # only the item a sheet needs is reported, once
    assert issues(problems) == [("Summary", 9, "X", "=VLOOKUP(D9,Prices!A:B,2,0)",
                                 "warning")]


def test_variant_c_summary_header_on_row_8_is_still_a_summary():
    data = real_workbook([Sheet("C1", [Row(110001, [1])], variant="no_prices")],
                         summary={"header_row": 8, "prices": {110001: 5.0}})
    sheets, problems = read(data)
    assert list(sheets) == ["C1"]
    assert sheets["C1"].lines[0].price == [5.0] * 16
    assert list(problems) == []


def test_customer_header_found_anywhere_in_rows_1_to_20():
    data = real_workbook([Sheet("LOW", [Row(110001, [2])], header_row=12)])
    sheets, _ = read(data)
    assert lines(sheets["LOW"])["110001"][2] == qty(2)
    assert sheets["LOW"].lines[0].row == 13


def test_variant_d_corrupt_month_header_months_come_from_column_positions():
    data = real_workbook([Sheet("D1", [Row(110001, [1, 2, 3, 4], [9])],
                                corrupt_month_header=True),
                          Sheet("D2", [Row(110001, [1, 2, 3, 4], [9])])])
    sheets, problems = read(data)
    assert lines(sheets["D1"]) == lines(sheets["D2"])
    assert lines(sheets["D1"])["110001"][2] == qty(1, 2, 3, 4)
    assert list(problems) == []


def test_variant_e_wrong_cached_values_are_never_read():
    clean = real_workbook([Sheet("E1", [Row(110001, [10, 10], [2, 2]),
                                        Row(220001, [1], [3])])])
    data = with_cached_values(clean, sheet_index=2)  # sheet 1 is Summary
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet2.xml")
    assert b"<f>SUM(G8:R8)</f><v>999999</v>" in xml
    assert b'<c r="AQ8" t="e"><f>G8*Z8</f><v>#REF!</v>' in xml
    sheets, problems = read(data)
    assert lines(sheets["E1"]) == {
        "110001": (None, False, qty(10, 10), [2.0, 2.0] + [None] * 14),
        "220001": (None, False, qty(1), [3.0] + [None] * 15),
    }
    assert list(problems) == []


def test_totals_row_of_formulas_without_an_item_code_is_skipped():
    data = real_workbook([Sheet("T", [Row(110001, [1])], totals_row=True)])
    sheets, problems = read(data)
    assert list(lines(sheets["T"])) == ["110001"]
    assert list(problems) == []


def test_bad_cells_are_row_errors_naming_sheet_row_column_and_value():
    data = real_workbook([Sheet("BAD", [
        Row(110001, [5, -3, "lots"]),  # row 8: negative H, text I
        Row(110002, ["12", 1], ["abc"]),  # row 9: number as text (warning), bad price Z
        Row(220001, ["=G8*2", "=10*3"]),  # row 10: a formula the file has no result for
        Row("ABC123", [1]),  # row 12 (after the catalog): bad item code
        Row(12345678, [1]),  # row 13
    ], new_rows=[Row(None, [4], [], None, "forgot the code")])])  # row 17: not read, warned
    sheets, problems = read(data)
    assert issues(problems) == [
        ("BAD", 8, "H", -3, "error"),
        ("BAD", 8, "I", "lots", "error"),
        ("BAD", 9, "G", "12", "warning"),
        ("BAD", 9, "Z", "abc", "error"),
        ("BAD", 10, "G", "=G8*2", "error"),
        ("BAD", 12, "D", "ABC123", "error"),
        ("BAD", 13, "D", 12345678, "error"),
        ("BAD", 17, "D", None, "warning"),
    ]
    messages = {p.column + str(p.row): p.message for p in problems}
    assert "negative" in messages["H8"]
    assert "no saved result" in messages["G10"] and "Excel" in messages["G10"]
    assert "6 digits" in messages["D12"]
    assert "not read" in messages["D17"]
    assert problems.errors == 6 and problems.warnings == 2
    assert sheets["BAD"].lines == []  # rows with an error are not lines


def test_arithmetic_formula_in_a_quantity_cell_is_evaluated():
    sheets, problems = read(real_workbook([Sheet("F", [Row(110001, ["=10*3+0.5", "=(2+2)/4"])])]))
    assert lines(sheets["F"])["110001"][2] == qty(30.5, 1)
    assert list(problems) == []


def test_item_codes_as_float_text_and_short_number_become_six_digits():
    sheets, problems = read(real_workbook([Sheet("CODES", [], new_rows=[
        Row(110009.0, [1], [], None, "float"),
        Row(" 110010 ", [1], [], None, "text"),
        Row(50010, [1], [], None, "lost leading zero"),
    ])]))
    assert [ln.item_code for ln in sheets["CODES"].lines] == ["110009", "110010", "050010"]
    assert all(ln.new_item for ln in sheets["CODES"].lines)
    assert list(problems) == []


def test_the_same_item_twice_on_a_sheet_adds_its_quantities_with_a_warning():
    sheets, problems = read(real_workbook([Sheet("DUP", [Row(110001, [1, 0, 5], [2.5])],
                                                 new_rows=[Row(110001, [2, 3], [9.0, 4.0],
                                                               None, "again")])]))
    assert issues(problems) == [("DUP", 15, "D", 110001, "warning")]
    assert [(ln.row, ln.qty[:3], ln.price[:2]) for ln in sheets["DUP"].lines] == [
        (8, [3.0, 3.0, 5.0], [2.5, 4.0])]
    assert "row 8" in next(iter(problems)).message


@pytest.mark.parametrize(("text", "code", "warned"), [
    ("With Sales Order - Low Risk", 0, False),
    ("  in customer supply plan -  low/mid risk ", 1, False),
    ("Customer Forecast - Mid Risk", 2, False),
    ("Volume Estimated by Sales Rep (Budget)", 3, False),
    ("Customer Fprecast - Mid Risk", 2, True),
    ("Customer Forecast - HIGH Risk", 2, True),  # the category name wins over the risk word
    ("Volume Estimated by Sales Rep (Budget) HIGH RISK", 3, True),
    ("... (Budget) HIGH RISK", 3, True),
    ("HIGH RISK", 3, True),
    ("Low/Mid risk", 1, True),
    ("With sales order", 0, True),
    (2, 2, True),
    (0.55, None, True),
    ("maybe", None, True),
    (None, None, False),
    ("   ", None, False),
])
def test_probability_mapping_table(text, code, warned):
    mapped, warning = map_probability(text)
    assert mapped == code
    assert (warning is not None) == warned


def test_probability_texts_are_the_models():
    assert PROBABILITY_TEXTS == PROBABILITIES


def test_stray_probability_number_is_a_warning_and_the_line_is_kept():
    sheets, problems = read(real_workbook([Sheet("P", [Row(110001, [1], [], 0.55)])]))
    assert lines(sheets["P"])["110001"][0] is None
    assert issues(problems) == [("P", 8, "F", 0.55, "warning")]


def test_xlsb_reads_like_the_same_xlsx():
    spec = Sheet("O'Brien & Sons, Inc. ", [
        Row(110001, [100, 0.5, None, 80], [41.5, None, 42], "Customer Fprecast - Mid Risk"),
        Row(220001, [0, 0, 3], [], PROBABILITIES[1])],
        new_rows=[Row(990001, [5], [1.25], None, "Black garlic")])
    xlsx_sheets, xlsx_problems = read(real_workbook([spec]))
    data = xlsb_workbook([("Summary", [[None] * 5 + ["Average \nLast Q (Sales)"]]),
                          (spec.name, sheet_rows(spec)),
                          ("Sheet1", [[text] for text in PROBABILITIES.values()])])
    assert data[:2] == b"PK"
    xlsb_sheets, xlsb_problems = read(data)
    assert list(xlsb_sheets) == [spec.name]
    assert lines(xlsb_sheets[spec.name]) == lines(xlsx_sheets[spec.name])
    assert lines(xlsb_sheets[spec.name])["990001"][1] is True
    assert issues(xlsb_problems) == issues(xlsx_problems) == [
        (spec.name, 8, "F", "Customer Fprecast - Mid Risk", "warning")]


def test_xlsb_formula_in_a_quantity_cell_is_read_as_its_saved_value():
    spec = Sheet("FX", [Row(110001, [4242.5, 1])])
    data = xlsb_workbook([(spec.name, sheet_rows(spec))])
    assert lines(read(data)[0]["FX"])["110001"][2] == qty(4242.5, 1)
    sheets, problems = read(xlsb_as_formula(data, 1, 4242.5))
    assert lines(sheets["FX"])["110001"][2] == qty(4242.5, 1)
    assert list(problems) == []


def test_arithmetic_typed_in_a_cell_and_summary_prices_are_read():
    spec = [Sheet("S1", [Row(110001, [1, 2], [3.5], PROBABILITIES[2])],
                  new_rows=[Row(990001, [4], [], None, "New")]),
            Sheet("S2", [Row(220001, ["=2*3"])], variant="no_prices")]
    sheets, problems = read(real_workbook(spec, summary={"prices": {220001: 9.0}}))
    assert lines(sheets["S1"])["990001"] == (None, True, qty(4), NONE16)
    assert lines(sheets["S2"])["220001"] == (None, False, qty(6), [9.0] * 16)
    assert issues(problems) == []


@pytest.mark.parametrize("prolog", [
    b'<!DOCTYPE x [<!ENTITY a "aaaa">]>',
    # behind a long comment: the whole prolog, up to the root element, is looked at
    b"<!--" + b" " * 8192 + b'-->\n<!DOCTYPE x [<!ENTITY a "aaaa">]>',
])
def test_a_workbook_with_a_dtd_is_refused_before_parsing(prolog):
    data = real_workbook([Sheet("S1", [Row(110001, [1])])])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                assert content.startswith(b"<worksheet")
                content = prolog + content.replace(b"<worksheet ", b"<worksheet a='&a;' ", 1)
            target.writestr(item, content)
    with pytest.raises(UnsafeWorkbook, match="DTD"):  # the upload's check, before parsing
        inspect_upload(buffer.getvalue(), 10 * 1024 * 1024)
    assert inspect_upload(data, 10 * 1024 * 1024).kind == "xlsx"
