"""Building blocks every list page shares: anchored prefix search and whitelisted sorting."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import LRUCache, TTLCache
from mongoengine.queryset import QuerySet

from sop.caches import remembering
from sop.clock import now

T = TypeVar("T")
CHOICES_SECONDS = 60.0
CHOICES_ENTRIES = 1024
UNTIL_WRITTEN_ENTRIES = 512


computed_for_a_minute = remembering(TTLCache(maxsize=CHOICES_ENTRIES, ttl=CHOICES_SECONDS))
computed_until_versions_move = remembering(LRUCache(maxsize=UNTIL_WRITTEN_ENTRIES))


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
    return computed_for_a_minute(key, compute)


def forget_choices() -> None:
    """Empty both per-process caches of this module (the tests start each test afresh)."""
    computed_for_a_minute.cache_clear()
    computed_until_versions_move.cache_clear()


def cached_until_written(key: tuple[Any, ...], collections: tuple[str, ...],
                         compute: Callable[[], T]) -> T:
    """`compute()`, kept per process until one of `collections` is written: their data
    versions (sop.dataversions, moved after every acknowledged write) are part of the key, so
    a list request repeated with no write in between skips the counts and scans that the
    embedded server pays per document. The value is shared between requests: return tuples
    or other values nobody mutates. Without Redis the value is computed every time."""
    from sop.dataversions import IGNORED_COLLECTIONS, current_versions
    from sop.extensions import redis_queues

    if IGNORED_COLLECTIONS.intersection(collections):
        raise ValueError(f"Writes to {collections} do not move a data version.")
    versions = current_versions(redis_queues.redis, collections)
    if versions is None:
        return compute()
    return computed_until_versions_move((*key, *versions.values()), compute)
