"""Pages of a queryset, for every list in the portal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mongoengine.queryset import QuerySet

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
             with_references: bool = False) -> Page:
    """One page; a page number past the end shows the last page. `with_references` loads the
    page's referenced documents in one query per collection instead of one per row."""
    total = queryset.count()
    page = min(max(1, page), max(1, -(-total // per_page)))
    window = queryset.skip((page - 1) * per_page).limit(per_page)
    items = window.select_related(max_depth=1) if with_references else list(window)
    return Page(items, total, page, per_page)
