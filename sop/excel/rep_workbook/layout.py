"""What a rep workbook is (DOMAIN.md §5.1): the plan it shows and the columns of its sheets.
Shared by the writer and the reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from openpyxl.utils import get_column_letter


@dataclass
class SheetLine:
    """One item row of a customer sheet. `qty` and `price` hold one entry per bucket (M1
    first); a blank quantity reads as 0 (the workbook's rule), a blank price as None."""

    item_code: str
    description: str = ""
    probability: int | None = None
    qty: list[float | None] = field(default_factory=list)
    price: list[float | None] = field(default_factory=list)
    new_item: bool = False  # from the "add new Item Codes" block
    row: int | None = None  # where the reader found it (1-based), for problems


@dataclass(frozen=True)
class BaselineRow:
    """The statistical baseline of one item for the sheet's customer (sop.plans.baseline):
    cases per bucket (M1 first) and the method that won."""

    qty: tuple[float, ...]
    method: str


@dataclass
class CustomerSheet:
    """A customer sheet: its name is the customer's S&OP name as written in the file."""

    name: str
    lines: list[SheetLine] = field(default_factory=list)
    # Written only: the read-only baseline block by item code (no entry: no baseline)
    baselines: dict[str, BaselineRow] = field(default_factory=dict)
    # How the reader found prices: "sheet" (Z..AO), "single" (one price in Y, variant a) or
    # "summary" (none on the sheet: the Summary sheet's Price column, variant b).
    price_source: str = "sheet"


@dataclass
class CatalogItem:
    """A row of the catalog block, printed in the same order on every customer sheet."""

    item_code: str
    description: str
    group_text: str = ""  # column C, "Group - Category"
    average_last_q: float | None = None  # Summary column F: average monthly sales $, last 3 months


@dataclass
class BudgetRow:
    """One customer of the Budget sheet: cases and $ per first-of-month date."""

    sop_name: str
    cases: dict[date, float] = field(default_factory=dict)
    sales: dict[date, float] = field(default_factory=dict)


@dataclass
class WorkbookPlan:
    """Everything a generated workbook shows."""

    rep_name: str
    cycle_name: str
    months: list[date]  # first day of M1..M16
    mandatory_months: int
    catalog: list[CatalogItem]
    customers: list[CustomerSheet]  # lines of items outside the catalog go to new-item rows
    budget: list[BudgetRow] = field(default_factory=list)


# --- shared layout ----------------------------------------------------------------------------

PROBABILITY_TEXTS: dict[int, str] = {  # DOMAIN.md §3; equal to sop.models.forecast.PROBABILITIES
    0: "With Sales Order - Low Risk",
    1: "In Customer Supply Plan - Low/Mid Risk",
    2: "Customer Forecast - Mid Risk",
    3: "Volume Estimated by Sales Rep (Budget)",
}
PROBABILITY_RISKS = {0: "Low", 1: "Low-Mid", 2: "Mid", 3: "High"}

HEADER_ROW = 7
FIRST_ROW = 8
HEADER_SEARCH_ROWS = 20
NEW_ITEM_MARKER = "If you need to add new Item Codes:"
SUMMARY_F = "Average \nLast Q (Sales)"
TOTAL_MONTHS = 12  # W sums M1-M12
NEW_ITEM_ROWS = 6
LIST_SHEET = "List"
MONTH_FORMAT = "mmm-yy"
QTY_FORMAT = "#,##0"  # totals; typed quantities show as typed (General), fractions too
PRICE_FORMAT = '"$"#,##0.00'
CODE_FORMAT = "000000"
ILLEGAL_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
MAX_FORMULA = 8000


@dataclass(frozen=True)
class Layout:
    """0-based column indexes of a customer sheet for `months` buckets (each worked out once:
    the reader asks for them on every row)."""

    months: int

    @cached_property
    def qty(self) -> int:
        return 6  # G

    @cached_property
    def total(self) -> int:
        return self.qty + self.months  # W

    @cached_property
    def single_price(self) -> int:
        return self.total + 2  # Y

    @cached_property
    def price(self) -> int:
        return self.total + 3  # Z

    @cached_property
    def sales(self) -> int:
        return self.price + self.months + 1  # AQ

    @cached_property
    def width(self) -> int:
        return self.sales + self.months

    @cached_property
    def baseline(self) -> int:
        """The read-only baseline block (cases per bucket, then the method), after a gap
        column right of the sales block (BH for 16 months). A reader reads nothing from
        `width` onwards: the block is never read on upload."""
        return self.width + 1

    @cached_property
    def baseline_method(self) -> int:
        return self.baseline + self.months


def letter(index: int) -> str:
    """Column letter of a 0-based index."""
    return get_column_letter(index + 1)


def normalise(value: Any) -> str:
    return " ".join(str(value).split()).lower() if value is not None else ""


def sheet_title(name: str, taken: set[str]) -> str:
    """An Excel-legal, unique sheet name as close to `name` as possible."""
    title = ILLEGAL_SHEET_CHARS.sub("-", name)[:31].strip("'") or "Customer"
    if title.lower() in {"history", LIST_SHEET.lower(), "summary", "budget"}:
        title = f"{title} (customer)"[:31]
    candidate, number = title, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = title[:31 - len(suffix)] + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"

