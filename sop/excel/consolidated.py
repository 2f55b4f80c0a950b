"""The consolidated plan (DOMAIN.md §5.2): the "Consol" sheet — one row per (rep, customer,
item) line with volume — and its pivots by rep x month and by group x item x month, computed
here while the rows stream (values, not Excel pivot tables).

Pure functions: no Flask, no database. The service passes the rows already ordered (rep,
customer, item; new items last within a rep's block) and the prices already effective
(DOMAIN.md §3), as an iterator, so 20,000 lines never sit in memory as documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sop.excel.xlsxstream import Book, Formula

MONTHS = 12
CASES_FORMAT = "#,##0"
MONEY_FORMAT = '"$"#,##0.00'
MONTH_FORMAT = "mmm-yy"
CODE_FORMAT = "000000"
HEAD_BLUE = "1D4E89"
TOTAL_GREY = "E7E6E6"

# Consol columns (0-based): A..E identity, F..Q cases, R total, S..AD price, AE..AP sales
QTY, TOTAL, PRICE, SALES = 5, 17, 18, 30
LETTERS = [chr(65 + i) if i < 26 else "A" + chr(65 + i - 26) for i in range(42)]


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


@dataclass
class ConsolTotals:
    """What was written: for the caller's log and the CLI summary."""

    lines: int = 0
    cases: float = 0.0
    sales: float = 0.0
    by_rep: dict[str, list[float]] = field(default_factory=dict)  # 12 cases + 12 $
    by_item: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)


def _styles(book: Book) -> dict[str, int]:
    head = {"bold": True, "color": "FFFFFF", "fill": HEAD_BLUE, "wrap": True, "center": True}
    return {
        "head": book.style(**head),
        "head_month": book.style(number_format=MONTH_FORMAT, **head),
        "head_price": book.style(number_format='"Price "mmm-yy', **head),
        "head_sales": book.style(number_format='"Sales "mmm-yy', **head),
        "head_cases_total": book.style(**head),
        "code": book.style(number_format=CODE_FORMAT),
        "cases": book.style(number_format=CASES_FORMAT),
        "money": book.style(number_format=MONEY_FORMAT),
        "total_cases": book.style(number_format=CASES_FORMAT, bold=True, fill=TOTAL_GREY),
        "total_money": book.style(number_format=MONEY_FORMAT, bold=True, fill=TOTAL_GREY),
        "total_text": book.style(bold=True, fill=TOTAL_GREY),
        "title": book.style(bold=True, size=13),
    }


