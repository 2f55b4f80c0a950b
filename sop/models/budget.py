from __future__ import annotations

from mongoengine import DateTimeField, Document, FloatField, IntField, ReferenceField, StringField

from sop.clock import now
from sop.models.customer import Customer
from sop.models.user import User


class BudgetEntry(Document):
    """Budget per (rep, customer S&OP name, year, month). `customer` is empty when the name
    matched no customer or alias: such rows are kept and listed as unmatched."""

    rep = ReferenceField(User, required=True)
    sop_name = StringField(required=True, max_length=120)  # as written in the file
    sop_name_key = StringField(required=True)
    customer = ReferenceField(Customer)
    year = IntField(required=True, min_value=2000, max_value=2100)
    month = IntField(required=True, min_value=1, max_value=12)
    cases = FloatField(default=0)
    sales = FloatField(default=0)
    updated_at = DateTimeField(default=now)

    rep_scope = "rep"

    COLLECTION = "budget_entries"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["rep", "sop_name_key", "year", "month"], "unique": True},
            ("customer", "year", "month"), ("year", "month"),
        ],
    }
