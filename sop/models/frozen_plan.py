from __future__ import annotations

from mongoengine import BinaryField, DateTimeField, Document, IntField, ReferenceField

from sop.clock import now
from sop.models.customer import Customer
from sop.models.cycle import Cycle


class FrozenPlanPack(Document):
    """A closed cycle's frozen plan and baseline of one customer, packed (sop.accuracy.packs):
    what accuracy reads instead of one snapshot and one baseline document per line, so
    twelve cycles of 20,000 lines are 3,600 documents, not 480,000. Derived, rebuildable: a
    closed cycle's snapshot and baseline never change. The document without a customer marks
    a cycle whose packs are all written."""

    cycle = ReferenceField(Cycle, required=True)
    customer = ReferenceField(Customer, null=True)  # None: the cycle's "complete" marker
    horizon = IntField(min_value=1)
    plan = BinaryField()  # per snapshot line: product id, rep id, cases per bucket
    baseline = BinaryField()  # per baseline line: product id, cases per bucket
    built_at = DateTimeField(default=now)

    rep_scope = "customer:customer"  # and a rep's plan entries are the rep's own lines only

    COLLECTION = "frozen_plan_packs"
    meta = {
        "collection": COLLECTION,
        "indexes": [{"fields": ["cycle", "customer"], "unique": True}],
    }
