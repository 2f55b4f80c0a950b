"""Building blocks every list page shares: anchored prefix search and whitelisted sorting."""

from __future__ import annotations

import re

from mongoengine.queryset import QuerySet


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
