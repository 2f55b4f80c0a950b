"""The consolidated plan (DOMAIN.md §5.2): the "Consol" sheet — one row per (rep, customer,
item) line with volume — and its pivots by rep x month and by group x item x month, computed
here while the rows stream (values, not Excel pivot tables).

Pure functions: no Flask, no database. The service passes the rows already ordered (rep,
customer, item; new items last within a rep's block) and the prices already effective
(DOMAIN.md §3), as an iterator, so 20,000 lines never sit in memory as documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sop.excel.sheets import Book, Formula, Sheet, Styles

MONTHS = 12
PROGRESS_EVERY = 2000
CASES_FORMAT = "#,##0"
MONEY_FORMAT = '"$"#,##0.00'
MONTH_FORMAT = "mmm-yy"
CODE_FORMAT = "000000"
HEAD_BLUE = "1D4E89"
TOTAL_GREY = "E7E6E6"

# Consol columns (0-based): A..E identity, F..Q cases, R total, S..AD price, AE..AP sales;
# with the baseline (the report): AQ its M1-M12 total, AR its method
QTY, TOTAL, PRICE, SALES, BASELINE = 5, 17, 18, 30, 42
LETTERS = [chr(65 + i) if i < 26 else "A" + chr(65 + i - 26) for i in range(44)]


@dataclass
class ConsolRow:
    """One forecast line of the consolidated plan: M1..M12 cases and effective $/case."""

    rep: str  # the rep's full name
    customer: str  # S&OP name
    item_code: str
    description: str
    group: str  # group description from the product master
    qty: list[float | None] = field(default_factory=list)
    price: list[float | None] = field(default_factory=list)
    new_item: bool = False
    # the pair's statistical baseline (cases per bucket, M1 first) and its method; None: none
    baseline: tuple[float, ...] | None = None
    baseline_method: str = ""


@dataclass
class ConsolTotals:
    """What was written: for the caller's log and the CLI summary."""

    lines: int = 0
    cases: float = 0.0
    sales: float = 0.0
    by_rep: dict[str, list[float]] = field(default_factory=dict)  # 12 cases + 12 $
    by_item: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)


def _styles(book: Book) -> Styles:
    styles = Styles(book)
    head = {"bold": True, "color": "FFFFFF", "fill": HEAD_BLUE, "wrap": True, "center": True}
    styles.style("head", **head)
    styles.style("head_month", number_format=MONTH_FORMAT, **head)
    styles.style("head_price", number_format='"Price "mmm-yy', **head)
    styles.style("head_sales", number_format='"Sales "mmm-yy', **head)
    styles.style("code", number_format=CODE_FORMAT)
    styles.style("cases", number_format=CASES_FORMAT)
    styles.style("money", number_format=MONEY_FORMAT)
    styles.style("total_cases", number_format=CASES_FORMAT, bold=True, fill=TOTAL_GREY)
    styles.style("total_money", number_format=MONEY_FORMAT, bold=True, fill=TOTAL_GREY)
    styles.style("total_text", bold=True, fill=TOTAL_GREY)
    styles.style("title", bold=True, size=13)
    styles.style("info", color="595959")
    return styles


def write_consolidated(rows: Iterable[ConsolRow], months: Sequence[date],
                       about: Sequence[str] = (),
                       totals: ConsolTotals | None = None) -> bytes:
    """The workbook: Consol, By rep, By group, then About when `about` is given. `months` are
    the first days of M1..M12 (more are ignored). `totals`, when given, is filled in."""
    book = Book()
    styles = add_consolidated(book, rows, months, totals)
    if about:
        info = Sheet(book, styles, "About", {1: 100})
        for index, text in enumerate(about):
            info.append([text], ["title" if index == 0 else None])
    return book.close()


