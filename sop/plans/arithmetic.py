"""The numbers of a forecast line: effective prices, totals, moving a plan by months.
Pure functions over lists of per-bucket values (M1 first); no database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def fallback_price(matrix_price: float | None, list_price: float | None) -> float | None:
    """What a bucket without an entered price falls back to: the customer's matrix price if
    positive, else the item's list price."""
    return matrix_price if matrix_price and matrix_price > 0 else list_price


def effective_prices(prices: Sequence[float | None], matrix_price: float | None,
                     list_price: float | None) -> list[float]:
    """The price each bucket is valued at (DOMAIN.md §3): the entered price if > 0, else the
    last positive price of an earlier bucket, else the customer's matrix price, else the
    item's list price, else 0."""
    fallback = fallback_price(matrix_price, list_price) or 0.0
    result = []
    last = None
    for price in prices:
        if price is not None and price > 0:
            last = price
        result.append(float(last if last is not None else fallback))
    return result


def revenue(qty: Sequence[float | None], prices: Sequence[float]) -> list[float]:
    """Cases times effective price per bucket; a blank quantity is worth nothing."""
    return [(q or 0.0) * p for q, p in zip(qty, prices, strict=False)]


def total(values: Sequence[float | None], months: int | None = None) -> float:
    """The sum of the first `months` buckets (all when None), blanks counted as 0."""
    return float(sum(v or 0.0 for v in values[:months]))


def roll_forward(values: Sequence[float | None], offset: int, horizon: int) -> list[float | None]:
    """A plan moved `offset` months later: what was M(i + offset) becomes M(i); the buckets
    past the old horizon stay blank. Used to start a cycle from the one before it."""
    shifted = list(values[offset:]) if offset >= 0 else [None] * -offset + list(values)
    return (shifted + [None] * horizon)[:horizon]


def missing_months(qty: Sequence[float | None], mandatory: int) -> list[int]:
    """1-based numbers of the mandatory buckets without a value (0 is a value)."""
    return [i + 1 for i in range(mandatory) if i >= len(qty) or qty[i] is None]


def pad(values: Iterable[Any] | None, horizon: int) -> list[Any]:
    """`values` cut or filled with blanks to exactly `horizon` buckets."""
    return (list(values or []) + [None] * horizon)[:horizon]


def is_empty(raw: Mapping[str, Any]) -> bool:
    """No quantity and no price (blank or 0): such a line may be removed, a copy from last
    cycle may overwrite it, and a workbook reads it back as no line at all."""
    return not any(v for v in (raw.get("qty") or [])) and not any(
        v for v in (raw.get("price") or []))
