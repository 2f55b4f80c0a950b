"""Pages of a queryset, for every list in the portal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mongoengine.queryset import QuerySet

from sop.listing import cached_until_written

PAGE_SIZE = 25


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(queryset: QuerySet, page: int, per_page: int = PAGE_SIZE,
             with_references: bool = False, cached: bool = False) -> Page:
    """One page; a page number past the end shows the last page. `with_references` loads the
    page's referenced documents in one query per collection instead of one per row.
    `cached`: the count and the page's ids are kept until the collection is next written
    (sop.listing.cached_until_written); the page's documents are still read on every request,
    by id and through the same filter (a filter naming ids itself is not cached)."""
    query = queryset._query
    if not cached or "_id" in query:
        total, page = _clamped(queryset, page, per_page)
        window = queryset.skip((page - 1) * per_page).limit(per_page)
        items = window.select_related(max_depth=1) if with_references else list(window)
        return Page(items, total, page, per_page)
    key = ("page", queryset._collection.name, repr(query), repr(queryset._ordering), page,
           per_page)
    total, page, ids = cached_until_written(
        key, (queryset._collection.name,), lambda: _window_ids(queryset, page, per_page))
    # `_id` first: the embedded server takes the index of the filter's first indexed field.
    found = queryset._document.objects(__raw__={"_id": {"$in": list(ids)}, **query})
    found = found.select_related(max_depth=1) if with_references else list(found)
    by_id = {document.pk: document for document in found}
    return Page([by_id[i] for i in ids if i in by_id], total, page, per_page)


def _clamped(queryset: QuerySet, page: int, per_page: int) -> tuple[int, int]:
    total = queryset.count()
    return total, min(max(1, page), max(1, -(-total // per_page)))


def _window_ids(queryset: QuerySet, page: int, per_page: int) -> tuple[int, int, tuple]:
    total, page = _clamped(queryset, page, per_page)
    window = queryset.skip((page - 1) * per_page).limit(per_page)
    return total, page, tuple(window.scalar("id"))
