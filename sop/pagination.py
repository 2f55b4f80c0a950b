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


def paginate(queryset: QuerySet, page: int, per_page: int = PAGE_SIZE) -> Page:
    """One page; a page number past the end shows the last page."""
    total = queryset.count()
    page = min(max(1, page), max(1, -(-total // per_page)))
    items = list(queryset.skip((page - 1) * per_page).limit(per_page))
    return Page(items, total, page, per_page)