def add_consolidated(book: Book, rows: Iterable[ConsolRow], months: Sequence[date],
                     totals: ConsolTotals | None = None,
                     top: Sequence[str] = (), progress: Callable[[int], None] | None = None,
                     baseline: bool = False) -> Styles:
    """Consol, By rep and By group added to `book`. `top`, lines written above each pivot
    (a report's title block); `progress(lines)` is called every few thousand lines.
    Cases, prices and sales cells carry their number format (§5.2); blank and zero cases are
    left empty; TOTAL gets its look from a conditional format over the column. `baseline`:
    two columns after the sales block, each line's statistical baseline over the same months
    as TOTAL (blank: no baseline) and its method (right of §5.2's columns, so the sheet's
    layout and the planners' look-ups stay as they are)."""
    months = list(months)[:MONTHS]
    count = len(months)
    styles = _styles(book)
    totals = totals if totals is not None else ConsolTotals()
    widths = {1: 22, 2: 28, 3: 10, 4: 34, 5: 22}
    widths.update({i: 11 for i in range(6, 43)})
    sheet = Sheet(book, styles, "Consol", widths, freeze="F2")
    header: list[object] = ["Sales Rep", "Customer S&OP", "ITEM CODE", "DESCRIPTION", "Group"]
    header_styles: list[str | None] = ["head"] * 5
    header += months + [None] * (MONTHS - count) + ["TOTAL"]
    header_styles += ["head_month"] * MONTHS + ["head"]
    header += months + [None] * (MONTHS - count)
    header_styles += ["head_price"] * MONTHS
    header += months + [None] * (MONTHS - count)
    header_styles += ["head_sales"] * MONTHS
    if baseline:
        header += [f"Baseline M1-M{count}", "Baseline method"]
        header_styles += ["head", "head"]
    sheet.append(header, header_styles)

    # one cell per column: identity, cases, TOTAL, prices, sales
    columns = sheet.columns([None, None, "code", None, None] + ["cases"] * MONTHS + [None]
                            + ["money"] * (2 * MONTHS) + ["cases", None])
    sales_refs = [f"={LETTERS[PRICE + m]}{{0}}*{LETTERS[QTY + m]}{{0}}" for m in range(MONTHS)]
    pad = [None] * (MONTHS - count)
    by_rep, by_item = totals.by_rep, totals.by_item
    number = 1
    for line in rows:
        number += 1
        qty = [(line.qty[m] if m < len(line.qty) else None) for m in range(count)]
        price = [(line.price[m] if m < len(line.price) else None) for m in range(count)]
        code: object = int(line.item_code) if line.item_code.isdigit() else line.item_code
        values: list[object] = [line.rep, line.customer, code, line.description, line.group]
        # Volumes: zero, blank and NaN are left empty; prices: blank and NaN.
        values += [v if v else None for v in qty]
        values += pad
        values.append(Formula(f"=SUM(F{number}:Q{number})"))
        values += price
        values += pad
        values += [Formula(ref.format(number)) for ref in sales_refs]
        if baseline and line.baseline is not None:
            values += [sum(line.baseline[:count]), line.baseline_method or None]
        sheet.add(values, columns)

        rep_sums = by_rep.get(line.rep)
        if rep_sums is None:
            rep_sums = by_rep[line.rep] = [0.0] * (2 * MONTHS)
        key = (line.group, line.item_code, line.description)
        item_sums = by_item.get(key)
        if item_sums is None:
            item_sums = by_item[key] = [0.0] * (2 * MONTHS)
        for m in range(count):
            cases_m = qty[m] or 0.0
            if cases_m != cases_m:
                cases_m = 0.0
            price_m = price[m] or 0.0
            sales = cases_m * (price_m if price_m == price_m else 0.0)
            rep_sums[m] += cases_m
            rep_sums[MONTHS + m] += sales
            item_sums[m] += cases_m
            item_sums[MONTHS + m] += sales
            totals.cases += cases_m
            totals.sales += sales
        totals.lines += 1
        if progress is not None and totals.lines % PROGRESS_EVERY == 0:
            progress(totals.lines)
    sheet.autofilter(f"A1:{LETTERS[BASELINE + 1 if baseline else SALES + MONTHS - 1]}{number}")
    if number > 1:
        sheet.paint(f"R2:R{number}", styles.look(fill=TOTAL_GREY, bold=True,
                                                 number_format=CASES_FORMAT))

    _pivot(book, styles, "By rep", ["Sales Rep"], months,
           [([rep], sums) for rep, sums in by_rep.items()], subtotal_by=None, top=top)
    items = sorted(by_item.items(), key=lambda entry: (entry[0][0].lower(), entry[0][1]))
    _pivot(book, styles, "By group", ["Group", "ITEM CODE", "DESCRIPTION"], months,
           [([group, int(code) if code.isdigit() else code, description], sums)
            for (group, code, description), sums in items], subtotal_by=0, top=top)
    return styles


def _pivot(book: Book, styles: Styles, title: str, keys: list[str],
           months: list[date], rows: list[tuple[list[object], list[float]]],
           subtotal_by: int | None, top: Sequence[str] = ()) -> None:
    """Rows of keys with cases per month + total, then $ per month + total; a subtotal row
    whenever the key at `subtotal_by` changes, and a grand total (values, not formulas).
    `top`: lines above the table (the first one a title), then a blank row."""
    width = len(keys)
    count = len(months)
    widths = {i + 1: (28 if i == width - 1 or i == 0 else 11) for i in range(width)}
    widths.update({width + i + 1: 12 for i in range(2 * count + 2)})
    above = len(top) + 1 if top else 0
    sheet = Sheet(book, styles, title, widths, freeze=f"{LETTERS[width]}{above + 3}")
    for index, text in enumerate(top):
        sheet.append([text], ["title" if index == 0 else "info"])
    if top:
        sheet.skip()
    band_row = above + 1
    sheet.merge(f"{LETTERS[width]}{band_row}:{LETTERS[width + count]}{band_row}", "Cases",
                "head")
    sheet.merge(f"{LETTERS[width + count + 1]}{band_row}:"
                f"{LETTERS[width + 2 * count + 1]}{band_row}", "Sales $ (effective prices)",
                "head")
    sheet.skip()
    header: list[object] = [*keys, *months, "Total cases", *months, "Total $"]
    sheet.append(header, ["head"] * width + ["head_month"] * count + ["head"]
                 + ["head_month"] * count + ["head"])
    columns = sheet.columns([None] * width + ["cases"] * (count + 1)
                            + ["money"] * (count + 1))
    bold = (["total_text"] * width + ["total_cases"] * (count + 1)
            + ["total_money"] * (count + 1))
    grand = [0.0] * (2 * MONTHS)
    group_sums: list[float] | None = None
    group_key: object = None

    def figures(sums: list[float]) -> list[object]:
        cases = sums[:count]
        sales = sums[MONTHS:MONTHS + count]
        return [*cases, sum(cases), *sales, sum(sales)]

    def close_group() -> None:
        if subtotal_by is not None and group_sums is not None:
            label: list[object] = [None] * width
            label[subtotal_by] = f"{group_key} total"
            sheet.append(label + figures(group_sums), bold)

    for key_values, sums in rows:
        if subtotal_by is not None and key_values[subtotal_by] != group_key:
            close_group()
            group_key, group_sums = key_values[subtotal_by], [0.0] * (2 * MONTHS)
        if group_sums is not None:
            group_sums = [a + b for a, b in zip(group_sums, sums, strict=True)]
        grand = [a + b for a, b in zip(grand, sums, strict=True)]
        sheet.add(list(key_values) + figures(sums), columns)
    close_group()
    label = ["Grand Total"] + [None] * (width - 1)
    sheet.append(label + figures(grand), bold)
