"""Report types: what a report is called, which filters it takes, which collections it reads and
the function that builds it. Builders register themselves (one module per type in
sop/reports/types/); `ReportContext` is what a builder gets, and its `customer_ids` /
`rep_ids` are THE scoping of report rows, built on `sop.security.scoped`: a rep only ever
gets their own data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from bson import ObjectId

from sop.months import add_months, months_apart, parse_year_month

MAX_RANGE_MONTHS = 36
ID_FILTERS = ("cycle", "rep", "customer", "item")


@dataclass(frozen=True)
class ReportFilters:
    """Every field optional, strings as they come from the form."""

    cycle: str | None = None  # cycle id (ObjectId hex)
    month_from: str | None = None  # "YYYY-MM" inclusive
    month_to: str | None = None  # "YYYY-MM" inclusive (exactly those months, across years)
    rep: str | None = None  # user id
    territory: str | None = None
    customer: str | None = None  # customer id
    item: str | None = None  # product id
    group: str | None = None  # product group_description

    @classmethod
    def from_mapping(cls, values: Any) -> ReportFilters:
        """The filter fields of a form or dict; blanks become None, text is stripped."""
        found = {}
        for field in fields(cls):
            value = values.get(field.name)
            value = value.strip() if isinstance(value, str) else value
            found[field.name] = value or None
        return cls(**found)

    def only(self, names: tuple[str, ...]) -> ReportFilters:
        """The same filters keeping only `names` (what a report type shows)."""
        return replace(self, **{name: None for name in self.as_dict() if name not in names})

    def as_dict(self) -> dict[str, str]:
        """Only the set ones, for the cache key and display."""
        return {name: value for name, value in asdict(self).items() if value is not None}


def month_range(first: str, last: str) -> list[str]:
    """`2025-11`..`2026-02` → every month from first to last inclusive, as "YYYY-MM"."""
    start = parse_year_month(first)
    return [add_months(start, offset).strftime("%Y-%m")
            for offset in range(months_apart(start, parse_year_month(last)) + 1)]


def _object_id(text: str | None) -> ObjectId | None:
    return ObjectId(text) if text and ObjectId.is_valid(text) else None


@dataclass
class ReportContext:
    """What a builder gets. Reps are ALWAYS limited to their own data, whatever the filters say
    (a rep filter naming another rep gives an empty report, not that rep's rows)."""

    filters: ReportFilters
    viewer: Any  # sop.models.User, the requester
    path: Path  # write the .xlsx here
    progress: Callable[[str, int, int | None], None]  # (stage text, done, total); throttled
    generated_at: datetime

    @property
    def sees_all(self) -> bool:
        return self._visible_reps is None

    @cached_property
    def _visible_reps(self) -> list[ObjectId] | None:
        from sop.security import visible_reps

        return visible_reps(self.viewer)

    def scope_label(self) -> str:
        """"all reps" or the rep's name: whose data the report holds."""
        return "all reps" if self.sees_all else self.viewer.full_name

    def cycle(self) -> Any:
        """The filtered cycle (sop.models.Cycle) or None."""
        return self._cycle

    @cached_property
    def _cycle(self) -> Any:
        from sop.models import Cycle

        cycle_id = _object_id(self.filters.cycle)
        return Cycle.objects(id=cycle_id).first() if cycle_id else None

    def rep_ids(self) -> list[ObjectId] | None:
        """Reps in scope (viewer + rep filter); None = no restriction."""
        return None if self._rep_ids is None else list(self._rep_ids)

    @cached_property
    def _rep_ids(self) -> list[ObjectId] | None:
        wanted = _object_id(self.filters.rep) if self.filters.rep else None
        if self.filters.rep and wanted is None:
            return []
        visible = self._visible_reps
        if visible is None:
            return None if wanted is None else [wanted]
        return visible if wanted is None or wanted in visible else []

    def customer_ids(self) -> list[ObjectId] | None:
        """Customers in scope (viewer + rep / territory / customer filters); None = all."""
        return None if self._customer_ids is None else list(self._customer_ids)

    @cached_property
    def _customer_ids(self) -> list[ObjectId] | None:
        from sop.models import Customer
        from sop.security import scoped

        filters = self.filters
        if self.sees_all and not (filters.rep or filters.territory or filters.customer):
            return None
        reps = self._rep_ids
        if reps == []:
            return []
        customers = scoped(Customer, self.viewer)
        if reps is not None:
            customers = customers.filter(sales_rep__in=reps)
        if filters.territory:
            customers = customers.filter(territory=filters.territory)
        if filters.customer:
            customer_id = _object_id(filters.customer)
            if customer_id is None:
                return []
            customers = customers.filter(id=customer_id)
        return list(customers.scalar("id"))

    def product_ids(self) -> list[ObjectId] | None:
        """Products matching the item / group filters; None = all."""
        return None if self._product_ids is None else list(self._product_ids)

    @cached_property
    def _product_ids(self) -> list[ObjectId] | None:
        from sop.models import Product

        filters = self.filters
        if not (filters.item or filters.group):
            return None
        products = Product.objects
        if filters.item:
            item_id = _object_id(filters.item)
            if item_id is None:
                return []
            products = products.filter(id=item_id)
        if filters.group:
            products = products.filter(group_description=filters.group)
        return list(products.scalar("id"))

    def months(self) -> list[str]:
        """The month range as "YYYY-MM" list: month_from..month_to when given, else the
        filtered cycle's buckets, else empty."""
        if self.filters.month_from and self.filters.month_to:
            return month_range(self.filters.month_from, self.filters.month_to)
        cycle = self.cycle()
        if cycle is not None:
            return [month.strftime("%Y-%m") for month in cycle.bucket_months]
        return []


@dataclass(frozen=True)
class ReportType:
    key: str
    title: str
    description: str  # one sentence for the reports page
    filters: tuple[str, ...]  # which ReportFilters fields the form shows for this type
    required: tuple[str, ...]  # e.g. ("cycle",) or ("month_from", "month_to")
    collections: tuple[str, ...]  # Mongo collection names whose change invalidates the cache
    build: Callable[[ReportContext], None]

    def validate(self, filters: ReportFilters) -> list[str]:
        """What is wrong with `filters` for this type, as sentences (empty = fine)."""
        from sop.models import Cycle

        values = filters.as_dict()
        errors = [f"Choose {FILTER_LABELS[name].lower()}." for name in self.required
                  if name not in values]
        for name in ID_FILTERS:
            if name in values and not ObjectId.is_valid(values[name]):
                errors.append(f"The {FILTER_LABELS[name].lower()} is not one of the choices.")
        if "cycle" in values and ObjectId.is_valid(values["cycle"]) \
                and not Cycle.objects(id=values["cycle"]).only("id").first():
            errors.append("That cycle does not exist.")
        parsed = {}
        for name in ("month_from", "month_to"):
            if name in values:
                try:
                    parsed[name] = parse_year_month(values[name])
                except ValueError as exc:
                    errors.append(f"{FILTER_LABELS[name]}: {exc}")
        if ("month_from" in values) != ("month_to" in values):
            errors.append("Give both months of the range, or neither.")
        if len(parsed) == 2:
            span = months_apart(parsed["month_from"], parsed["month_to"]) + 1
            if span < 1:
                errors.append("The range ends before it starts.")
            elif span > MAX_RANGE_MONTHS:
                errors.append(f"The range covers {span} months; at most {MAX_RANGE_MONTHS}.")
        return errors


def out_of_scope(filters: ReportFilters, viewer: Any) -> list[str]:
    """Sentences for the rep, customer and territory filters that name something `viewer` may
    not see (sop.security.scoped): refused, never looked up by name, so ids cannot be walked."""
    from sop.models import Customer, User
    from sop.security import scoped

    errors = []
    lookups = (("rep", User), ("customer", Customer))
    for name, document in lookups:
        wanted = _object_id(getattr(filters, name))
        if wanted is not None and not scoped(document, viewer).filter(id=wanted).only(
                "id").first():
            errors.append(f"{FILTER_LABELS[name]}: not one of yours; choose one from the list.")
    if filters.territory and not scoped(Customer, viewer).filter(
            territory=filters.territory).only("id").first():
        errors.append("Territory: no customer of yours is in it; choose one from the list.")
    return errors


FILTER_LABELS = {
    "cycle": "Cycle",
    "month_from": "From month",
    "month_to": "To month",
    "rep": "Sales rep",
    "territory": "Territory",
    "customer": "Customer",
    "item": "Item",
    "group": "Product group",
}

REPORT_TYPES: dict[str, ReportType] = {}


def register(report_type: ReportType) -> ReportType:
    """Add a report type (once per key); returns it so a module can keep a name for it."""
    unknown = set(report_type.filters) | set(report_type.required)
    unknown -= set(FILTER_LABELS)
    if unknown:
        raise ValueError(f"Report {report_type.key}: unknown filters {sorted(unknown)}.")
    existing = REPORT_TYPES.get(report_type.key)
    if existing is not None and existing is not report_type:
        raise ValueError(f"Report type {report_type.key!r} is registered twice.")
    REPORT_TYPES[report_type.key] = report_type
    return report_type
