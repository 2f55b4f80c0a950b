"""Building blocks every list page shares: anchored prefix search and whitelisted sorting."""

from __future__ import annotations

import re
from typing import Any

from mongoengine.queryset import QuerySet

from sop.clock import now


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
