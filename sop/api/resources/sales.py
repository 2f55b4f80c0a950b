"""Sales history (monthly actuals by customer and item) as the API lists it: one entry per
customer and item with its months in a range, in cursor pages; a rep's token sees the rep's
customers only."""

from __future__ import annotations

from typing import Any

from sop.api import schemas_masterdata as m
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import cursor_id, customer_coded, item_coded
from sop.api.presenters import natural_keys
from sop.api.problems import Problem
from sop.db import raw_collection
from sop.models import SalesHistory
from sop.models.sales import FIGURE_FIELDS, read_fingerprint, unpack_figures
from sop.security import scoped_query

bp = api_blueprint("sales", "", "Sales history: monthly actuals by customer and item.")


@bp.get("/sales")
@access("read")
@bp.arguments(m.SalesArgs, location="query")
@bp.response(200, m.SalesPageSchema)
def list_sales(args: dict[str, Any]):
    """Monthly actuals by customer and item (filters: customer code, item code, months
    from/to), in pages: pass `next_cursor` back as `cursor` until it is null."""
    user = current_api_user()
    first, last = args["month_from"] or "0000-00", args["month_to"] or "9999-99"
    if first > last:
        raise Problem(422, "The first month is after the last one.", errors=[
            {"field": "month_to", "value": last, "message": "Not before month_from."}])
    query: dict[str, Any] = {}
    if args["customer"]:
        query["customer"] = customer_coded(user, args["customer"]).pk
    if args["item"]:
        query["product"] = item_coded(user, args["item"]).pk
    after = cursor_id(args["cursor"])
    if after is not None:
        query["_id"] = {"$gt": after}
    # the packed months (the bucket's fingerprint) instead of its embedded documents
    found = list(raw_collection(SalesHistory).find(
        scoped_query(SalesHistory, user, query), {"customer": 1, "product": 1,
                                                  "fingerprint": 1}
    ).sort("_id", 1).limit(args["limit"] + 1))
    more = len(found) > args["limit"]
    found = found[:args["limit"]]
    _emails, codes, items = natural_keys()
    rows = []
    for bucket in found:
        months = [{"month": month, **dict(zip(FIGURE_FIELDS, unpack_figures(packed),
                                              strict=True))}
                  for month, packed in sorted(read_fingerprint(
                      bucket.get("fingerprint") or b"").items()) if first <= month <= last]
        if months:
            rows.append({"customer_code": codes.get(bucket["customer"]),
                         "item_code": items.get(bucket["product"]), "months": months})
    return {"sales": rows, "next_cursor": str(found[-1]["_id"]) if more else None}
