from __future__ import annotations

from mongoengine import (
    DateTimeField,
    Document,
    FloatField,
    ListField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.customer import Customer
from sop.models.cycle import Cycle
from sop.models.product import Product

BASELINE_STATES = ("forecast", "dead")  # "dead": no sales for 12 months, forecasts 0


class BaselineLine(Document):
    """The statistical baseline of one customer x item for one cycle: cases per bucket (M1
    first, never negative), computed from the monthly sales history by the method that won
    the rolling-origin comparison for this series.

    A pair without history has no document: "no baseline" is said, never shown as 0. The
    documents of a cycle stop changing when it closes (they are frozen with its snapshot), so
    the baseline's own accuracy can be measured against the actuals later."""

    cycle = ReferenceField(Cycle, required=True)
    customer = ReferenceField(Customer, required=True)
    product = ReferenceField(Product, required=True)
    qty = ListField(FloatField(min_value=0))  # one entry per bucket of the cycle
    method = StringField(max_length=80, required=True)  # e.g. "seasonal_naive", "theta", "dead"
    state = StringField(choices=BASELINE_STATES, default="forecast")
    error = FloatField(null=True)  # the method's out-of-sample WMAPE (%) in the comparison
    outlier_months = ListField(StringField(max_length=7))  # "YYYY-MM", clipped for fitting
    history_to = StringField(max_length=7)  # last month of history the fit saw
    # What the fit saw (engine version, buckets, history): a rerun skips lines whose digest
    # is unchanged, so a job cut short resumes where it stopped (sop.baseline.cycle)
    history_digest = StringField(max_length=40)
    computed_at = DateTimeField(default=now)

    rep_scope = "customer:customer"  # a rep sees the baseline of own customers only

    COLLECTION = "baseline_lines"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["cycle", "customer", "product"], "unique": True},
            ("cycle", "product"),
        ],
    }
