"""Last cycle rolled forward: where the grid's "copy last cycle" and a workbook downloaded
before this cycle has lines start from. ONE rule for both."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from sop.models import Cycle
from sop.plans.arithmetic import is_empty
from sop.plans.previous import SameMonths, previous_over_same_months
from sop.plans.prices import SHORT_LIST, Pair

ROLLED_FIELDS = {"customer": 1, "product": 1, "rep": 1, "qty": 1, "price": 1,
                 "probability": 1, "new_item": 1}


@dataclass
class RolledPlan:
    """Last cycle's lines moved onto this cycle's months, one per (customer, item)."""

    last: SameMonths
    lines: dict[Pair, dict[str, Any]] = field(default_factory=dict)

    @property
    def cycle(self) -> Cycle:
        return self.last.previous


def rolled_forward(cycle: Cycle, rep_id: ObjectId, customer_ids: Iterable[ObjectId]
                   ) -> RolledPlan | None:
    """Last cycle's lines of these customers (scoped by the caller: the rep's own) on this
    cycle's months; None when there is no earlier cycle.

    The rule:
    - last cycle is read *as planned* (`sop.plans.lines.plan_source`: its frozen snapshot once
      closed, else its lines), like every other "last cycle" figure (cycle page, board,
      reports, the grid's last-cycle row): a copy or a workbook never shows numbers the
      cycle page does not count;
    - one line per (customer, item): the rep's own line wins over another rep's (a customer
      reassigned since keeps its history);
    - a line left with no number other than 0 once moved (`sop.plans.arithmetic.is_empty`) is
      dropped. That is the portal's one meaning of an empty line: the grid removes it, a copy
      overwrites it, and a workbook reads a row of zeros back as no line. Copying an all-zero
      line would make lines that an untouched workbook upload then removes again."""
    last = previous_over_same_months(cycle)
    if last is None:
        return None
    wanted = list(dict.fromkeys(customer_ids))
    # The batching rule of sop.plans.prices: a few customers one indexed query each, more
    # the whole cycle selected here.
    if len(wanted) <= SHORT_LIST:
        found = (doc for customer_id in wanted
                 for doc in last.documents({"customer": customer_id}, ROLLED_FIELDS))
    else:
        selected = set(wanted)
        found = (doc for doc in last.documents({}, ROLLED_FIELDS)
                 if doc["customer"] in selected)
    sources: dict[Pair, dict[str, Any]] = {}
    for doc in found:
        pair = (doc["customer"], doc["product"])
        if pair not in sources or doc.get("rep") == rep_id:
            sources[pair] = doc
    plan = RolledPlan(last)
    for pair, doc in sources.items():
        rolled = {**doc, "qty": last.moved(doc.get("qty") or []),
                  "price": last.moved(doc.get("price") or [])}
        if not is_empty(rolled):
            plan.lines[pair] = rolled
    return plan
