"""Writing the pre-filled rep workbook (DOMAIN.md §5.1) through sop.excel.formula_sheets
(openpyxl write-only: a book of formulas; why not XlsxWriter is said there): only titles,
headers and item codes carry a cell style; the data cells get their look (yellow = type here,
grey = formula) and money formats from conditional formats over their ranges. Formulas are
written without a saved value; Excel computes them on opening."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sop.excel.formula_sheets import Book, Columns, Sheet, Styles
from sop.excel.rep_workbook.layout import (
    CODE_FORMAT,
    FIRST_ROW,
    HEADER_ROW,
    LIST_SHEET,
    MAX_FORMULA,
    MONTH_FORMAT,
    NEW_ITEM_MARKER,
    NEW_ITEM_ROWS,
    PRICE_FORMAT,
    PROBABILITY_RISKS,
    PROBABILITY_TEXTS,
    QTY_FORMAT,
    SUMMARY_F,
    TOTAL_MONTHS,
    CustomerSheet,
    Layout,
    SheetLine,
    WorkbookPlan,
    letter,
    quoted,
    sheet_title,
)
from sop.excel.sheets import Formula

HEAD_BLUE = "1D4E89"
MANDATORY_RED = "C0504D"
INPUT_YELLOW = "FFF8DC"  # editable cells
COMPUTED_GREY = "E7E6E6"  # formulas: do not type here
MARKER_ORANGE = "FCE4D6"
BASELINE_GREY = "595959"
BASELINE_BAND = ("STATISTICAL BASELINE (CASES): read-only, suggested from the sales history; "
                 "not read on upload")
BASELINE_NOTE = "Blank: no baseline (no sales history for this customer and item)."
READ_ONLY = ("The baseline is computed by the portal and is not read on upload: type your "
             "numbers in the yellow cells.")


def _styles(book: Book) -> Styles:
    """Prototype styles of the few styled cells (titles, headers, item codes); the data cells
    get their look from conditional formats over their ranges (`_Looks`)."""
    styles = Styles(book)
    head = {"bold": True, "color": "FFFFFF", "center": True, "wrap": True}
    styles.style("title", bold=True, size=14)
    styles.style("note", italic=True, color="595959")
    styles.style("band", fill=HEAD_BLUE, **head)
    styles.style("mandatory_band", fill=MANDATORY_RED, **head)
    styles.style("baseline_band", fill=BASELINE_GREY, **head)
    styles.style("head_baseline", fill=BASELINE_GREY, border=True, number_format=MONTH_FORMAT,
                 **head)
    styles.style("head", fill=HEAD_BLUE, border=True, **head)
    styles.style("head_month", fill=HEAD_BLUE, border=True, number_format=MONTH_FORMAT, **head)
    styles.style("head_mandatory", fill=MANDATORY_RED, border=True, number_format=MONTH_FORMAT,
                 **head)
    styles.style("code", number_format=CODE_FORMAT)
    styles.style("marker", bold=True, fill=MARKER_ORANGE)
    styles.style("money", number_format=PRICE_FORMAT)
    return styles


@dataclass
class _Looks:
    """Conditional formats: editable cells yellow, computed ones grey (Excel and LibreOffice
    show them whatever the cell holds), with the money and cases formats."""

    input: Any
    price: Any
    sales: Any
    total: Any
    sum_qty: Any
    baseline: Any

    @classmethod
    def of(cls, styles: Styles) -> _Looks:
        return cls(
            input=styles.look(fill=INPUT_YELLOW, border=True),
            price=styles.look(fill=INPUT_YELLOW, border=True, number_format=PRICE_FORMAT),
            sales=styles.look(fill=COMPUTED_GREY, border=True, number_format=PRICE_FORMAT),
            total=styles.look(fill=COMPUTED_GREY, border=True, bold=True,
                              number_format=QTY_FORMAT),
            sum_qty=styles.look(fill=COMPUTED_GREY, border=True, number_format=QTY_FORMAT),
            baseline=styles.look(fill=COMPUTED_GREY, border=True, number_format=QTY_FORMAT))


def write_rep_workbook(plan: WorkbookPlan) -> bytes:
    """The pre-filled workbook of §5.1: Summary, one sheet per customer (plan order), the
    probability List and the Budget. A line goes to its catalog row, unless its item is not in
    the catalog or it is flagged new_item: then it goes to the "add new Item Codes" block, so
    reading the file back gives the same lines with the same flags. When any customer has a
    baseline, every customer sheet carries the read-only baseline block (`Layout.baseline`)."""
    layout = Layout(len(plan.months))
    book = Book()
    styles = _styles(book)
    looks = _Looks.of(styles)
    taken: set[str] = {"summary", LIST_SHEET.lower(), "budget"}
    titles = [sheet_title(customer.name, taken) for customer in plan.customers]
    catalog_codes = {item.item_code for item in plan.catalog}
    new_codes: dict[str, str] = {}
    for customer in plan.customers:
        for line in customer.lines:
            if line.item_code not in catalog_codes:  # the Summary has one row per code
                new_codes.setdefault(line.item_code, line.description)

    _write_summary(book, styles, looks, plan, layout, titles, new_codes)
    baseline = any(customer.baselines for customer in plan.customers)
    for customer, title in zip(plan.customers, titles, strict=True):
        _write_customer(book, styles, looks, plan, layout, customer, title, catalog_codes,
                        baseline)
    _write_list(book, styles)
    _write_budget(book, styles, plan)
    return book.close()


def _widths(layout: Layout, baseline: bool = False) -> dict[int, float]:
    widths: dict[int, float] = {1: 2, 2: 5, 3: 22, 4: 10, 5: 36, 6: 30}
    for index in range(layout.qty, layout.width):
        widths[index + 1] = 10
    widths[layout.total + 2] = 3
    widths[layout.sales] = 3
    if baseline:
        widths[layout.width + 1] = 3
        for index in range(layout.baseline, layout.baseline_method):
            widths[index + 1] = 10
        widths[layout.baseline_method + 1] = 18
    return widths


def _header_row(plan: WorkbookPlan, layout: Layout, f_header: str, with_prices: bool = True,
                baseline: bool = False) -> tuple[list[Any], list[str | None]]:
    width = (layout.baseline_method + 1 if baseline else layout.width if with_prices
             else layout.total + 1)
    values: list[Any] = [None] * width
    styles: list[str | None] = [None] * width
    for column, text in ((1, "#"), (2, "Group - Category"), (3, "ITEM\nCODE"),
                         (4, "DESCRIPTION"), (5, f_header)):
        values[column], styles[column] = text, "head"
    for offset, month in enumerate(plan.months):
        style = "head_mandatory" if offset < plan.mandatory_months else "head_month"
        columns = [layout.qty + offset]
        if with_prices:
            columns += [layout.price + offset, layout.sales + offset]
        for column in columns:
            values[column], styles[column] = month, style
        if baseline:
            values[layout.baseline + offset] = month
            styles[layout.baseline + offset] = "head_baseline"
    values[layout.total], styles[layout.total] = "TOTAL", "head"
    if baseline:
        values[layout.baseline_method] = "Baseline method"
        styles[layout.baseline_method] = "head_baseline"
    return values, styles


def _top(sheet: Sheet, plan: WorkbookPlan, layout: Layout, title: str, note: str,
         with_prices: bool = True, baseline: bool = False) -> None:
    """Rows 1-6: title, note, the block titles (merged) and the mandatory-months band (with
    `baseline`, the baseline block's title and note)."""
    months = layout.months
    sheet.append([None, title], [None, "title"])
    sheet.append([None, note], [None, "note"])
    sheet.skip()
    blocks = [(layout.qty, "VOLUME FORECAST (CASES)")]
    if with_prices:
        blocks += [(layout.price, "PRICE FORECAST"), (layout.sales, "SALES FORECAST")]
    for first, text in blocks:
        sheet.merge(f"{letter(first)}4:{letter(first + months - 1)}5", text, "band")
    if baseline:
        first, last = letter(layout.baseline), letter(layout.baseline_method)
        sheet.merge(f"{first}4:{last}5", BASELINE_BAND, "baseline_band")
        sheet.merge(f"{first}6:{last}6", BASELINE_NOTE, "note")
    sheet.skip(2)
    mandatory = min(plan.mandatory_months, months)
    if mandatory:
        sheet.merge(f"{letter(layout.qty)}6:{letter(layout.qty + mandatory - 1)}6",
                    f"Mandatory: M1-M{mandatory} (0 counts as a value)", "mandatory_band")
    sheet.skip()


def _code_value(code: str) -> int | str:
    return int(code) if code.isdigit() else code


def _write_customer(book: Book, styles: Styles, looks: _Looks, plan: WorkbookPlan,
                    layout: Layout, customer: CustomerSheet, title: str,
                    catalog_codes: set[str], baseline: bool) -> None:
    months = layout.months
    by_code: dict[str, SheetLine] = {}
    new_lines: list[SheetLine] = []
    for line in customer.lines:
        if line.new_item or line.item_code not in catalog_codes:
            new_lines.append(line)
        else:
            by_code[line.item_code] = line
    new_rows = max(NEW_ITEM_ROWS, len(new_lines) + 1)
    last_row = HEADER_ROW + len(plan.catalog) + 3 + new_rows
    sheet = Sheet(book, styles, title, _widths(layout, baseline),
                  f"{letter(layout.qty)}{FIRST_ROW}")
    _top(sheet, plan, layout, customer.name,
         f"{plan.rep_name} - {plan.cycle_name}. Type in the yellow cells; grey cells are "
         "formulas.", baseline=baseline)
    header = _header_row(plan, layout, "Probability", baseline=baseline)
    sheet.append(*header)

    qty_letters = [letter(layout.qty + m) for m in range(months)]
    price_letters = [letter(layout.price + m) for m in range(months)]
    total_to = qty_letters[min(TOTAL_MONTHS, months) - 1]
    qty_at, price_at, sales_at, total_at = layout.qty, layout.price, layout.sales, layout.total
    width = layout.width
    catalog_columns = sheet.columns([None, None, None, "code"])
    new_columns = sheet.columns([])

    def item_row(sequence: int | None, group: str, code: str | None, description: str,
                 line: SheetLine | None, columns: Columns) -> None:
        number = sheet.rows + 1
        row: list[Any] = [None] * width
        row[1] = sequence
        row[2] = group or None
        row[3] = _code_value(code) if code else None
        row[4] = description or None
        if line is not None:
            if line.probability is not None:
                row[5] = PROBABILITY_TEXTS.get(line.probability)
            row[qty_at:qty_at + months] = _padded(line.qty, months)  # NaN, infinities: blank
            row[price_at:price_at + months] = _padded(line.price, months)
        for m in range(months):
            row[sales_at + m] = Formula(f"={qty_letters[m]}{number}*{price_letters[m]}{number}")
        row[total_at] = Formula(f"=SUM({qty_letters[0]}{number}:{total_to}{number})")
        suggested = customer.baselines.get(code) if baseline and code else None
        if suggested is not None:
            row += [None, *_padded(list(suggested.qty), months), suggested.method or None]
        sheet.add(row, columns)

    for sequence, item in enumerate(plan.catalog, start=1):
        item_row(sequence, item.group_text, item.item_code, item.description,
                 by_code.get(item.item_code), catalog_columns)
    last_catalog = sheet.rows
    sheet.skip()
    sheet.append([None, None, NEW_ITEM_MARKER], [None, None, "marker"])
    sheet.append(*header)
    first_new = sheet.rows + 1
    for index in range(new_rows):
        line = new_lines[index] if index < len(new_lines) else None
        item_row(None, "", line.item_code if line else None,
                 line.description if line else "", line, new_columns)
    last = sheet.rows
    assert last == last_row
    blocks = ([(FIRST_ROW, last_catalog)] if plan.catalog else []) + [(first_new, last)]

    def ranges(first_column: int, last_column: int) -> str:
        return " ".join(f"{letter(first_column)}{top}:{letter(last_column)}{bottom}"
                        for top, bottom in blocks)

    sheet.validate_list(ranges(5, 5), f"{LIST_SHEET}!$B$2:$B${len(PROBABILITY_TEXTS) + 1}")
    sheet.paint(ranges(5, qty_at + months - 1) + f" D{first_new}:E{last}", looks.input)
    sheet.paint(ranges(price_at, price_at + months - 1), looks.price)
    sheet.paint(ranges(sales_at, sales_at + months - 1), looks.sales)
    sheet.paint(ranges(total_at, total_at), looks.total)
    if baseline:
        block = ranges(layout.baseline, layout.baseline_method)
        sheet.paint(block, looks.baseline)
        sheet.refuse_typing(block, READ_ONLY)


def _padded(values: list[float | None], months: int) -> list[float | None]:
    """`months` values from `values`, blanks after its end."""
    return values[:months] + [None] * (months - len(values))


def _write_summary(book: Book, styles: Styles, looks: _Looks, plan: WorkbookPlan,
                   layout: Layout, titles: list[str], new_codes: dict[str, str]) -> None:
    """Per item, each month's cases summed over every customer sheet by item code."""
    months = layout.months
    sheet = Sheet(book, styles, "Summary", _widths(layout), f"{letter(layout.qty)}{FIRST_ROW}")
    _top(sheet, plan, layout, f"Summary - {plan.rep_name}",
         f"{plan.cycle_name}: cases per item over all customer sheets (formulas).",
         with_prices=False)
    sheet.append(*_header_row(plan, layout, SUMMARY_F, with_prices=False))
    qty_letters = [letter(layout.qty + m) for m in range(months)]
    total_to = qty_letters[min(TOTAL_MONTHS, months) - 1]
    refs = [quoted(title) for title in titles]
    rows = [(item.group_text, item.item_code, item.description, item.average_last_q)
            for item in plan.catalog]
    rows += [("New item", code, description, None) for code, description in new_codes.items()]
    row_styles: list[str | None] = [None, None, None, "code", None, "money"]
    for offset, (group, code, description, average) in enumerate(rows):
        number = FIRST_ROW + offset
        values: list[Any] = [None, offset + 1, group or None, _code_value(code),
                             description or None, average]
        for column in qty_letters:
            terms = [f"SUMIF({ref}!$D:$D,$D{number},{ref}!{column}:{column})" for ref in refs]
            formula = "+".join(terms) if terms else "0"
            if len(formula) > MAX_FORMULA:  # Excel's limit: a SUM of up to 255 SUMIFs
                formula = "SUM(" + ",".join(terms) + ")"
            values.append(Formula("=" + formula))
        values.append(Formula(f"=SUM({qty_letters[0]}{number}:{total_to}{number})"))
        sheet.append(values, row_styles)
    if rows:
        last = FIRST_ROW + len(rows) - 1
        sheet.paint(f"{qty_letters[0]}{FIRST_ROW}:{qty_letters[-1]}{last}", looks.sum_qty)
        sheet.paint(f"{letter(layout.total)}{FIRST_ROW}:{letter(layout.total)}{last}",
                    looks.total)


def _write_list(book: Book, styles: Styles) -> None:
    sheet = Sheet(book, styles, LIST_SHEET, {1: 8, 2: 44, 3: 12})
    sheet.append(["Code", "Probability", "Risk"], ["head"] * 3)
    for code, text in PROBABILITY_TEXTS.items():
        sheet.append([code, text, PROBABILITY_RISKS[code]])


def _write_budget(book: Book, styles: Styles, plan: WorkbookPlan) -> None:
    """The §5.3 pivot for the plan's M1-M12 that have a budget: cases block, then $ block."""
    window = plan.months[:TOTAL_MONTHS]
    shown = [m for m in window if any(m in row.cases or m in row.sales for row in plan.budget)]
    block = 2 + len(shown) + 1
    widths = {}
    for column in range(2 * block):
        widths[column + 1] = 24 if column % block < 2 else 14
    sheet = Sheet(book, styles, "Budget", widths)
    sheet.append([f"Budget - {plan.rep_name}"], ["title"])
    sheet.skip()
    header: list[Any] = []
    for name in ("Q", "Sales"):
        header += ["Row Labels", "Customer S&OP", *(f"Sum of {name}-{m.month}" for m in shown),
                   None]
    sheet.append(header, ["head" if value is not None else None for value in header])
    totals_q = [0.0] * len(shown)
    totals_s = [0.0] * len(shown)
    for index, budget in enumerate(plan.budget):
        label = plan.rep_name if index == 0 else None
        cases = [budget.cases.get(m, 0.0) for m in shown]
        sales = [budget.sales.get(m, 0.0) for m in shown]
        totals_q = [a + b for a, b in zip(totals_q, cases, strict=True)]
        totals_s = [a + b for a, b in zip(totals_s, sales, strict=True)]
        sheet.append([label, budget.sop_name, *cases, None, label, budget.sop_name, *sales])
    total_row = ["Grand Total", None, *totals_q, None, "Grand Total", None, *totals_s]
    sheet.append(total_row, ["head" if v == "Grand Total" else None for v in total_row])

