"""Lines valued at their effective prices, in bulk: what every total in cases and $ uses
(grid, cycle page, submission board, workbook preview, reports).

Reads raw documents with only the needed fields and two bulk look-ups for the fallback
prices (matrix, then list price), never one query per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from sop.forecasts.figures import effective_prices, fallback_price, revenue
from sop.models import Cycle, ForecastLine, ForecastSnapshot, PriceEntry, Product

Pair = tuple[ObjectId, ObjectId]  # (customer id, product id)
LINE_FIELDS = ("_id", "cycle", "rep", "customer", "product", "probability", "new_item", "qty",
               "price", "version")


class PriceBook:
    """Fallback prices (the matrix price if positive, else the list price), read on first use
    and kept for the life of the book: valuing a whole cycle reads the matrix once.

    A few customers or items are looked up by id; past `SHORT_LIST` ids the whole collection
    is read instead (only the needed fields): on the embedded server a long `$in` list costs
    seconds where one pass over 20,000 price entries costs a fraction of one."""

    SHORT_LIST = 25

    def __init__(self) -> None:
        self.matrix: dict[ObjectId, dict[ObjectId, float | None]] = {}
        self.listed: dict[ObjectId, float | None] = {}
        self.whole_matrix = False
        self.whole_catalog = False

    def load(self, pairs: Iterable[Pair]) -> None:
        pairs = list(pairs)
        customers = list({c for c, _ in pairs if c not in self.matrix})
        products = list({p for _, p in pairs if p not in self.listed})
        if customers and not self.whole_matrix:
            self._load_matrix(customers)
        if products and not self.whole_catalog:
            self._load_catalog(products)

    def _load_matrix(self, customers: list[ObjectId]) -> None:
        whole = len(customers) > self.SHORT_LIST
        query = {} if whole else {"customer": {"$in": customers}}
        for customer in customers:
            self.matrix[customer] = {}
        for row in PriceEntry._get_collection().find(
                query, {"customer": 1, "product": 1, "price": 1, "_id": 0}):
            self.matrix.setdefault(row["customer"], {})[row["product"]] = row.get("price")
        self.whole_matrix = whole

    def _load_catalog(self, products: list[ObjectId]) -> None:
        whole = len(products) > self.SHORT_LIST
        query = {} if whole else {"_id": {"$in": products}}
        for product in products:
            self.listed[product] = None
        for row in Product._get_collection().find(query, {"list_price": 1}):
            self.listed[row["_id"]] = row.get("list_price")
        self.whole_catalog = whole

    def fallback(self, pair: Pair) -> float | None:
        return fallback_price(self.matrix.get(pair[0], {}).get(pair[1]),
                              self.listed.get(pair[1]))


def fallback_prices(pairs: Iterable[Pair]) -> dict[Pair, float | None]:
    """For each (customer, product): the matrix price if positive, else the list price."""
    pairs = set(pairs)
    book = PriceBook()
    book.load(pairs)
    return {pair: book.fallback(pair) for pair in pairs}


@dataclass
class ValuedLine:
    """A raw line document with its effective price and revenue per bucket."""

    raw: Mapping[str, Any]
    prices: list[float]
    revenue: list[float]

    @property
    def qty(self) -> list[float | None]:
        return self.raw.get("qty") or []


def value_lines(raw_lines: Iterable[Mapping[str, Any]], batch: int = 2000,
                fallbacks: Mapping[Pair, float | None] | None = None) -> Iterator[ValuedLine]:
    """Each raw line (a dict with customer, product, qty, price) valued, in batches.
    `fallbacks` ({pair: matrix price, else list price}) skips the look-ups when the caller
    already holds them (the grid reads the customer's whole matrix anyway)."""
    book = PriceBook()
    chunk: list[Mapping[str, Any]] = []
    for raw in raw_lines:
        chunk.append(raw)
        if len(chunk) == batch:
            yield from _value_chunk(chunk, book, fallbacks)
            chunk = []
    yield from _value_chunk(chunk, book, fallbacks)


def _value_chunk(chunk: list[Mapping[str, Any]], book: PriceBook,
                 known: Mapping[Pair, float | None] | None = None) -> Iterator[ValuedLine]:
    if known is None:
        book.load((raw["customer"], raw["product"]) for raw in chunk)
    for raw in chunk:
        pair = (raw["customer"], raw["product"])
        prices = effective_prices(raw.get("price") or [],
                                  known.get(pair) if known is not None else book.fallback(pair),
                                  None)
        prices += [prices[-1] if prices else 0.0] * (len(raw.get("qty") or []) - len(prices))
        yield ValuedLine(raw, prices, revenue(raw.get("qty") or [], prices))


def raw_lines(query: Mapping[str, Any], fields: Iterable[str] = LINE_FIELDS
              ) -> Iterator[dict[str, Any]]:
    """Forecast lines matching a pymongo `query` (already scoped by the caller), as dicts."""
    return ForecastLine._get_collection().find(dict(query), {f: 1 for f in fields})


# What a cycle's live lines are valued from: a cache of valued figures keyed by these
# collections' data versions (sop.listing.cached_until_written) is fresh.
VALUED_LINE_COLLECTIONS = ("forecast_lines", "price_entries", "products")


def plan_source(cycle_id: ObjectId) -> Collection:
    """Where a cycle's plan is read: its frozen snapshot once closing has frozen every line
    (the cycle's `snapshot_at`), else its live lines (complete, valued now: also for a close
    cut short, until sop.cycles.services.finish_interrupted_closes finishes it). Both hold
    rep, customer, product, probability, new_item, qty, price. The cycle is asked, not the
    snapshot: any query matching a whole cycle's snapshot costs the embedded server about
    0.6 s at 20,000 lines, even for one document."""
    cycle = Cycle._get_collection().find_one({"_id": cycle_id}, {"snapshot_at": 1})
    if cycle is not None and cycle.get("snapshot_at") is not None:
        return ForecastSnapshot._get_collection()
    return ForecastLine._get_collection()


def valued_plan_lines(cycle_id: ObjectId, query: Mapping[str, Any], fields: Iterable[str]
                      ) -> Iterator[ValuedLine]:
    """A cycle's lines matching `query` at effective prices: a snapshot's prices as frozen at
    close, live lines valued now."""
    source = plan_source(cycle_id)
    wanted = {"cycle": cycle_id, **query}
    if source.name == ForecastLine._get_collection().name:
        yield from value_lines(raw_lines(wanted, (*fields, "customer", "product", "qty",
                                                  "price")))
        return
    for raw in source.find(wanted, {**{f: 1 for f in fields}, "qty": 1,
                                    "effective_price": 1}):
        prices = raw.get("effective_price") or []
        yield ValuedLine(raw, prices, revenue(raw.get("qty") or [], prices))


@dataclass
class PlanTotals:
    """Cases and $ per bucket over a set of lines, and how many lines."""

    horizon: int
    lines: int = 0
    cases: list[float] = field(default_factory=list)
    dollars: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cases = self.cases or [0.0] * self.horizon
        self.dollars = self.dollars or [0.0] * self.horizon

    def add(self, line: ValuedLine) -> None:
        self.lines += 1
        for i, q in enumerate(line.qty[:self.horizon]):
            self.cases[i] += q or 0.0
            self.dollars[i] += line.revenue[i]

    def cases_through(self, months: int) -> float:
        return sum(self.cases[:months])

    def dollars_through(self, months: int) -> float:
        return sum(self.dollars[:months])


def plan_totals(query: Mapping[str, Any], horizon: int) -> PlanTotals:
    """Totals of the lines matching `query` at effective prices."""
    totals = PlanTotals(horizon)
    for line in value_lines(raw_lines(query, ("customer", "product", "qty", "price"))):
        totals.add(line)
    return totals


def totals_by(query: Mapping[str, Any], horizon: int, key: str) -> dict[Any, PlanTotals]:
    """Totals per value of `key` ("rep", "customer", "product") of the matching lines."""
    result: dict[Any, PlanTotals] = {}
    for line in value_lines(raw_lines(query, ("customer", "product", "rep", "qty", "price"))):
        result.setdefault(line.raw[key], PlanTotals(horizon)).add(line)
    return result
