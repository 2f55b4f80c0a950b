from __future__ import annotations

from typing import Any

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    FloatField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.customer import Customer
from sop.models.cycle import Cycle
from sop.models.product import Product
from sop.models.user import User

LINE_SOURCES = ("portal", "excel", "copy")
PROBABILITIES = {
    0: "With Sales Order - Low Risk",
    1: "In Customer Supply Plan - Low/Mid Risk",
    2: "Customer Forecast - Mid Risk",
    3: "Volume Estimated by Sales Rep (Budget)",
}
PROBABILITY_RISKS = {0: "Low", 1: "Low-Mid", 2: "Mid", 3: "High"}


class BucketValueField(FloatField):
    """One bucket's cases or price: a number, or None for "not entered"."""

    def to_python(self, value: Any) -> float | None:
        return None if value is None else super().to_python(value)

    def validate(self, value: Any) -> None:
        if value is not None:
            super().validate(value)


class ForecastLine(Document):
    """A rep's plan for one customer and item in one cycle: cases and $/case per bucket.

    `qty` and `price` hold one entry per bucket (M1 first); None means "not entered", which is
    not the same as 0: a mandatory month must hold a value, and 0 is a value. `version` grows
    with every change, so a save can tell whether the line moved since it was read."""

    cycle = ReferenceField(Cycle, required=True)
    rep = ReferenceField(User, required=True)
    customer = ReferenceField(Customer, required=True)
    product = ReferenceField(Product, required=True)
    probability = IntField(min_value=0, max_value=3, null=True)
    new_item = BooleanField(default=False)  # the pair is not in the customer's price matrix
    qty = ListField(BucketValueField(min_value=0))
    price = ListField(BucketValueField(min_value=0))
    source = StringField(choices=LINE_SOURCES, default="portal")
    version = IntField(default=1)
    updated_by = ReferenceField(User)
    updated_at = DateTimeField(default=now)
    created_at = DateTimeField(default=now)

    rep_scope = "rep"  # sop.security.scoped: a rep sees and writes only their own lines

    COLLECTION = "forecast_lines"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["cycle", "rep", "customer", "product"], "unique": True},
            ("cycle", "customer", "product"),
            ("cycle", "product"),
        ],
    }


class ForecastSnapshot(Document):
    """A line as it stood when its cycle closed: what accuracy is later measured against.
    Written once by closing the cycle, never edited."""

    cycle = ReferenceField(Cycle, required=True)
    line_id = ReferenceField(ForecastLine, dbref=False)
    rep = ReferenceField(User, required=True)
    customer = ReferenceField(Customer, required=True)
    product = ReferenceField(Product, required=True)
    probability = IntField(null=True)
    new_item = BooleanField(default=False)
    qty = ListField(BucketValueField())
    price = ListField(BucketValueField())
    effective_price = ListField(FloatField())  # frozen with the line: prices move later
    frozen_at = DateTimeField(default=now)

    rep_scope = "rep"

    COLLECTION = "forecast_snapshots"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["cycle", "rep", "customer", "product"], "unique": True},
            ("cycle", "customer", "product"),
        ],
    }
