from __future__ import annotations

from mongoengine import (
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    FloatField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.customer import Customer
from sop.models.product import Product


class SalesMonth(EmbeddedDocument):
    """Actual sales of one calendar month, aggregated from invoices."""

    month = StringField(required=True, regex=r"^\d{4}-\d{2}$")  # "YYYY-MM": sorts as dates do
    quantity = FloatField(default=0)  # cases
    unit_price = FloatField()
    sales = FloatField(default=0)  # $
    cogs = FloatField()
    gross_profit = FloatField()
    rep_id = ObjectIdField()  # the rep at the time

    @property
    def gp_percent(self) -> float | None:
        if self.gross_profit is None or not self.sales:
            return None
        return self.gross_profit / self.sales * 100


class SalesHistory(Document):
    """All months of one (customer, item), in one document (the bucket pattern): a 480,000-row
    history is 20,000 documents, so imports and per-customer pages touch few documents."""

    customer = ReferenceField(Customer, required=True)
    product = ReferenceField(Product, required=True)
    months = EmbeddedDocumentListField(SalesMonth)  # sorted by month
    updated_at = DateTimeField(default=now)

    rep_scope = "customer:customer"

    meta = {
        "collection": "sales_history",
        "indexes": [
            {"fields": ["customer", "product"], "unique": True},
            "product", "months.month",
        ],
    }
