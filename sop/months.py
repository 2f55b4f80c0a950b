"""Calendar months as first-of-month dates: the arithmetic cycles, forecasts and workbooks share."""

from __future__ import annotations

from datetime import date


def first_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_apart(earlier: date, later: date) -> int:
    """How many months `later`'s month is after `earlier`'s (negative when before)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def month_label(day: date) -> str:
    """`Nov 2025`: how cycles and month columns are named."""
    return day.strftime("%b %Y")


def parse_year_month(text: str) -> date:
    """`2025-11` → date(2025, 11, 1); ValueError with a readable message otherwise."""
    try:
        if not text.strip().isascii():  # int() would read "٢٠٢٥" as 2025
            raise ValueError
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValueError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2025-11.") from None
