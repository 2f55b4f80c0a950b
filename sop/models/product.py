from __future__ import annotations

import re

from mongoengine import BooleanField, DateTimeField, Document, FloatField, StringField

from sop.clock import now

ITEM_CODE_PATTERN = re.compile(r"^\d{6}$", re.ASCII)
CATEGORIES = (
    "G01 - Garlic Production",
    "G02 - Shallot Production",
    "G03 - Ready to Use",
    "G04 - Other Production",
    "G05 - Resale",
)


class Product(Document):
    """An item the company sells, by its 6-digit item code."""

    item_code = StringField(required=True, unique=True, regex=ITEM_CODE_PATTERN.pattern)
    description = StringField(required=True, max_length=200)
    description_lower = StringField()
    group_code = StringField(max_length=20)
    subgroup = StringField(max_length=60)
    group_description = StringField(max_length=120)  # "Group 1-2"
    category = StringField(max_length=60)
    manufacturing_location = StringField(max_length=80)
    manufacturing_line = StringField(max_length=80)
    pack_size = StringField(max_length=40)
    weight = FloatField(min_value=0)
    uom = StringField(required=True, default="CS", max_length=10)
    list_price = FloatField(min_value=0)
    cost_price = FloatField(min_value=0)
    currency = StringField(default="USD", max_length=3)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    rep_scope = "all"  # the catalog is shared; who buys what is scoped through prices

    COLLECTION = "products"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            "description_lower",
            ("category", "item_code"), ("group_code", "item_code"),
            ("manufacturing_location", "item_code"), ("active", "item_code"),
        ],
        "ordering": ["item_code"],
    }

    def clean(self) -> None:
        self.description = (self.description or "").strip()
        self.description_lower = self.description.lower()

    def __str__(self) -> str:
        return f"{self.item_code} {self.description}"
