"""Row and bulk actions of the grid: add an item, remove an empty line, fill a row, copy
last cycle (one customer or all), fill from the statistical baseline (a line, a customer, or
all blank lines), a line's history. Each checks the plan is editable and audits every
changed bucket."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from sop.audit import record_audit
from sop.clock import now
from sop.db import raw_collection
from sop.forecasts.cells import audit_line_changes, new_line, require_editable
from sop.forecasts.values import (
    LINE_PROJECTION,
    GridError,
    bucket_label,
    parse_value,
    show,
)
from sop.listing import prefix_match
from sop.models import (
    AuditEntry,
    Customer,
    Cycle,
    ForecastLine,
    PriceEntry,
    Product,
    User,
)
from sop.plans import (
    baseline_for,
    is_empty,
    matrix,
    pad,
    rolled_forward,
)


def catalog_suggestions(cycle: Cycle, rep: User, customer: Customer, text: str,
                        limit: int = 10) -> list[Product]:
    """Active catalog items not yet in the customer's grid, by code or description prefix."""
    if not text.strip():
        return []
    present = set(PriceEntry.objects(customer=customer, active=True)
                  .no_dereference().scalar("product"))
    present |= set(ForecastLine.objects(cycle=cycle, rep=rep, customer=customer)
                   .no_dereference().scalar("product"))
    ids = [getattr(p, "id", p) for p in present]
    matches = prefix_match(Product.objects(active=True, id__nin=ids), text,
                           ("item_code", "description_lower"))
    return list(matches.only("item_code", "description").order_by("item_code").limit(limit))


def add_item(actor: User, cycle: Cycle, customer: Customer, item_code: str) -> dict[str, Any]:
    """A catalog item the customer will buy: an empty line, flagged "new item" when the pair
    is not in the customer's price matrix."""
    require_editable(cycle, actor)
    code = (item_code or "").strip().split(" ")[0]
    product = Product.objects(item_code=code, active=True).first()
    if product is None:
        raise GridError(f"No active item {code!r} in the catalog.")
    if PriceEntry.objects(customer=customer, product=product, active=True).first():
        raise GridError(f"Item {product.item_code} is already in this customer's grid.")
    doc = new_line(cycle, actor, customer, product, now())
    try:
        raw_collection(ForecastLine).insert_one(doc)
    except DuplicateKeyError:
        raise GridError(f"Item {product.item_code} is already in this customer's grid.") \
            from None
    record_audit("forecast_line_added",
                 f"Item {product.item_code} added to the plan of {customer.code}"
                 f"{' (new item)' if doc['new_item'] else ''}.", actor=actor,
                 entity_type="forecast_line", entity_id=doc["_id"],
                 changes={"item": {"before": None, "after": product.item_code},
                          "new item": {"before": None, "after": doc["new_item"]}})
    return doc


def remove_line(actor: User, cycle: Cycle, customer: Customer, product: Product) -> None:
    """Remove a line without any quantity or price (blank or 0)."""
    require_editable(cycle, actor)
    # scoped by caller: the acting rep's own line of a customer the route loaded scoped
    collection = raw_collection(ForecastLine)
    line = collection.find_one({"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk,
                                "product": product.pk}, LINE_PROJECTION)
    if line is None:
        raise GridError("That line does not exist (any more).")
    if not is_empty(line):
        raise GridError(f"Item {product.item_code} has quantities or prices: clear them "
                        "first.")
    deleted = collection.delete_one({"_id": line["_id"], "version": line.get("version")})
    if not deleted.deleted_count:
        raise GridError("The line changed meanwhile: reload and try again.")
    record_audit("forecast_line_removed",
                 f"Empty line of item {product.item_code} removed from the plan of "
                 f"{customer.code}.", actor=actor, entity_type="forecast_line",
                 entity_id=line["_id"], changes={"item": {"before": product.item_code,
                                                          "after": None}})


