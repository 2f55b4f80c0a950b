from __future__ import annotations

from mongoengine import BooleanField, DateField, DateTimeField, Document, FloatField, ReferenceField

from sop.clock import now
from sop.models.customer import Customer
from sop.models.product import Product


class PriceEntry(Document):
    """Price matrix: may this customer be forecast this item, and at what price per case."""

    customer = ReferenceField(Customer, required=True)
    product = ReferenceField(Product, required=True)
    active = BooleanField(default=True)
    price = FloatField(min_value=0)  # customer price, $/case
    effective_from = DateField()  # first day of a month
    updated_at = DateTimeField(default=now)

    rep_scope = "customer:customer"

    COLLECTION = "price_entries"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["customer", "product"], "unique": True},
            ("product", "active"),
        ],
    }
