"""The value of one cell of a rep workbook as the reader takes it: a quantity or a price (the
portal's one number rule, sop.user_input), an item code, a probability category."""

from __future__ import annotations

import ast
import difflib
import operator
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from sop.excel.rep_workbook.layout import PROBABILITY_TEXTS, normalise
from sop.user_input import MAX_AMOUNT, NumberRefused, checked_number, parse_number

CODE_TEXT = re.compile(r"^\d{1,6}$", re.ASCII)
DATE_TYPES = (date, datetime, time, timedelta)
EXCEL_DAY_ZERO = date(1899, 12, 30).toordinal()  # day 0 of Excel's (1900) date numbers


class CellRefused(ValueError):
    """A cell whose number cannot be known; the message says what to do."""


# --- numbers -----------------------------------------------------------------------------------

ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv}


def arithmetic(text: str) -> float | None:
    """The value of a formula made only of numbers, + - * / and brackets; None otherwise."""
    if len(text) > 200:
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = value(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            return ARITHMETIC[type(node.op)](value(node.left), value(node.right))
        raise ValueError

    try:
        return value(tree.body)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def typed_number(value: Any, what: str, warn: Callable[[str], None]) -> float:
    """A non-blank quantity or price cell's number (finite, not negative, at most 10^12: the
    rule of every number the portal takes, sop.user_input); CellRefused with what to do."""
    if type(value) is float and 0 <= value <= MAX_AMOUNT:  # the common case, in one test
        return value
    if isinstance(value, DATE_TYPES):
        number = day_number(value)
        if number is None:
            raise CellRefused(f"This {what} cell holds a date: enter a number.")
        warn(f"This {what} cell is formatted as a date or time ({value}); it was read as "
             f"{number:g}: give the cell a number format.")
    elif isinstance(value, str):
        try:
            number = parse_number(value, f"The {what}", negative_ok=True)
        except NumberRefused:
            raise CellRefused(f"Enter the {what} as a number (blank means 0 for quantities)."
                              ) from None
        if number is None:
            raise CellRefused(f"Enter the {what} as a number.")
        warn(f"This {what} is stored as text; it was read as {number:g}.")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, bool):
        raise CellRefused(f"Enter the {what} as a number, not TRUE/FALSE.")
    else:
        raise CellRefused(f"Enter the {what} as a number.")
    try:
        return checked_number(number, f"The {what}")
    except NumberRefused as exc:
        raise CellRefused(str(exc)) from None


EXCEL_LEAP_BUG = date(1900, 3, 1)
SMALL_DAY_NUMBERS = 10_000  # a date before 1927 in a quantity cell is a number badly formatted


def day_number(value: date | datetime | time | timedelta) -> float | None:
    """The number behind a date-formatted cell, when it cannot be a real date (a quantity
    shown as 05-Jan-1900); None for a real date."""
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    day = value.date() if isinstance(value, datetime) else value
    number = float(day.toordinal() - EXCEL_DAY_ZERO)
    if day < EXCEL_LEAP_BUG:  # Excel counts a 29 February 1900 that never was
        number -= 1
    if isinstance(value, datetime):
        number += (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    return number if 0 <= number < SMALL_DAY_NUMBERS else None


def item_code(value: Any) -> str:
    """An item code cell (number or text) as the 6-digit code; CellRefused when it is not."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool | date | datetime | time | timedelta):
        raise CellRefused("Type the 6-digit item code (e.g. 110001).")
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not CODE_TEXT.match(text):
        raise CellRefused("An item code has 6 digits, e.g. 110001.")
    return text.zfill(6)


# --- probabilities -----------------------------------------------------------------------------

PROBABILITY_KEYWORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"sales\s*order"), 0),
    (re.compile(r"supply\s*plan"), 1),
    (re.compile(r"cust\w*\s+f\w{0,3}cast"), 2),
    (re.compile(r"budget|estimated|by\s+sales\s+rep"), 3),
    (re.compile(r"low\s*/\s*mid"), 1),
    (re.compile(r"high"), 3),
    (re.compile(r"mid"), 2),
    (re.compile(r"low"), 0),
)
EXACT_PROBABILITIES = {normalise(text): code for code, text in PROBABILITY_TEXTS.items()}


def map_probability(value: Any) -> tuple[int | None, str | None]:
    """(code, warning) for a probability cell: exact texts map silently (case and spaces
    ignored); misspellings and risk words map with a warning; anything else is None with a
    warning. Category names win over risk words (`Customer Forecast - HIGH Risk` → 2)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value) in (0.0, 1.0, 2.0, 3.0):
            code = int(value)
            return code, f"Read the number {value:g} as '{PROBABILITY_TEXTS[code]}'."
        return None, (f"{value:g} is not a probability category: choose one from the list "
                      "(left blank).")
    text = normalise(value)
    if text in EXACT_PROBABILITIES:
        return EXACT_PROBABILITIES[text], None
    close = difflib.get_close_matches(text, list(EXACT_PROBABILITIES), n=1, cutoff=0.85)
    code: int | None = EXACT_PROBABILITIES[close[0]] if close else None
    if code is None:
        for pattern, candidate in PROBABILITY_KEYWORDS:
            if pattern.search(text):
                code = candidate
                break
    if code is None:
        return None, (f"'{value}' is not a probability category: choose one from the list "
                      "(left blank).")
    return code, f"Read '{str(value).strip()}' as '{PROBABILITY_TEXTS[code]}'."