def write_consolidated(rows: Iterable[ConsolRow], months: Sequence[date],
                       about: Sequence[str] = (),
                       totals: ConsolTotals | None = None) -> bytes:
    """The workbook: Consol, By rep, By group, then About when `about` is given. `months` are
    the first days of M1..M12 (more are ignored). `totals`, when given, is filled in."""
    months = list(months)[:MONTHS]
    count = len(months)
    book = Book()
    styles = _styles(book)
    totals = totals if totals is not None else ConsolTotals()
    widths = {1: 22, 2: 28, 3: 10, 4: 34, 5: 22}
    widths.update({i: 11 for i in range(6, 43)})
    sheet = book.add_sheet("Consol", widths, freeze="F2")
    header: list[object] = ["Sales Rep", "Customer S&OP", "ITEM CODE", "DESCRIPTION", "Group"]
    header_styles: list[int | None] = [styles["head"]] * 5
    header += months + [None] * (MONTHS - count) + ["TOTAL"]
    header_styles += [styles["head_month"]] * MONTHS + [styles["head"]]
    header += months + [None] * (MONTHS - count)
    header_styles += [styles["head_price"]] * MONTHS
    header += months + [None] * (MONTHS - count)
    header_styles += [styles["head_sales"]] * MONTHS
    sheet.append(header, header_styles)

    cases_style, money_style, code_style = styles["cases"], styles["money"], styles["code"]
    row_styles: list[int | None] = ([None, None, code_style, None, None]
                                    + [cases_style] * MONTHS + [styles["total_cases"]]
                                    + [money_style] * MONTHS * 2)
    by_rep, by_item = totals.by_rep, totals.by_item
    for line in rows:
        number = sheet.rows + 1
        qty = [(line.qty[m] if m < len(line.qty) else None) for m in range(count)]
        price = [(line.price[m] if m < len(line.price) else None) for m in range(count)]
        code = int(line.item_code) if line.item_code.isdigit() else line.item_code
        values: list[object] = [line.rep, line.customer, code, line.description, line.group]
        values += qty + [None] * (MONTHS - count)
        values.append(Formula(f"SUM(F{number}:Q{number})"))
        values += price + [None] * (MONTHS - count)
        values += [Formula(f"{LETTERS[PRICE + m]}{number}*{LETTERS[QTY + m]}{number}")
                   for m in range(MONTHS)]
        sheet.append(values, row_styles)

        rep_sums = by_rep.get(line.rep)
        if rep_sums is None:
            rep_sums = by_rep[line.rep] = [0.0] * (2 * MONTHS)
        key = (line.group, line.item_code, line.description)
        item_sums = by_item.get(key)
        if item_sums is None:
            item_sums = by_item[key] = [0.0] * (2 * MONTHS)
        for m in range(count):
            cases = qty[m] or 0.0
            sales = cases * (price[m] or 0.0)
            rep_sums[m] += cases
            rep_sums[MONTHS + m] += sales
            item_sums[m] += cases
            item_sums[MONTHS + m] += sales
            totals.cases += cases
            totals.sales += sales
        totals.lines += 1
    sheet.autofilter = f"A1:AP{sheet.rows}"

    _pivot(book, styles, "By rep", ["Sales Rep"], months,
           [([rep], sums) for rep, sums in by_rep.items()], subtotal_by=None)
    items = sorted(by_item.items(), key=lambda entry: (entry[0][0].lower(), entry[0][1]))
    _pivot(book, styles, "By group", ["Group", "ITEM CODE", "DESCRIPTION"], months,
           [([group, int(code) if code.isdigit() else code, description], sums)
            for (group, code, description), sums in items], subtotal_by=0)
    if about:
        info = book.add_sheet("About", {1: 100})
        for index, text in enumerate(about):
            info.append([text], [styles["title"] if index == 0 else None])
    return book.save()


def _pivot(book: Book, styles: dict[str, int], title: str, keys: list[str],
           months: list[date], rows: list[tuple[list[object], list[float]]],
           subtotal_by: int | None) -> None:
    """Rows of keys with cases per month + total, then $ per month + total; a subtotal row
    whenever the key at `subtotal_by` changes, and a grand total (values, not formulas)."""
    width = len(keys)
    count = len(months)
    widths = {i + 1: (28 if i == width - 1 or i == 0 else 11) for i in range(width)}
    widths.update({width + i + 1: 12 for i in range(2 * count + 2)})
    sheet = book.add_sheet(title, widths, freeze=f"{LETTERS[width]}3")
    band: list[object] = [None] * width + ["Cases"] + [None] * count + ["Sales $ (effective "
                                                                          "prices)"]
    sheet.append(band, [None] * width + [styles["head"]] + [None] * count + [styles["head"]])
    sheet.merges.append(f"{LETTERS[width]}1:{LETTERS[width + count]}1")
    sheet.merges.append(f"{LETTERS[width + count + 1]}1:{LETTERS[width + 2 * count + 1]}1")
    header: list[object] = [*keys, *months, "Total cases", *months, "Total $"]
    head, month = styles["head"], styles["head_month"]
    sheet.append(header, [head] * width + [month] * count + [head] + [month] * count + [head])
    plain = ([None] * width + [styles["cases"]] * (count + 1) + [styles["money"]] * (count + 1))
    bold = ([styles["total_text"]] * width + [styles["total_cases"]] * (count + 1)
            + [styles["total_money"]] * (count + 1))
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
        sheet.append(list(key_values) + figures(sums), plain)
    close_group()
    label = ["Grand Total"] + [None] * (width - 1)
    sheet.append(label + figures(grand), bold)
