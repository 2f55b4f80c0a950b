"""A page of a cycle's forecast lines for the API: the filters as a scoped query, the reps
in scope, the cursor, and the lines as the API shows them (natural keys, effective prices)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from sop.api.lookups import cursor_id, customer_coded, item_coded, rep_named
from sop.api.presenters import natural_keys, year_months
from sop.listing import cached_until_written
from sop.models import Customer, Cycle, Product, Submission, User
from sop.plans import PriceBook, ValuedLine, value_lines, valued_plan_page
from sop.security import scoped, visible_reps


def plan_page(user: User, cycle: Cycle, args: dict[str, Any]) -> dict[str, Any]:
    """The page `args` ask for (filters, cursor, limit) of what `user` may see."""
    query = _line_filters(user, cycle, args)
    reps = _reps_in_scope(user, query.pop("rep", None))
    book = cached_until_written(("api-price-book",), ("price_entries", "products"),
                                PriceBook.whole_when_needed)  # filled once: a plan names most of it
    page, after = valued_plan_page(cycle.pk, query, reps, _line_cursor(args["cursor"]),
                                   args["limit"], book=book)
    names = natural_keys()
    return {"cycle": str(cycle.pk), "frozen": cycle.snapshot_at is not None,
            "buckets": year_months(cycle),
            "next_cursor": ".".join(str(part) for part in after) if after else None,
            "lines": [line_out(line, names) for line in page]}


def line_out(line: ValuedLine, names: tuple[dict[Any, str], ...] | None = None
             ) -> dict[str, Any]:
    """A line as the API shows it; `names` from `natural_keys` (read when not given)."""
    emails, codes, items = names or natural_keys()
    raw = line.raw
    return {"id": str(raw.get("line_id") or raw["_id"]), "rep": emails.get(raw["rep"]),
            "customer": codes.get(raw["customer"]), "item": items.get(raw["product"]),
            "probability": raw.get("probability"), "new_item": bool(raw.get("new_item")),
            "qty": raw.get("qty") or [], "price": raw.get("price") or [],
            "effective_price": line.prices, "version": raw.get("version")}


def saved_line_out(raw: dict[str, Any]) -> dict[str, Any]:
    """A line just saved, valued now."""
    return line_out(next(value_lines([raw])))


def _line_filters(user: User, cycle: Cycle, args: dict[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if args.get("rep"):
        query["rep"] = rep_named(user, args["rep"]).pk
    if args.get("status"):
        query["rep"] = _within(query.get("rep"), _reps_with_status(user, cycle, args["status"]))
    if args.get("customer"):
        query["customer"] = customer_coded(user, args["customer"]).pk
    if args.get("item"):
        query["product"] = item_coded(user, args["item"]).pk
    if args.get("group"):
        query["product"] = _within(query.get("product"), list(
            Product.objects(group_code=args["group"]).scalar("id")))
    if args.get("territory"):
        query["customer"] = _within(query.get("customer"), list(
            scoped(Customer, user).filter(territory=args["territory"]).scalar("id")))
    return query


def _within(named: ObjectId | None, ids: list[ObjectId]) -> Any:
    """The condition of a field filtered to `ids` and, if given, to the one `named` id too."""
    if named is None:
        return {"$in": ids}
    return named if named in ids else {"$in": []}


def _reps_with_status(user: User, cycle: Cycle, status: str) -> list[ObjectId]:
    """The reps in scope whose plan has `status`: a rep who never submitted (no submission
    record yet) is in draft, as the board shows them."""
    if status != "draft":
        return [rep.pk for rep in scoped(Submission, user).filter(
            cycle=cycle, status=status).scalar("rep")]
    moved_on = {rep.pk for rep in scoped(Submission, user).filter(
        cycle=cycle, status__ne="draft").scalar("rep")}
    return [rep for rep in scoped(User, user).scalar("id") if rep not in moved_on]


def _reps_in_scope(user: User, named: Any) -> list[ObjectId]:
    """The reps whose lines the page reads, in id order: the filter's, within the token's
    scope (a rep: only themself)."""
    if isinstance(named, ObjectId):
        candidates = [named]
    elif isinstance(named, dict):
        candidates = list(named["$in"])
    else:  # every account that may own lines (a small collection)
        candidates = list(scoped(User, user).scalar("id"))
    own = visible_reps(user)
    return sorted(c for c in candidates if own is None or c in own)


def _line_cursor(cursor: str | None) -> tuple[ObjectId, ObjectId, ObjectId] | None:
    """`<rep>.<customer>.<item>` ids of the previous page's last line (the schema checked
    its form)."""
    if cursor is None:
        return None
    rep, customer, item = (cursor_id(part) for part in cursor.split("."))
    return rep, customer, item


