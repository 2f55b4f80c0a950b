"""The consolidated plan (DOMAIN.md §5.2): every line with volume of a cycle, in the order
planners read it, at effective prices."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bson import ObjectId

from sop.db import raw_collection
from sop.models import Customer, Cycle, User
from sop.plans.baseline import baseline_for
from sop.plans.lines import frozen_line, is_frozen, plan_source, value_line
from sop.plans.prices import PriceBook, catalog

PREFETCH_REPS = 2  # reps whose lines are being read ahead


def consolidated_rows(cycle: Cycle, rep_ids: list[ObjectId] | None,
                      keep: Callable[[dict[str, Any]], bool] | None = None,
                      with_baseline: bool = False) -> Iterator[Any]:
    """Every line of the cycle with any volume, of the reps `rep_ids` (None: every rep; the
    caller scopes them) and passing `keep` (given the raw line: a report's customer and item
    filters), ordered by rep, customer, item, with new items last in each rep's block, at
    effective prices: as frozen in the snapshot once the cycle is closed, else valued now.
    Three reps' lines in memory at most. Yields sop.excel.consolidated.ConsolRow, with
    `with_baseline` each line's statistical baseline (sop.plans.baseline, one read per rep)."""
    from sop.excel.consolidated import ConsolRow

    source = plan_source(cycle.pk)
    frozen = is_frozen(source)
    # One query per rep by the (cycle, rep) index; "any volume" is checked here, because the
    # embedded database evaluates array conditions slowly.
    reps = sorted(raw_collection(User).find(
        {} if rep_ids is None else {"_id": {"$in": list(rep_ids)}}, {"full_name": 1}),
        key=lambda u: ((u.get("full_name") or "").casefold(), u["_id"]))
    # scoped by caller: only the lines of `rep_ids` are read, these are their names
    customers = {c["_id"]: c for c in raw_collection(Customer).find(
        {}, {"sop_name": 1, "sop_name_key": 1, "code": 1})}
    products = catalog()
    book = None if frozen else PriceBook.whole(products)

    def fetch(rep_id: ObjectId) -> list[dict[str, Any]]:
        # whole documents: a projection costs the embedded server more (1.5 s -> 2.2 s of
        # its CPU for 20,000 snapshot lines) than the extra bytes cost here
        return list(source.find({"cycle": cycle.pk, "rep": rep_id}))

    def order(doc: dict[str, Any]) -> tuple:
        customer = customers.get(doc["customer"], {})
        return (bool(doc.get("new_item")), customer.get("sop_name_key") or "",
                customer.get("code") or "",
                products.get(doc["product"], {}).get("item_code") or "")

    # The next reps' lines are read while this rep's rows are written (the database answers
    # from its own process meanwhile; two ahead, so a rep without lines leaves no gap): three
    # reps' lines in memory at most.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = deque(pool.submit(fetch, rep["_id"]) for rep in reps[:PREFETCH_REPS])
        for index, rep in enumerate(reps):
            found = pending.popleft().result()
            if index + PREFETCH_REPS < len(reps):
                pending.append(pool.submit(fetch, reps[index + PREFETCH_REPS]["_id"]))
            docs = [d for d in found if any(q and q > 0 for q in d.get("qty") or [])
                    and (keep is None or keep(d))]
            del found
            baselines = baseline_for(cycle, [(d["customer"], d["product"]) for d in docs]
                                     ) if with_baseline else {}
            for doc in sorted(docs, key=order):
                product = products.get(doc["product"], {})
                valued = frozen_line(doc) if book is None else value_line(
                    doc, book.fallback((doc["customer"], doc["product"])))
                row = ConsolRow(
                    rep=rep.get("full_name") or "", customer=customers.get(
                        doc["customer"], {}).get("sop_name") or "",
                    item_code=product.get("item_code") or "",
                    description=product.get("description") or "",
                    group=product.get("group_description") or "",
                    new_item=bool(doc.get("new_item")), qty=list(doc.get("qty") or []),
                    price=valued.prices)
                suggested = baselines.get((doc["customer"], doc["product"]))
                if suggested is not None:
                    row.baseline, row.baseline_method = suggested.qty, suggested.method
                yield row
            del docs
