"""The rep workbook (DOMAIN.md §5.1): read a filled one, write a pre-filled one.

Pure functions over openpyxl (and pyxlsb for .xlsb): no Flask, no database. The service layer
(sop.workbooks) turns database lines into a `WorkbookPlan` and `CustomerSheet`s back into lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


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


@dataclass
class CustomerSheet:
    """A customer sheet: its name is the customer's S&OP name as written in the file."""

    name: str
    lines: list[SheetLine] = field(default_factory=list)


@dataclass
class CatalogItem:
    """A row of the catalog block, printed in the same order on every customer sheet."""

    item_code: str
    description: str
    group_text: str = ""  # column C, "Group - Category"


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
