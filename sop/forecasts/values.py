"""The grid's values: a cell as typed and as shown, and the refusals every edit can meet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sop.user_input import NumberRefused, parse_number

FIELDS = {"qty": "qty", "price": "price"}
FIELD_LABELS = {"qty": "qty", "price": "price"}
LINE_PROJECTION = {"product": 1, "customer": 1, "qty": 1, "price": 1, "probability": 1,
                   "new_item": 1, "version": 1, "updated_by": 1, "updated_at": 1}


class GridError(ValueError):
    """A refused edit the user can fix (bad number, unknown item...): HTTP 422."""


class PlanLocked(Exception):
    """The plan may not change (cycle not open, plan submitted or approved, not the rep's)."""


@dataclass
class Conflict(Exception):
    """The cell changed since the client loaded it: the value it holds now, and who set it."""

    value: Any
    by: str | None
    at: datetime | None


# --- values -------------------------------------------------------------------------------

def parse_value(raw: str | None, what: str = "qty") -> float | None:
    """A cell as typed: blank → not entered; else a number ≥ 0 (fractions allowed), finite
    and at most sop.user_input.MAX_AMOUNT."""
    try:
        return parse_number(raw, "Cases" if what == "qty" else "A price",
                            "12 or 12.5" if what == "qty" else "42.50")
    except NumberRefused as exc:
        raise GridError(str(exc)) from None


def show(value: float | None) -> str:
    """A stored value as the input shows it; parse_value(show(v)) == v exactly."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def short(value: float | None) -> str:
    """A figure shown, not edited: thousands separated, one decimal when not whole."""
    if value is None:
        return "\u2013"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bucket_label(bucket: int, what: str) -> str:
    return f"M{bucket + 1} {FIELD_LABELS[what]}"
