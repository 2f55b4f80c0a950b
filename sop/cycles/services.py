"""Cycle use cases. The lookups every other area needs come first."""

from __future__ import annotations

from sop.models import Cycle
from sop.months import parse_year_month


def current_open_cycle() -> Cycle | None:
    """The one open cycle, if any (at most one is open at a time)."""
    return Cycle.objects(status="open").first()


def cycle_by_label(label: str) -> Cycle | None:
    """The cycle named `YYYY-MM`; ValueError when the text is not a month."""
    month = parse_year_month(label)
    return Cycle.objects(year=month.year, month=month.month).first()


def previous_cycle(cycle: Cycle) -> Cycle | None:
    """The latest cycle before `cycle` that was ever opened: where "last cycle" numbers come
    from."""
    return Cycle.objects(
        status__in=("open", "closed", "archived"),
        __raw__={"$or": [{"year": {"$lt": cycle.year}},
                         {"year": cycle.year, "month": {"$lt": cycle.month}}]},
    ).order_by("-year", "-month").first()
