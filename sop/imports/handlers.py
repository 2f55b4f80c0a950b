"""What each kind of master-data file means for the database.

`prepare` turns the reader's clean rows into the upserts that would bring the database to
the file's state, checks what only the database knows (unknown customer, item or rep), and
counts rows to add, change or leave. Nothing is written here: the service stages the upserts
and applies them all in one transaction after the user confirms.
Blank optional cells leave the stored value as it is, so importing a file twice changes
nothing the second time.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bson import ObjectId
from mongoengine import Document

from sop.clock import now
from sop.db import raw_collection
from sop.excel.masterdata import FORMATS, ImportFormat, ParsedRow, ProblemLog, RowProblem
from sop.listing import cached_until_written
from sop.models import (
    BudgetEntry,
    Customer,
    PriceEntry,
    Product,
    SalesHistory,
    User,
    name_key,
)
from sop.models.sales import (
    FIGURE_FIELDS,
    FIGURES,
    MONTH_BYTES,
    fingerprint,
    packed_fingerprint,
    read_fingerprint,
)

ID_BATCH = 50
NOT_GIVEN = (math.nan,) * len(FIGURE_FIELDS)
PACKED_MONTH = struct.Struct(f"<{MONTH_BYTES}s{FIGURES.format.lstrip('<')}")  # of a fingerprint


@dataclass
class Upsert:
    filter: dict[str, Any]
    set: dict[str, Any]
    set_on_insert: dict[str, Any] = field(default_factory=dict)

    def as_operation(self) -> dict[str, Any]:
        update: dict[str, Any] = {"$set": self.set}
        if self.set_on_insert:
            update["$setOnInsert"] = self.set_on_insert
        return {"filter": self.filter, "update": update}


@dataclass
class Insert:
    """A document that does not exist yet: inserted, which is cheaper than an upsert."""
    document: dict[str, Any]

    def as_operation(self) -> dict[str, Any]:
        return {"insert": self.document}


@dataclass
class PackedBucket:
    """A sales bucket staged small: the file's months packed as a fingerprint (40 bytes a
    month instead of a ~130-byte embedded document); `SalesImport.expand` builds the write
    when its chunk is applied."""
    customer: ObjectId
    product: ObjectId
    months: bytes
    bucket: ObjectId | None  # the stored bucket these months go into; None: a new one

    def as_operation(self) -> dict[str, Any]:
        return {"sales_bucket": {"customer": self.customer, "product": self.product,
                                 "months": self.months, "_id": self.bucket}}


@dataclass
class Plan:
    """The writes a file asks for, and what the preview shows. `writes` may be a generator
    (large plans are built while they are staged, not held whole in memory)."""
    writes: Iterable[Upsert | Insert | PackedBucket] = field(default_factory=list)
    write_count: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    rows: int = 0

    def add(self, write: Upsert | Insert) -> None:
        self.writes.append(write)  # type: ignore[union-attr]
        self.write_count += 1

    def count(self, existing: bool, differs: bool) -> None:
        self.rows += 1
        if not existing:
            self.added += 1
        elif differs:
            self.changed += 1
        else:
            self.unchanged += 1


class ImportHandler:
    kind: str
    target: type[Document]

    @property
    def format(self) -> ImportFormat:
        return FORMATS[self.kind]

    def prepare(self, rows: Iterator[ParsedRow], problems: ProblemLog) -> Plan:
        raise NotImplementedError

    def expand(self, operations: list[dict[str, Any]], session: Any = None
               ) -> list[dict[str, Any]]:
        """The writes of one staged chunk, as `sop.imports.apply` writes them (reading what
        they build on inside the transaction `session`, when there is one)."""
        return operations

    def problem(self, problems: ProblemLog, row: ParsedRow, column: str, value: Any,
                message: str, severity: str = "error") -> None:
        problems.append(RowProblem(self.format.title, row.row, column, value, message,
                                   severity))


def _document_changes(document: Document | None, blank: type[Document],
                      values: dict[str, Any]) -> dict[str, Any]:
    """Apply `values` (blank cells already absent) to the stored document, or to a new one
    with its defaults, and return the stored form of what to write: every field for a new
    document, the fields that differ for an existing one (derived fields included)."""
    target = document or blank()
    before = {} if document is None else target.to_mongo().to_dict()
    for name, value in values.items():
        setattr(target, name, value)
    target.clean()
    after = target.to_mongo().to_dict()
    for name in ("_id", "created_at", "updated_at"):
        after.pop(name, None)
    return {k: v for k, v in after.items() if document is None or before.get(k) != v}


class CustomerImport(ImportHandler):
    kind = "customers"
    target = Customer

    def prepare(self, rows: Iterator[ParsedRow], problems: ProblemLog) -> Plan:
        existing = {c.code_lower: c for c in Customer.objects}
        reps = {u.email: u for u in User.objects(role="sales_rep", active=True)}
        plan = Plan()
        for row in rows:
            values = dict(row.values)
            email = values.pop("rep_email", None)
            if email is not None:
                if email not in reps:
                    self.problem(problems, row, "Sales Rep Email", email,
                                 "No active sales rep has this e-mail: create the user first "
                                 "or correct the address.")
                    continue
                values["sales_rep"] = reps[email]
            code = values["code"]
            customer = existing.get(code.lower())
            changes = _document_changes(customer, Customer, values)
            plan.count(customer is not None, bool(changes))
            if customer is None:
                plan.add(Upsert({"code": code}, {**changes, "updated_at": now()},
                                           {"created_at": now()}))
            elif changes:
                plan.add(Upsert({"_id": customer.pk},
                                           {**changes, "updated_at": now()}))
        return plan


class ProductImport(ImportHandler):
    kind = "products"
    target = Product

    def prepare(self, rows: Iterator[ParsedRow], problems: ProblemLog) -> Plan:
        existing = {p.item_code: p for p in Product.objects}
        plan = Plan()
        for row in rows:
            values = dict(row.values)
            if "uom" in values:
                values["uom"] = values["uom"].upper()
            if "currency" in values:
                values["currency"] = values["currency"].upper()
            product = existing.get(values["item_code"])
            changes = _document_changes(product, Product, values)
            plan.count(product is not None, bool(changes))
            if product is None:
                plan.add(Upsert({"item_code": values["item_code"]},
                                           {**changes, "updated_at": now()},
                                           {"created_at": now()}))
            elif changes:
                plan.add(Upsert({"_id": product.pk}, {**changes,
                                                                  "updated_at": now()}))
        return plan


def _lookup_ids() -> tuple[dict[str, ObjectId], dict[str, ObjectId]]:
    """Customer ids by lower-cased code, item ids by code: kept per process until either
    collection is written (an API push sends 24 batches; each read 1,800 documents again).
    Shared between calls: read them, never change them."""
    return cached_until_written(("import-lookup-ids",), ("customers", "products"),
                                _read_lookup_ids)


def _read_lookup_ids() -> tuple[dict[str, ObjectId], dict[str, ObjectId]]:
    # not rep-scoped: imports are an admin's, over every rep's data
    customers = {d["code"].lower(): d["_id"]
                 for d in raw_collection(Customer).find({}, {"code": 1})}
    products = {d["item_code"]: d["_id"]
                for d in raw_collection(Product).find({}, {"item_code": 1})}
    return customers, products


def _customer_and_item(handler: ImportHandler, row: ParsedRow, problems: ProblemLog,
                       customers: dict[str, ObjectId], products: dict[str, ObjectId]
                       ) -> tuple[ObjectId, ObjectId] | None:
    values = row.values
    customer_id = customers.get(values["customer_code"].lower())
    product_id = products.get(values["item_code"])
    if customer_id is None:
        handler.problem(problems, row, "Customer Code", values["customer_code"],
                        "Unknown customer code: import the customer first or correct it.")
    if product_id is None:
        handler.problem(problems, row, "Item Code", values["item_code"],
                        "Unknown item code: import the item first or correct it.")
    if customer_id is None or product_id is None:
        return None
    return customer_id, product_id


class PriceImport(ImportHandler):
    kind = "prices"
    target = PriceEntry

    def prepare(self, rows: Iterator[ParsedRow], problems: ProblemLog) -> Plan:
        customers, products = _lookup_ids()
        # not rep-scoped: imports are an admin's, over every rep's data
        existing = {(e["customer"], e["product"]): e
                    for e in raw_collection(PriceEntry).find({}, {"updated_at": 0})}
        plan = Plan()
        for row in rows:
            ids = _customer_and_item(self, row, problems, customers, products)
            if ids is None:
                continue
            wanted: dict[str, Any] = {}
            for name in ("price", "active"):
                if name in row.values:
                    wanted[name] = row.values[name]
            if "effective_from" in row.values:
                month: date = row.values["effective_from"]
                wanted["effective_from"] = month.isoformat()
            current = existing.get(ids)
            stored = {k: _stored_date(current.get(k)) if k == "effective_from" else current.get(k)
                      for k in wanted} if current else {}
            differs = current is None or stored != wanted
            plan.count(current is not None, differs)
            if differs:
                update = {k: _as_datetime(v) if k == "effective_from" else v
                          for k, v in wanted.items()}
                plan.add(Upsert({"customer": ids[0], "product": ids[1]},
                                           {**update, "updated_at": now()},
                                           {} if "active" in wanted else {"active": True}))
        return plan


def _stored_date(value: Any) -> str | None:
    return value.date().isoformat() if hasattr(value, "date") else value


def _as_datetime(iso_day: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(iso_day)


class SalesImport(ImportHandler):
    """Rows are months of (customer, item) buckets: months in the file replace the same
    months in the bucket, other months stay. Months are held packed while reading and stored
    buckets are compared by their fingerprint, so a 480,000-row file stays small in memory
    and a re-import decodes no embedded documents. Buckets are staged packed (PackedBucket,
    a quarter of the documents' size); documents are built when their chunk is applied."""

    kind = "sales"
    target = SalesHistory

    def prepare(self, rows: Iterator[ParsedRow], problems: ProblemLog) -> Plan:
        customers, products = _lookup_ids()
        pack = FIGURES.pack
        by_codes: dict[tuple[str, str], dict[str, bytes]] = {}
        plan = Plan()
        # a hot loop (480,000 rows): buckets are found by their codes, whose hashes Python
        # caches (an ObjectId hashes in Python code, twice a row)
        for row in rows:
            values = row.values
            codes = values["customer_code"].lower(), values["item_code"]
            months = by_codes.get(codes)
            if months is None:
                if _customer_and_item(self, row, problems, customers, products) is None:
                    continue
                months = by_codes[codes] = {}
            # a blank figure is absent from the row: packed as NaN, as pack_figures packs None
            months[sys.intern(values["month"])] = pack(*map(values.get, FIGURE_FIELDS,
                                                            NOT_GIVEN))
        incoming = {(customers[customer], products[item]): months
                    for (customer, item), months in by_codes.items()}
        stored = _stored_fingerprints(list({c for c, _ in incoming}))
        changed: list[tuple[ObjectId, ObjectId]] = []
        for ids, months in incoming.items():
            if ids not in stored:  # a new bucket: every month is added
                plan.rows += len(months)
                plan.added += len(months)
                changed.append(ids)
                continue
            before = stored[ids][1]
            differs = False
            for month, figures in months.items():
                month_differs = before.get(month) != figures
                plan.count(month in before, month_differs)
                differs = differs or month_differs
            if differs:
                changed.append(ids)
        plan.write_count = len(changed)
        plan.writes = (PackedBucket(ids[0], ids[1], packed_fingerprint(incoming[ids]),
                                    stored[ids][0] if ids in stored else None)
                       for ids in changed)
        return plan

    def expand(self, operations: list[dict[str, Any]], session: Any = None
               ) -> list[dict[str, Any]]:
        """The staged buckets' documents: the file's months replace the same months of the
        stored bucket (read now), other months stay; each month carries the customer's rep.
        A stored bucket is written only if it still holds what was read (its fingerprint in
        the filter): a bucket another import or push wrote in between makes the write fail
        (its upsert meets the bucket's id) instead of dropping that write's months."""
        buckets = [op["sales_bucket"] for op in operations]
        # not rep-scoped: imports are an admin's, over every rep's data
        reps = {c["_id"]: c.get("sales_rep") for c in raw_collection(Customer).find(
            {"_id": {"$in": list({b["customer"] for b in buckets})}}, {"sales_rep": 1},
            session=session)}
        existing_ids = [b["_id"] for b in buckets if b["_id"] is not None]
        existing, read_fingerprints = {}, {}
        for start in range(0, len(existing_ids), ID_BATCH):  # short `$in`: _stored_fingerprints
            for d in raw_collection(SalesHistory).find(
                    {"_id": {"$in": existing_ids[start:start + ID_BATCH]}},
                    {"months": 1, "fingerprint": 1}, session=session):
                existing[d["_id"]] = d["months"]
                read_fingerprints[d["_id"]] = d.get("fingerprint")
        writes: list[dict[str, Any]] = []
        for bucket in buckets:
            rep = reps.get(bucket["customer"])
            months = {m["month"]: m for m in existing.get(bucket["_id"], [])}
            for packed_month, quantity, unit_price, sales, cogs, gross_profit in \
                    PACKED_MONTH.iter_unpack(bucket["months"]):
                month = packed_month.decode()  # a figure not given is packed as NaN (x != x)
                months[month] = {  # a literal: 3x quicker than dict(zip(...))
                    "month": month, "quantity": None if quantity != quantity else quantity,
                    "unit_price": None if unit_price != unit_price else unit_price,
                    "sales": None if sales != sales else sales,
                    "cogs": None if cogs != cogs else cogs,
                    "gross_profit": None if gross_profit != gross_profit else gross_profit,
                    "rep_id": rep}
            ordered = [months[key] for key in sorted(months)]
            if bucket["_id"] is not None:
                writes.append(Upsert({"_id": bucket["_id"],
                                      "fingerprint": read_fingerprints.get(bucket["_id"])}, {
                    "months": ordered, "fingerprint": fingerprint(ordered),
                    "updated_at": now()}).as_operation())
            else:  # every month is from the file: its packed months are the fingerprint
                writes.append(Insert({"customer": bucket["customer"],
                                      "product": bucket["product"], "months": ordered,
                                      "fingerprint": bucket["months"],
                                      "updated_at": now()}).as_operation())
        return writes


def _stored_fingerprints(customer_ids: list[ObjectId]
                         ) -> dict[tuple[ObjectId, ObjectId], tuple[ObjectId, dict[str, bytes]]]:
    """(document id, {month: packed figures}) of the stored buckets of these customers. One
    equality query per customer: the embedded server checks an `$in` list against every
    document it reads (300 customers' 20,000 buckets: 7.2 s in one `$in`, 1.5 s this way)."""
    # not rep-scoped: imports are an admin's, over every rep's data
    collection = raw_collection(SalesHistory)
    return {(customer, doc["product"]): (doc["_id"], read_fingerprint(
        doc.get("fingerprint") or b"")) for customer in customer_ids
        for doc in collection.find({"customer": customer}, {"product": 1, "fingerprint": 1})}


class BudgetImport(ImportHandler):
    """Budget per rep and S&OP name; names matching no customer are kept as unmatched
    budget and listed as warnings."""

    kind = "budget"
    target = BudgetEntry

    def prepare(self, rows: Iterator[ParsedRow], problems: ProblemLog) -> Plan:
        sales_reps = list(User.objects(role="sales_rep").only("id", "email", "full_name_lower"))
        reps = {u.email: u.pk for u in sales_reps}
        reps_by_name = {u.full_name_lower: u.pk for u in sales_reps}
        by_name: dict[str, ObjectId] = {}
        for customer in Customer.objects.only("id", "sop_name_key", "aliases"):
            by_name.setdefault(customer.sop_name_key, customer.pk)
            for alias in customer.aliases or []:
                by_name.setdefault(alias, customer.pk)
        # not rep-scoped: imports are an admin's, over every rep's data
        existing = {(e["rep"], e["sop_name_key"], e["year"], e["month"]): e
                    for e in raw_collection(BudgetEntry).find({})}
        plan = Plan()
        warned: set[str] = set()
        for row in rows:
            values = row.values
            if "rep_name" in values:  # the pivot names reps, the flat file gives e-mails
                rep = reps_by_name.get(values["rep_name"].lower())
                column, value = "Row Labels", values["rep_name"]
            else:
                rep = reps.get(values["rep_email"])
                column, value = "Sales Rep Email", values["rep_email"]
            if rep is None:
                self.problem(problems, row, column, value,
                             "No sales rep is known by this: create the user first or correct "
                             "it (pivots use the rep's full name, flat files the e-mail).")
                continue
            key = name_key(values["sop_name"])
            customer = by_name.get(key)
            if customer is None and key not in warned:
                warned.add(key)
                self.problem(problems, row, "Customer S&OP", values["sop_name"],
                             "No customer has this S&OP name or alias: the budget is kept as "
                             "unmatched. Add the name as an alias to link it.", "warning")
            wanted = {"sop_name": values["sop_name"], "customer": customer,
                      "cases": values["cases"], "sales": values.get("sales", 0.0)}
            current = existing.get((rep, key, values["year"], values["month"]))
            differs = current is None or any(current.get(k) != v for k, v in wanted.items())
            plan.count(current is not None, differs)
            if differs:
                plan.add(Upsert(
                    {"rep": rep, "sop_name_key": key, "year": values["year"],
                     "month": values["month"]}, {**wanted, "updated_at": now()}))
        return plan


HANDLERS: dict[str, ImportHandler] = {h.kind: h for h in (
    CustomerImport(), ProductImport(), PriceImport(), SalesImport(), BudgetImport())}
