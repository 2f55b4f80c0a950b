"""Reading a cycle's lines as planned, and valuing lines at their effective prices in bulk:
what every total in cases and $ uses (grid, cycle page, submission board, workbook preview,
consolidated plan, reports).

Reads raw documents with only the needed fields; the fallback prices come from a
`sop.plans.prices.PriceBook` (bulk look-ups), never one query per line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from sop.db import raw_collection
from sop.models import Cycle, ForecastLine, ForecastSnapshot
from sop.plans.arithmetic import effective_prices, pad, revenue
from sop.plans.prices import PriceBook

LINE_FIELDS = ("_id", "cycle", "rep", "customer", "product", "probability", "new_item", "qty",
               "price", "version")
# What a cycle's live lines are valued from: a cache of valued figures keyed by these
# collections' data versions (sop.listing.cached_until_written) is fresh.
VALUED_LINE_COLLECTIONS = ("forecast_lines", "price_entries", "products")


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
                book: PriceBook | None = None) -> Iterator[ValuedLine]:
    """Each raw line (a dict with customer, product, qty, price) valued, in batches; `book`
    when the caller holds the prices already (the grid reads the customer's matrix anyway,
    the consolidated plan values a whole cycle with one book)."""
    book = book or PriceBook()
    chunk: list[Mapping[str, Any]] = []
    for raw in raw_lines:
        chunk.append(raw)
        if len(chunk) == batch:
            yield from _value_chunk(chunk, book)
            chunk = []
    yield from _value_chunk(chunk, book)


def _value_chunk(chunk: list[Mapping[str, Any]], book: PriceBook) -> Iterator[ValuedLine]:
    needing = [needs_fallback(raw) for raw in chunk]
    book.load((raw["customer"], raw["product"])
              for raw, needs in zip(chunk, needing, strict=True) if needs)
    for raw, needs in zip(chunk, needing, strict=True):
        yield value_line(raw, book.fallback((raw["customer"], raw["product"])) if needs
                         else None)


def needs_fallback(raw: Mapping[str, Any]) -> bool:
    """Whether any bucket of the line is valued at its fallback price: not when its M1
    carries a positive price (later blanks carry the last one on), nor when it has no
    buckets."""
    price = raw.get("price") or []
    first = price[0] if price else None
    return bool(raw.get("qty") or price) and not (first is not None and first > 0)


def value_line(raw: Mapping[str, Any], fallback: float | None) -> ValuedLine:
    """One line valued with its fallback price: one effective price per bucket of its
    quantities (or of its prices, when they are longer)."""
    qty = raw.get("qty") or []
    price = raw.get("price") or []
    prices = effective_prices(pad(price, max(len(qty), len(price))), fallback, None)
    return ValuedLine(raw, prices, revenue(qty, prices))


def frozen_line(raw: Mapping[str, Any]) -> ValuedLine:
    """A snapshot line at the effective prices frozen when its cycle closed."""
    prices = raw.get("effective_price") or []
    return ValuedLine(raw, prices, revenue(raw.get("qty") or [], prices))


def raw_lines(query: Mapping[str, Any], fields: Iterable[str] | None = LINE_FIELDS
              ) -> Iterator[dict[str, Any]]:
    """Live forecast lines matching a pymongo `query`, as dicts; `fields=None`: whole
    documents, which the embedded server answers faster than a projection of most of their
    fields (a rep's 2,190 lines: 0.09 s against 0.16 s)."""
    # scoped by caller: every caller passes a query it has scoped
    return raw_collection(ForecastLine).find(
        dict(query), None if fields is None else {f: 1 for f in fields})


def plan_source(cycle_id: ObjectId) -> Collection:
    """Where a cycle's plan is read: its frozen snapshot once closing has frozen every line
    (the cycle's `snapshot_at`), else its live lines (complete, valued now: also for a close
    cut short, until sop.cycles.states.finish_interrupted_closes finishes it). Both hold
    rep, customer, product, probability, new_item, qty, price. The cycle is asked, not the
    snapshot: any query matching a whole cycle's snapshot costs the embedded server about
    0.6 s at 20,000 lines, even for one document."""
    cycle = raw_collection(Cycle).find_one({"_id": cycle_id}, {"snapshot_at": 1})
    if cycle is not None and cycle.get("snapshot_at") is not None:
        return raw_collection(ForecastSnapshot)
    return raw_collection(ForecastLine)


def is_frozen(source: Collection) -> bool:
    """Whether `plan_source` answered the snapshot (prices as frozen) or the live lines."""
    return source.name == raw_collection(ForecastSnapshot).name


def valued_plan_lines(cycle_id: ObjectId, query: Mapping[str, Any], fields: Iterable[str]
                      ) -> Iterator[ValuedLine]:
    """A cycle's lines matching `query` (scoped by the caller) at effective prices: a
    snapshot's prices as frozen at close, live lines valued now."""
    source = plan_source(cycle_id)
    wanted = {"cycle": cycle_id, **query}
    if not is_frozen(source):
        yield from value_lines(raw_lines(wanted, (*fields, "customer", "product", "qty",
                                                  "price")))
        return
    # scoped by caller: `query` names the reps in scope
    for raw in source.find(wanted, {**{f: 1 for f in fields}, "qty": 1,
                                    "effective_price": 1}):
        yield frozen_line(raw)



LineKey = tuple[ObjectId, ObjectId, ObjectId]  # (rep, customer, product) of a line


def valued_plan_page(cycle_id: ObjectId, query: Mapping[str, Any], reps: list[ObjectId],
                     after: LineKey | None, limit: int, book: PriceBook | None = None
                     ) -> tuple[list[ValuedLine], LineKey | None]:
    """One page of a cycle's lines matching `query` (scoped by the caller) for the reps
    `reps`, in (rep, customer, item) order, starting after the line `after`, at effective
    prices (`valued_plan_lines`). Returns the lines and the key of the last one when there
    are more (None: this was the last page)."""
    source = plan_source(cycle_id)
    raw: list[dict[str, Any]] = []
    for key_range in _key_ranges(sorted(reps), after):
        raw += _in_key_order(source.find({"cycle": cycle_id, **_narrowed(query, key_range)},
                                         batch_size=10_000))[:limit + 1 - len(raw)]
        if len(raw) > limit:
            break
    more = len(raw) > limit
    raw = raw[:limit]
    lines = ([frozen_line(r) for r in raw] if is_frozen(source)
             else list(value_lines(raw, book=book)))
    last = raw[-1] if more and raw else None
    return lines, (last["rep"], last["customer"], last["product"]) if last else None


def _in_key_order(found: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One rep's lines of a key range, read whole and put in (customer, product) order here.

    Shaped by the embedded server's costs: it sorts in Python and copies every projected
    value. Its CPU for a 20,000-line pull, measured side by side: 2.4 s with a projection and
    the sort, 1.3 to 1.9 s without the projection, 0.9 to 1.2 s without either. So: whole
    documents (a line holds little besides what a page shows) and no sort or limit on the
    server. On MongoDB, which walks the index in order, this costs a page at most the rest
    of one rep's lines beyond the page's end."""
    return sorted(found, key=lambda line: (line["customer"], line["product"]))


def _key_ranges(reps: list[ObjectId], after: LineKey | None) -> Iterator[dict[str, Any]]:
    """The ranges of the (cycle, rep, customer, product) index after the key `after`, in
    order: the rest of its customer's items, its rep's later customers, then every later rep
    whole. One rep per query, never a `$or` over the key: the embedded server answers a
    query over a whole cycle (or with any top-level operator) by reading every line of it,
    real MongoDB walks the same index ranges either way."""
    for rep in reps:
        if after is None or rep > after[0]:
            yield {"rep": rep}
        elif rep == after[0]:
            yield {"rep": rep, "customer": after[1], "product": {"$gt": after[2]}}
            yield {"rep": rep, "customer": {"$gt": after[1]}}


def _narrowed(query: Mapping[str, Any], key_range: Mapping[str, Any]) -> dict[str, Any]:
    """`query` and `key_range` both: a field both name gets both conditions side by side
    (`$in` and `$gt`), or in an `$and` when they use the same operator."""
    merged, clashing = dict(query), {}
    for field, condition in key_range.items():
        if field not in merged:
            merged[field] = condition
        elif _operators(merged[field]).keys() & _operators(condition).keys():
            clashing[field] = condition
        else:
            merged[field] = {**_operators(merged[field]), **_operators(condition)}
    return {**merged, "$and": [clashing]} if clashing else merged


def _operators(condition: Any) -> dict[str, Any]:
    return condition if isinstance(condition, dict) else {"$eq": condition}
