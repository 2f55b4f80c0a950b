"""Saving one cell of the grid: a compare-and-set. A cell save carries the value the
client loaded and only lands if the cell still holds it, so two people never silently
overwrite each other; different cells of one line both land."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from sop.audit import record_audits
from sop.clock import now
from sop.db import raw_collection, retry_write_conflicts
from sop.forecasts.grid import Totals, customer_totals
from sop.forecasts.values import (
    FIELDS,
    LINE_PROJECTION,
    Conflict,
    GridError,
    PlanLocked,
    bucket_label,
    parse_value,
    show,
)
from sop.models import (
    PROBABILITIES,
    Customer,
    Cycle,
    ForecastLine,
    PriceEntry,
    Product,
    User,
)
from sop.plans import pad
from sop.submissions.services import plan_is_editable

NOT_GIVEN = object()  # save_line: the probability is left as it is


@dataclass
class CellSaved:
    line: dict[str, Any]
    what: str
    bucket: int
    value: Any
    totals: Totals


def require_editable(cycle: Cycle, actor: User, fresh: bool = True) -> None:
    """`fresh=False` for a write followed by `take_back_if_locked_meanwhile`."""
    if actor.role != "sales_rep" or not plan_is_editable(cycle, actor, fresh=fresh):
        raise PlanLocked("This plan cannot be changed now (cycle not open, or plan "
                         "submitted or approved).")


def _who(line: Mapping[str, Any]) -> str | None:
    user_id = line.get("updated_by")
    if user_id is None:
        return None
    user = User.objects(id=user_id).only("full_name").first()
    return user.full_name if user else None


def new_line(cycle: Cycle, actor: User, customer: Customer, product: Product,
              stamp: datetime, source: str = "portal") -> dict[str, Any]:
    in_matrix = PriceEntry.objects(customer=customer, product=product,
                                   active=True).only("id").first() is not None
    horizon = cycle.horizon_months
    return {"_id": ObjectId(), "cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk,
            "product": product.pk, "probability": None, "new_item": not in_matrix,
            "qty": [None] * horizon, "price": [None] * horizon, "source": source,
            "version": 1, "updated_by": actor.pk, "updated_at": stamp, "created_at": stamp}


def _compare_and_set(actor: User, cycle: Cycle, customer: Customer, product: Product,
                     path: str, value: Any, loaded: Any,
                     line_id: ObjectId | None = None) -> dict[str, Any]:
    """Set `path` of the rep's line to `value` only if it still holds `loaded`: one atomic
    update_one with the old value in its filter (and $inc version), so of two saves of the
    same cell the second finds another value and gets a Conflict, while saves of different
    cells of one line both land. The line is created when it does not exist yet; a
    duplicate-key race compares again with the line the other save created.
    `line_id`, when the page knows it, saves the read before the write: the filter still
    names the rep, customer and item, so another rep's line id matches nothing.
    Returns the line's id and version after the change."""
    # scoped by caller: the acting rep's own line of a customer the route loaded scoped
    collection = raw_collection(ForecastLine)
    key = {"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk, "product": product.pk}
    stamp = now()
    update = {"$set": {path: value, "updated_by": actor.pk, "updated_at": stamp,
                       "source": "portal"}, "$inc": {"version": 1}}
    if line_id is not None and retry_write_conflicts(lambda: collection.update_one(
            {"_id": line_id, **key, path: loaded}, update)).matched_count:
        return {"_id": line_id}
    for _attempt in range(3):
        current = collection.find_one(key, {"_id": 1, "version": 1, "updated_by": 1,
                                            "updated_at": 1, path.partition(".")[0]: 1})
        if current is None:
            if loaded is not None:  # the line was removed meanwhile
                raise Conflict(None, None, None)
            _refuse_inactive(customer, product)
            doc = new_line(cycle, actor, customer, product, stamp)
            field_name, _, index = path.partition(".")
            if index:
                doc[field_name][int(index)] = value
            else:
                doc[field_name] = value
            try:
                collection.insert_one(doc)
            except DuplicateKeyError:
                continue  # created by another save a moment ago: compare with it
            return {"_id": doc["_id"], "version": 1}
        found = _read_path(current, path)
        if found != loaded:
            raise Conflict(found, _who(current), current.get("updated_at"))
        # The filter by _id (not by the unique key) keeps the embedded server on an index.
        if retry_write_conflicts(lambda current=current: collection.update_one(
                {"_id": current["_id"], path: loaded}, update)).matched_count:
            return {"_id": current["_id"], "version": current.get("version", 1) + 1}
    raise Conflict(None, None, None)


def _refuse_inactive(customer: Customer, product: Product) -> None:
    """A new line needs an active customer and an active item, as "add item" asks; an
    existing line on one deactivated since stays editable."""
    if not product.active:
        raise GridError(f"Item {product.item_code} is inactive: it cannot get a new line.")
    if not customer.active:
        raise GridError(f"Customer {customer.code} is inactive: it cannot get a new line.")


def take_back_if_locked_meanwhile(actor: User, cycle: Cycle, as_saved: Mapping[str, Any],
                                   before: Mapping[str, Any]) -> None:
    """A submit that landed between the editable check and the write has locked the plan: the
    write is taken back, compare-and-set (`as_saved`: the filter that finds the line only as
    this save left it) to what it held (`before`), and refused, so a submitted plan never
    changes under its frozen totals."""
    if plan_is_editable(cycle, actor):
        return
    raw_collection(ForecastLine).update_one(
        dict(as_saved), {"$set": dict(before), "$inc": {"version": 1}})
    raise PlanLocked("The plan was submitted while this was being saved: the change was "
                     "not kept.")


def _read_path(line: Mapping[str, Any], path: str) -> Any:
    field_name, _, index = path.partition(".")
    if not index:
        return line.get(field_name)
    values = line.get(field_name) or []
    return values[int(index)] if int(index) < len(values) else None


def save_cell(actor: User, cycle: Cycle, customer: Customer, product: Product, what: str,
              bucket: int, raw_value: str | None, raw_loaded: str | None,
              line_id: str | None = None) -> CellSaved:
    """One quantity or price typed in the grid, saved if the cell still holds what the
    client loaded (else Conflict), audited, with the customer's fresh totals."""
    if what not in FIELDS or not 0 <= bucket < cycle.horizon_months:
        raise GridError("Unknown cell.")
    require_editable(cycle, actor, fresh=False)
    value = parse_value(raw_value, what)
    try:
        loaded = parse_value(raw_loaded, what)
    except GridError:
        raise GridError("The page is out of date: reload it.") from None
    path = f"{FIELDS[what]}.{bucket}"
    if value == loaded:
        # scoped by caller: the acting rep's own line of a customer the route loaded scoped
        line = raw_collection(ForecastLine).find_one(
            {"cycle": cycle.pk, "rep": actor.pk, "customer": customer.pk,
             "product": product.pk}, LINE_PROJECTION)
        current = _read_path(line, path) if line else None
        if current != loaded:
            raise Conflict(current, _who(line) if line else None,
                           line.get("updated_at") if line else None)
    else:
        known = ObjectId(line_id) if line_id and ObjectId.is_valid(line_id) else None
        line = _compare_and_set(actor, cycle, customer, product, path, value, loaded, known)
        take_back_if_locked_meanwhile(actor, cycle, {"_id": line["_id"], path: value},
                                      {path: loaded})
        label = bucket_label(bucket, what)
        audit_line_changes(actor, [(line["_id"], f"{label} of item {product.item_code} for "
                                         f"{customer.code} changed from {show(loaded) or 'blank'} "
                                         f"to {show(value) or 'blank'}.",
                             {label: {"before": loaded, "after": value}})])
    # Totals read after the write: they include this save and every one before it.
    return CellSaved(line or {}, what, bucket, value,
                     customer_totals(cycle, actor, customer))


def save_probability(actor: User, cycle: Cycle, customer: Customer, product: Product,
                     raw_value: str | None, raw_loaded: str | None) -> int | None:
    """The line's probability category (blank allowed), compare-and-set like a cell; returns
    the value the line now holds."""
    require_editable(cycle, actor, fresh=False)
    value, loaded = _parse_probability(raw_value), _parse_probability(raw_loaded)
    if value == loaded:
        return value
    line = _compare_and_set(actor, cycle, customer, product, "probability", value, loaded)
    take_back_if_locked_meanwhile(actor, cycle, {"_id": line["_id"], "probability": value},
                                  {"probability": loaded})
    audit_line_changes(actor, [(line["_id"], f"Probability of item {product.item_code} for "
                                     f"{customer.code} set to {PROBABILITIES.get(value, 'blank')}.",
                         {"probability": {"before": loaded, "after": value}})])
    return value


def _parse_probability(raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    if text not in {str(code) for code in PROBABILITIES}:
        raise GridError("Choose a probability from the list.")
    return int(text)


def save_line(actor: User, cycle: Cycle, line_id: ObjectId, version: int,
              raw_values: Mapping[str, list[str | None]],
              probability: Any = NOT_GIVEN) -> dict[str, Any]:
    """Quantities and/or prices (`raw_values`: "qty"/"price" → every bucket as typed, M1
    first, the rest blank) and/or the probability of one of the rep's lines, saved at once
    if the line is still at `version` (else Conflict with the line as it is now), audited
    with every changed bucket like a cell. Returns the line after the save."""
    require_editable(cycle, actor, fresh=False)
    horizon = cycle.horizon_months
    after: dict[str, Any] = {}
    for what, raws in raw_values.items():
        if what not in FIELDS:
            raise GridError("Unknown cell.")
        if len(raws) > horizon:
            raise GridError(f"This cycle has {horizon} months: at most {horizon} values.")
        after[FIELDS[what]] = pad([parse_value(raw, what) for raw in raws], horizon)
    if probability is not NOT_GIVEN:
        after["probability"] = _parse_probability(probability)
    # scoped by caller: the acting rep's own line (its id and rep both in the filter)
    collection = raw_collection(ForecastLine)
    key = {"_id": line_id, "cycle": cycle.pk, "rep": actor.pk}
    line = collection.find_one(key, LINE_PROJECTION)
    if line is None or line.get("version", 1) != version:
        raise _line_conflict(line)
    changes = _line_changes(line, after, horizon)
    if not changes:
        return line
    stamp = now()
    update = {"$set": {**after, "updated_by": actor.pk, "updated_at": stamp,
                       "source": "portal"}, "$inc": {"version": 1}}
    if not retry_write_conflicts(lambda: collection.update_one(
            {**key, "version": line.get("version", 1)}, update)).matched_count:
        raise _line_conflict(collection.find_one(key, LINE_PROJECTION))
    take_back_if_locked_meanwhile(
        actor, cycle, {"_id": line_id, "version": line.get("version", 1) + 1},
        {field_name: line.get(field_name) for field_name in after})
    product = Product.objects(id=line["product"]).only("item_code").first()
    customer = Customer.objects(id=line["customer"]).only("code").first()
    audit_line_changes(actor, [(line_id, f"Item {product.item_code if product else '?'} of "
                                         f"{customer.code if customer else '?'} changed "
                                         f"({len(changes)} value(s)).", changes)])
    return {**line, **after, "version": line.get("version", 1) + 1, "updated_by": actor.pk,
            "updated_at": stamp}


def _line_conflict(line: Mapping[str, Any] | None) -> Conflict:
    """The line as it is now (None: gone), who saved it last and when."""
    if line is None:
        return Conflict(None, None, None)
    return Conflict(line, _who(line), line.get("updated_at"))


def _line_changes(line: Mapping[str, Any], after: Mapping[str, Any], horizon: int
                  ) -> dict[str, dict[str, Any]]:
    """{label: {before, after}} of every bucket (and the probability) `after` changes."""
    changes = {}
    for what, field_name in FIELDS.items():
        if field_name not in after:
            continue
        before = pad(line.get(field_name), horizon)
        changes.update({bucket_label(i, what): {"before": before[i],
                                                "after": after[field_name][i]}
                        for i in range(horizon) if before[i] != after[field_name][i]})
    if "probability" in after and after["probability"] != line.get("probability"):
        changes["probability"] = {"before": line.get("probability"),
                                  "after": after["probability"]}
    return changes


def audit_line_changes(actor: User, entries: list[tuple[ObjectId, str, dict[str, Any]]]) -> None:
    """One "forecast_line_updated" entry per line, inserted in one bulk write."""
    record_audits("forecast_line_updated", entries, actor=actor, entity_type="forecast_line")