def fill_row(actor: User, cycle: Cycle, customer: Customer, product: Product,
             raw_value: str | None, scope: str) -> int:
    """Every bucket (scope "all") or every mandatory bucket of the row set to one quantity;
    returns how many buckets changed. One audit entry with every changed bucket."""
    require_editable(cycle, actor)
    value = parse_value(raw_value, "qty")
    if value is None:
        raise GridError("Enter the quantity to fill the row with.")
    # scoped by caller: the acting rep's own line of a customer the route loaded scoped
    collection = raw_collection(ForecastLine)
    key = {"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk, "product": product.pk}
    count = cycle.horizon_months if scope == "all" else cycle.mandatory_months
    line = collection.find_one(key, LINE_PROJECTION)
    before = pad(line.get("qty") if line else None, cycle.horizon_months)
    after = [value if i < count else before[i] for i in range(cycle.horizon_months)]
    changes = {bucket_label(i, "qty"): {"before": before[i], "after": after[i]}
               for i in range(cycle.horizon_months) if before[i] != after[i]}
    if not changes:
        return 0
    stamp = now()
    if line is None:
        doc = new_line(cycle, actor, customer, product, stamp)
        doc["qty"] = after
        try:
            collection.insert_one(doc)
        except DuplicateKeyError:
            raise GridError("The line changed meanwhile: reload and try again.") from None
        line_id = doc["_id"]
    else:
        result = collection.update_one(
            {"_id": line["_id"], "version": line.get("version")},
            {"$set": {"qty": after, "updated_by": actor.pk, "updated_at": stamp,
                      "source": "portal"}, "$inc": {"version": 1}})
        if not result.modified_count:
            raise GridError("The line changed meanwhile: reload and try again.")
        line_id = line["_id"]
    audit_line_changes(actor, [(line_id, f"Item {product.item_code} of {customer.code} filled with "
                                  f"{show(value)} cases ({len(changes)} month(s)).", changes)])
    return len(changes)


@dataclass
class CopyResult:
    copied: int = 0
    kept: int = 0  # lines that already held numbers: never overwritten
    last_cycle: Cycle | None = None


def copy_last_cycle(actor: User, cycle: Cycle, customers: list[Customer]) -> CopyResult:
    """Last cycle's numbers of these customers rolled forward onto this cycle's months, in
    bulk. Lines that already hold a quantity or price are left as they are."""
    require_editable(cycle, actor)
    ids = [c.pk for c in customers]
    rolled = rolled_forward(cycle, actor.pk, ids)
    if rolled is None:
        raise GridError("There is no earlier cycle to copy from.")
    last, offset = rolled.cycle, rolled.last.offset
    result = CopyResult(last_cycle=last)
    horizon = cycle.horizon_months
    codes = {c.pk: c.code for c in customers}
    # scoped by caller: the acting rep's own lines of customers the route loaded scoped
    collection = raw_collection(ForecastLine)
    existing = {(d["customer"], d["product"]): d for d in collection.find(
        {"cycle": cycle.pk, "rep": actor.pk, "customer": {"$in": ids}}, LINE_PROJECTION)}
    active = {pair for pair, entry in matrix(ids).items() if entry.active}
    sources = rolled.lines
    item_codes = dict(Product.objects(id__in=list({p for _, p in sources})).scalar(
        "id", "item_code"))
    stamp = now()
    operations, audits = [], []
    for pair, source in sources.items():
        qty, price = pad(source["qty"], horizon), pad(source["price"], horizon)
        target = existing.get(pair)
        if target is not None and not is_empty(target):
            result.kept += 1
            continue
        before_qty = pad(target.get("qty") if target else None, horizon)
        before_price = pad(target.get("price") if target else None, horizon)
        probability = source.get("probability")
        changes = {bucket_label(i, what): {"before": old[i], "after": new[i]}
                   for what, old, new in (("qty", before_qty, qty),
                                          ("price", before_price, price))
                   for i in range(horizon) if old[i] != new[i]}
        fields = {"qty": qty, "price": price, "source": "copy", "updated_by": actor.pk,
                  "updated_at": stamp}
        if target is None or target.get("probability") is None:
            fields["probability"] = probability
            if probability is not None and (target or {}).get("probability") != probability:
                changes["probability"] = {"before": None, "after": probability}
        if target is None:
            line_id = ObjectId()
            operations.append(InsertOne({
                "_id": line_id, "cycle": cycle.pk, "rep": actor.pk, "customer": pair[0],
                "product": pair[1], "new_item": pair not in active, "version": 1,
                "created_at": stamp, **fields}))
        else:
            line_id = target["_id"]
            operations.append(UpdateOne({"_id": line_id, "version": target.get("version")},
                                        {"$set": fields, "$inc": {"version": 1}}))
        audits.append((line_id, f"Item {item_codes.get(pair[1], '?')} of "
                                f"{codes.get(pair[0], '?')} copied from {last.name}, rolled "
                                f"forward {offset} month(s).", changes))
    if operations:
        try:
            collection.bulk_write(operations, ordered=False)
            result.copied = len(operations)
        except BulkWriteError as exc:  # a line created meanwhile by another save: kept
            failed = {e["index"] for e in exc.details.get("writeErrors", [])}
            result.copied = len(operations) - len(failed)
            result.kept += len(failed)
            audits = [a for i, a in enumerate(audits) if i not in failed]
    audit_line_changes(actor, audits)
    return result


class LineChanged(GridError):
    """The line changed since the page showed it: nothing was filled (HTTP 409)."""


@dataclass
class BaselineFill:
    lines: int = 0  # lines that got numbers
    months: int = 0  # months filled over those lines
    without: int = 0  # rows without a baseline (no history): left blank
    changed: int = 0  # lines saved by someone else meanwhile: left as they were


def fill_from_baseline(actor: User, cycle: Cycle, customers: list[Customer],
                       product: Product | None = None, version: int | None = None,
                       blank_only: bool = False) -> BaselineFill:
    """The blank months of the rep's rows filled with the baseline's cases (one decimal):
    one row (`product` of the first customer, refused with LineChanged unless its line is
    still at the `version` the page showed, 0 for no line yet), every row of `customers`
    (their lines and active matrix items), or with `blank_only` only rows without any
    quantity. A typed number (0 too) is never overwritten. Each write compares the version
    it read, so a line saved meanwhile is left as it is and counted in `changed`."""
    require_editable(cycle, actor)
    horizon = cycle.horizon_months
    ids = [c.pk for c in customers]
    query: dict[str, Any] = {"cycle": cycle.pk, "rep": actor.pk, "customer": {"$in": ids}}
    if product is not None:
        query["product"] = product.pk
    # scoped by caller: the acting rep's own lines of customers the route loaded scoped
    collection = raw_collection(ForecastLine)
    existing = {(d["customer"], d["product"]): d for d in collection.find(query, LINE_PROJECTION)}
    active = {pair for pair, entry in matrix(ids).items() if entry.active}
    if product is not None:
        pairs = {(ids[0], product.pk)}
        line = existing.get((ids[0], product.pk))
        if version is not None and (line.get("version", 1) if line else 0) != version:
            raise LineChanged(f"Item {product.item_code} changed since the page was loaded: "
                              "nothing was filled. Here is the line as it is now.")
    else:
        pairs = set(existing) | active
    if blank_only:
        pairs = {p for p in pairs if all(v is None for v in (existing.get(p) or {}).get("qty")
                                         or [])}
    baselines = baseline_for(cycle, pairs)
    result = BaselineFill(without=len(pairs - set(baselines)))
    codes = {c.pk: c.code for c in customers}
    item_codes = dict(Product.objects(id__in=list({p for _, p in baselines})).scalar(
        "id", "item_code"))
    stamp = now()
    inserts, updates, audits = [], [], {}
    for pair, baseline in baselines.items():
        target = existing.get(pair)
        before = pad(target.get("qty") if target else None, horizon)
        after = [before[i] if before[i] is not None or i >= len(baseline.qty)
                 else round(baseline.qty[i], 1) for i in range(horizon)]
        changes = {bucket_label(i, "qty"): {"before": None, "after": after[i]}
                   for i in range(horizon) if before[i] != after[i]}
        if not changes:
            continue
        fields = {"qty": after, "source": "portal", "updated_by": actor.pk,
                  "updated_at": stamp}
        if target is None:
            line_id = ObjectId()
            inserts.append({"_id": line_id, "cycle": cycle.pk, "rep": actor.pk,
                            "customer": pair[0], "product": pair[1], "probability": None,
                            "new_item": pair not in active, "price": [None] * horizon,
                            "version": 1, "created_at": stamp, **fields})
        else:
            line_id = target["_id"]
            updates.append((line_id, UpdateOne({"_id": line_id, "version": target.get("version")},
                                               {"$set": fields, "$inc": {"version": 1}})))
        audits[line_id] = (line_id, f"Item {item_codes.get(pair[1], '?')} of "
                                    f"{codes.get(pair[0], '?')} filled from the baseline "
                                    f"({baseline.method}), {len(changes)} month(s).", changes)
    landed = _write_fills(collection, inserts, updates, actor, stamp)
    result.changed = len(audits) - len(landed)
    result.lines = len(landed)
    result.months = sum(len(audits[i][2]) for i in landed)
    if product is not None and result.changed:
        raise LineChanged(f"Item {product.item_code} changed while it was being filled: "
                          "nothing was filled. Here is the line as it is now.")
    audit_line_changes(actor, [audits[i] for i in landed])
    return result


def _write_fills(collection: Any, inserts: list[dict[str, Any]],
                 updates: list[tuple[ObjectId, UpdateOne]], actor: User, stamp: Any
                 ) -> set[ObjectId]:
    """Write the new and the updated lines in one bulk write; the ids of those that landed (a
    line created or saved meanwhile by another request is not overwritten)."""
    operations = [InsertOne(doc) for doc in inserts] + [op for _, op in updates]
    if not operations:
        return set()
    with suppress(BulkWriteError):  # a line created meanwhile by another save: kept as it is
        collection.bulk_write(operations, ordered=False)
    # scoped by caller: the acting rep's own lines just written
    return {d["_id"] for d in collection.find(
        {"_id": {"$in": [doc["_id"] for doc in inserts] + [line_id for line_id, _ in updates]},
         "updated_by": actor.pk, "updated_at": stamp}, {"_id": 1})}


def line_history(cycle: Cycle, rep: User, customer: Customer, product: Product
                 ) -> tuple[dict[str, Any] | None, list[AuditEntry]]:
    """The line (if it exists) and every audited change of it, newest first."""
    # scoped by caller: the route loads rep, customer and item through sop.security
    line = raw_collection(ForecastLine).find_one(
        {"cycle": cycle.pk, "rep": rep.pk, "customer": customer.pk, "product": product.pk},
        {"_id": 1, "version": 1})
    if line is None:
        return None, []
    entries = AuditEntry.objects(entity_type="forecast_line", entity_id=str(line["_id"]))
    return line, list(entries.order_by("-at").limit(200))
