"""The master-data import formats (DOMAIN.md §5.4): one declarative column table per kind
(customers, items, prices, sales history, budget) and the cell converters its fields use.
The reader (sop.excel.masterdata) and the template writer (sop.excel.import_files) are built
from the same tables. Pure functions: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sop.user_input import (
    MAX_AMOUNT,
    EmailRefused,
    NumberRefused,
    clean_text,
    email_address,
    parse_number,
)

EXCEL_EPOCH = datetime(1899, 12, 30)
ITEM_CODE = re.compile(r"^\d{6}$", re.ASCII)
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$", re.ASCII)
TRUE_WORDS = {"yes", "y", "true", "1", "active", "x"}
FALSE_WORDS = {"no", "n", "false", "0", "inactive"}


class CellError(ValueError):
    """A cell value that cannot be used; the message says what to write instead."""


# --- cell converters: each takes a non-empty cell value and returns the typed value -----------
# Each first takes the common case (a number cell, plain text) in one test: a 480,000-row file
# goes through them millions of times; anything else gets the full parse.

def to_text(value: Any, max_length: int = 200) -> str:
    """Cell text, without control characters (sop.user_input.clean_text)."""
    if type(value) is str and value.isprintable():  # nothing for clean_text to remove
        text = value.strip()
    else:
        text = (value.strip() if isinstance(value, str) else
                str(int(value)) if isinstance(value, float) and value.is_integer() else
                str(value))
        text = clean_text(text).strip()
    if len(text) > max_length:
        raise CellError(f"Use at most {max_length} characters.")
    return text


def to_item_code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not ITEM_CODE.match(text):
        raise CellError("An item code has exactly 6 digits, e.g. 110001.")
    return text


def to_number(value: Any) -> float:
    """Any finite number within ±sop.user_input.MAX_AMOUNT (the one parser of typed numbers)."""
    if type(value) is float and -MAX_AMOUNT <= value <= MAX_AMOUNT:  # NaN fails this too
        return value
    if not isinstance(value, str | int | float):  # a date, a time...
        raise CellError("Enter a number, like 1234.5.")
    try:
        number = parse_number(value, "A number", "1234.5", negative_ok=True)
    except NumberRefused as exc:
        raise CellError(str(exc)) from None
    if number is None:
        raise CellError("Enter a number, like 1234.5.")
    return number


def to_amount(value: Any) -> float:
    """A quantity or price: a number that is not negative."""
    if type(value) is float and 0 <= value <= MAX_AMOUNT:
        return value
    number = to_number(value)
    if number < 0:
        raise CellError("Negative values are not allowed here; enter 0 or more.")
    return number


def to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if isinstance(value, float | int):
        text = str(int(value))
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError("Write Yes or No.")


def to_whole(value: Any, low: int, high: int) -> int:
    if type(value) is float and value.is_integer() and low <= value <= high:
        return int(value)
    if type(value) is int and low <= value <= high:  # a JSON number (sop.imports.batch)
        return value
    number = to_number(value)
    if not number.is_integer() or not low <= number <= high:
        raise CellError(f"Enter a whole number from {low} to {high}.")
    return int(number)


def to_month(value: Any) -> date:
    """A month from a real date, an Excel serial number, 'YYYY-MM' or 'YYYY-MM-DD' text."""
    if isinstance(value, datetime):
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            day = EXCEL_EPOCH + timedelta(days=float(value))
            return date(day.year, day.month, 1)
        raise CellError("This number is not a date: write the month as YYYY-MM.")
    match = YEAR_MONTH.match(str(value).strip())
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and 1900 <= year <= 2200:
            return date(year, month, 1)
    raise CellError("Write the month as YYYY-MM (e.g. 2026-03) or use a real Excel date; "
                    "texts like 03/04/2025 are ambiguous.")


def to_email(value: Any) -> str:
    try:
        return email_address(value)
    except EmailRefused:
        raise CellError("Enter an e-mail address like name@example.com.") from None


# --- formats -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    header: str
    convert: Callable[[Any], Any]
    required: bool = False
    choices: tuple[str, ...] = ()  # offered as a drop-down in the template
    example: Any = None
    width: int = 16

    @property
    def template_header(self) -> str:
        return f"{self.header}*" if self.required else self.header


@dataclass(frozen=True)
class ImportFormat:
    kind: str
    title: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # natural key: a second row with the same key is an error
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # alternatives: a required field may be replaced by others (sales: Month date vs Year+Month)

    def field_by_header(self) -> dict[str, Field]:
        return {normalise_header(f.header): f for f in self.fields}


def normalise_header(text: Any) -> str:
    return " ".join(str(text or "").replace("*", " ").split()).lower()


def _text(limit: int) -> Callable[[Any], str]:
    return partial(to_text, max_length=limit)


def _whole(low: int, high: int) -> Callable[[Any], int]:
    return partial(to_whole, low=low, high=high)


def as_given(value: Any) -> Any:
    """A cell a row check converts later (the sales month: a number or a whole month)."""
    return value


YES_NO = ("Yes", "No")
CATEGORIES = ("G01 - Garlic Production", "G02 - Shallot Production", "G03 - Ready to Use",
              "G04 - Other Production", "G05 - Resale")

CUSTOMERS = ImportFormat("customers", "Customers", (
    Field("code", "Customer Code", _text(40), True, example="PATITO-000123"),
    Field("name", "Customer Name", _text(200), True, example="Bayou Foods LLC", width=30),
    Field("sop_name", "S&OP Name", _text(31), example="BAYOU FOODS", width=24),
    Field("rep_email", "Sales Rep Email", to_email, example="jordan.reyes@example.com",
          width=26),
    Field("territory", "Territory", _text(80), example="South"),
    Field("corporate_group", "Corporate Group", _text(120), example="Independent"),
    Field("address", "Address", _text(200), example="1 Harbor Rd", width=24),
    Field("city", "City", _text(80), example="Houston"),
    Field("state", "State", _text(80), example="TX"),
    Field("postal_code", "Postal Code", _text(20), example="77001"),
    Field("country", "Country", _text(80), example="US"),
    Field("contact_name", "Contact Name", _text(120), example="Pat Buyer"),
    Field("contact_email", "Contact Email", _text(254), example="buyer@bayou.example"),
    Field("contact_phone", "Contact Phone", _text(40), example="+1 555 0100"),
    Field("payment_terms", "Payment Terms", _text(60), example="Net 30"),
    Field("credit_limit", "Credit Limit", to_amount, example=50000),
    Field("active", "Active", to_boolean, choices=YES_NO, example="Yes"),
), key=("code",))

PRODUCTS = ImportFormat("products", "Items", (
    Field("item_code", "Item Code", to_item_code, True, example="110001"),
    Field("description", "Description", _text(200), True, example="Peeled Garlic 4x5 lb",
          width=30),
    Field("group_code", "Group Code", _text(20), example="1-2"),
    Field("subgroup", "Subgroup", _text(60), example="Peeled Garlic"),
    Field("group_description", "Group Description", _text(120), example="Group 1-2"),
    Field("category", "Category", _text(60), choices=CATEGORIES,
          example="G01 - Garlic Production", width=24),
    Field("manufacturing_location", "Manufacturing Location", _text(80),
          example="Plant A - Gilroy"),
    Field("manufacturing_line", "Manufacturing Line", _text(80), example="Line 1"),
    Field("pack_size", "Pack Size", _text(40), example="4x5 lb"),
    Field("weight", "Weight", to_amount, example=20),
    Field("uom", "UoM", _text(10), True, example="CS"),
    Field("list_price", "List Price", to_amount, example=42.5),
    Field("cost_price", "Cost Price", to_amount, example=30.1),
    Field("currency", "Currency", _text(3), example="USD"),
    Field("active", "Active", to_boolean, choices=YES_NO, example="Yes"),
), key=("item_code",))

PRICES = ImportFormat("prices", "Price matrix", (
    Field("customer_code", "Customer Code", _text(40), True, example="PATITO-000123"),
    Field("item_code", "Item Code", to_item_code, True, example="110001"),
    Field("price", "Customer Price", to_amount, example=41.75),
    Field("effective_from", "Effective From", to_month, example="2026-01"),
    Field("active", "Active", to_boolean, choices=YES_NO, example="Yes"),
), key=("customer_code", "item_code"))

SALES = ImportFormat("sales", "Sales history", (
    Field("customer_code", "Customer Code", _text(40), True, example="PATITO-000123"),
    Field("item_code", "Item Code", to_item_code, True, example="110001"),
    Field("year", "Year", _whole(1900, 2200), True, example=2026),
    Field("month", "Month", as_given, True, example=3),  # number, or a whole month
    Field("quantity", "Quantity", to_amount, True, example=120),
    Field("unit_price", "Unit Price", to_amount, example=41.75),
    Field("sales", "Sales", to_number, True, example=5010),
    Field("cogs", "COGS", to_number, example=3507),
    Field("gross_profit", "Gross Profit", to_number, example=1503),
), key=("customer_code", "item_code", "year", "month"), alternatives={"year": ("month",)})

BUDGET = ImportFormat("budget", "Budget", (
    Field("rep_email", "Sales Rep Email", to_email, True, example="jordan.reyes@example.com",
          width=26),
    Field("sop_name", "Customer S&OP", _text(120), True, example="BAYOU FOODS", width=24),
    Field("year", "Year", _whole(1900, 2200), True, example=2026),
    Field("month", "Month", _whole(1, 12), True, example=3),
    Field("cases", "Cases", to_amount, True, example=400),
    Field("sales", "Sales", to_amount, example=16700),
), key=("rep_email", "sop_name", "year", "month"))

FORMATS: dict[str, ImportFormat] = {f.kind: f for f in (CUSTOMERS, PRODUCTS, PRICES, SALES,
                                                         BUDGET)}
