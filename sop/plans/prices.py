"""The price book: what a bucket without an entered price is valued at (the customer's matrix
price if positive, else the item's list price), and the matrix and catalog look-ups behind it.

ONE batching rule for every matrix and catalog look-up (`SHORT_LIST`): up to 50 keys are read
one indexed query per key, whole documents; more keys (or all) are read in one pass over the
collection with only the needed fields and selected in Python. On the embedded server a `$in`
over a long list costs seconds and a projection costs more than the extra bytes: a rep's 30
customers read one query each take a third of a pass over 20,000 price entries (0.3 s against
0.9 s for 6,600 entries), while valuing a whole cycle (300 customers) takes one pass."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import Any, NamedTuple

from bson import ObjectId
from pymongo.collection import Collection

from sop.db import raw_collection
from sop.listing import cached_until_written
from sop.models import PriceEntry, Product
from sop.plans.arithmetic import fallback_price

Pair = tuple[ObjectId, ObjectId]  # (customer id, product id)
SHORT_LIST = 50
MATRIX_FIELDS = {"customer": 1, "product": 1, "price": 1, "active": 1, "_id": 0}
CATALOG_FIELDS = {"item_code": 1, "description": 1, "group_description": 1, "category": 1,
                  "active": 1, "list_price": 1}


class MatrixEntry(NamedTuple):
    """May the customer be forecast the item, and at what price ($/case, None: no price)."""

    active: bool
    price: float | None


def read_by_keys(collection: Collection, key: str, keys: Iterable[Any] | None,
                 fields: Mapping[str, int]) -> Iterator[dict[str, Any]]:
    """The documents whose `key` is one of `keys` (None: every document), by the batching
    rule above. Callers scope the keys (or read shared reference data)."""
    wanted = None if keys is None else list(dict.fromkeys(keys))
    if wanted is not None and len(wanted) <= SHORT_LIST:
        return chain.from_iterable(collection.find({key: value}, batch_size=1000)
                                   for value in wanted)
    found = collection.find({}, dict(fields))  # scoped by caller: the `keys`
    if wanted is None:
        return iter(found)
    selected = set(wanted)
    return (doc for doc in found if doc.get(key) in selected)


def matrix(customer_ids: Iterable[ObjectId] | None) -> dict[Pair, MatrixEntry]:
    """The price-matrix entries of these customers (None: every customer)."""
    # scoped by caller: the customers are the caller's visible ones
    return {(d["customer"], d["product"]): MatrixEntry(bool(d.get("active", True)),
                                                       d.get("price"))
            for d in read_by_keys(raw_collection(PriceEntry), "customer", customer_ids,
                                  MATRIX_FIELDS)}


def catalog(product_ids: Iterable[ObjectId] | None = None) -> dict[ObjectId, dict[str, Any]]:
    """Code, description, group, category, active flag and list price of these items (None:
    the whole catalog), by id."""
    return {p["_id"]: p for p in read_by_keys(raw_collection(Product), "_id", product_ids,
                                              CATALOG_FIELDS)}


def cached_catalog(product_ids: Iterable[ObjectId] | None = None
                   ) -> dict[ObjectId, dict[str, Any]]:
    """`catalog(product_ids)` for the hot paths (the grid, a rep's workbook and its preview):
    the catalog is read whole once per process until items are next written (reading 200
    items by id costs as much as reading all of them on the embedded server, and a re-read
    every minute held up every save meanwhile); items added since are read on their own."""
    known = cached_until_written(("plans-catalog",), ("products",), catalog)
    if product_ids is None:
        return dict(known)
    wanted = set(product_ids)
    missing = {pid for pid in wanted if pid not in known}  # a set minus .keys() hashes all
    found = {pid: known[pid] for pid in wanted - missing}
    if missing:
        found.update(catalog(missing))
    return found


def customer_matrix(customer_id: ObjectId) -> dict[Pair, MatrixEntry]:
    """One customer's matrix, kept per process until prices are next written: a cell save
    needs it for the totals every time."""
    return cached_until_written(("plans-customer-matrix", customer_id), ("price_entries",),
                                lambda: matrix([customer_id]))


def cached_matrix(customer_ids: Iterable[ObjectId]) -> dict[Pair, MatrixEntry]:
    """`matrix(customer_ids)` from the per-process copies of each customer's matrix
    (`customer_matrix`, one indexed query per customer when not kept): a rep's workbook and
    its upload's preview read what the grid keeps, and read nothing again while no price is
    written."""
    entries: dict[Pair, MatrixEntry] = {}
    for customer_id in dict.fromkeys(customer_ids):
        entries.update(customer_matrix(customer_id))
    return entries


class PriceBook:
    """Fallback prices, read on first use (by the batching rule) and kept for the life of the
    book: valuing a whole cycle reads the matrix once. A book can start from a matrix and a
    catalog its caller has read already."""

    def __init__(self, entries: Mapping[Pair, MatrixEntry] | None = None,
                 items: Mapping[ObjectId, Mapping[str, Any]] | None = None,
                 customers: Iterable[ObjectId] = ()) -> None:
        """`entries` hold the whole matrix of `customers` (or of every customer they name);
        `items` hold at least the products to be valued."""
        self.entries: dict[Pair, MatrixEntry] = dict(entries or {})
        self.items: dict[ObjectId, Mapping[str, Any]] = dict(items or {})
        self.customers: set[ObjectId] = set(customers) | {c for c, _ in self.entries}
        self.whole_matrix = False
        self.whole_catalog = False
        self.whole_on_first_miss = False

    @classmethod
    def whole(cls, items: Mapping[ObjectId, Mapping[str, Any]] | None = None) -> PriceBook:
        """A book holding the whole matrix and catalog (valuing a whole cycle)."""
        book = cls(matrix(None), catalog() if items is None else items)
        book.whole_matrix = book.whole_catalog = True
        return book

    @classmethod
    def whole_when_needed(cls) -> PriceBook:
        """A book that reads the whole matrix and catalog the first time it is asked for a
        price it lacks (a plan whose lines all carry their own prices reads neither)."""
        book = cls()
        book.whole_on_first_miss = True
        return book

    def load(self, pairs: Iterable[Pair]) -> None:
        """Read what valuing these pairs needs and the book does not hold yet."""
        pairs = list(pairs)
        customers = list({c for c, _ in pairs if c not in self.customers})
        products = list({p for _, p in pairs if p not in self.items})
        if self.whole_on_first_miss and (customers or products):
            self.entries.update(matrix(None))
            self.items.update(catalog())
            self.whole_matrix = self.whole_catalog = True
            self.whole_on_first_miss = False
            return
        if customers and not self.whole_matrix:
            self.whole_matrix = len(customers) > SHORT_LIST
            self.entries.update(matrix(None if self.whole_matrix else customers))
            self.customers.update(customers)
        if products and not self.whole_catalog:
            self.whole_catalog = len(products) > SHORT_LIST
            found = catalog(None if self.whole_catalog else products)
            self.items.update({pid: {} for pid in products})
            self.items.update(found)

    def matrix_price(self, pair: Pair) -> float | None:
        entry = self.entries.get(pair)
        return entry.price if entry is not None else None

    def fallback(self, pair: Pair) -> float | None:
        """The matrix price if positive, else the list price."""
        return fallback_price(self.matrix_price(pair),
                              (self.items.get(pair[1]) or {}).get("list_price"))

    def fallbacks(self, pairs: Iterable[Pair]) -> dict[Pair, float | None]:
        pairs = set(pairs)
        self.load(pairs)
        return {pair: self.fallback(pair) for pair in pairs}


def fallback_prices(pairs: Iterable[Pair]) -> dict[Pair, float | None]:
    """For each (customer, product): the matrix price if positive, else the list price."""
    return PriceBook().fallbacks(pairs)


def customer_price_book(customer_id: ObjectId, product_ids: Iterable[ObjectId]) -> PriceBook:
    """The book of one customer's items, from the per-process copies of its matrix and of the
    catalog (the grid's totals after every cell save)."""
    return PriceBook(customer_matrix(customer_id), cached_catalog(product_ids), [customer_id])
