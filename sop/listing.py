"""Building blocks every list page shares: anchored prefix search and whitelisted sorting."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from mongoengine.queryset import QuerySet

from sop.clock import now

T = TypeVar("T")
CHOICES_SECONDS = 60.0
_choices_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_choices_lock = threading.Lock()


def prefix_match(queryset: QuerySet, text: str, fields: tuple[str, ...]) -> QuerySet:
    """Rows where any of `fields` (stored lower-case and indexed) starts with `text`.
    Anchored, escaped regexes use the indexes and never treat input as a pattern."""
    text = " ".join(text.split()).lower()
    if not text:
        return queryset
    prefix = "^" + re.escape(text)
    return queryset.filter(__raw__={"$or": [{field: {"$regex": prefix}} for field in fields]})


def sorted_by(queryset: QuerySet, sort: str, sorts: dict[str, tuple[str, ...]],
              default: str) -> QuerySet:
    return queryset.order_by(*sorts.get(sort, sorts[default]))


def export_about(title: str, viewer: Any, filters: dict[str, str]) -> list[str]:
    """The lines of an export's About sheet: what, when, by whom, with which filters."""
    used = ", ".join(f"{key}={value}" for key, value in filters.items() if value)
    return [title, f"Exported {now():%Y-%m-%d %H:%M} UTC by {viewer.email}",
            f"Filters: {used or 'none'}",
            "Rows follow the import template's columns, so the file can be imported again."]


def cached_choices(key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """Filter drop-down values (distinct territories, categories, ...) for a minute per
    process: they change rarely and each distinct query costs a database round trip on every
    list request. A new value shows up in the drop-down within a minute."""
    with _choices_lock:
        hit = _choices_cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CHOICES_SECONDS:
            return hit[1]
    value = compute()
    with _choices_lock:
        _choices_cache[key] = (time.monotonic(), value)
    return value


def forget_choices() -> None:
    with _choices_lock:
        _choices_cache.clear()
