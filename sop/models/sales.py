from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mongoengine import (
    BinaryField,
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

FIGURE_FIELDS = ("quantity", "unit_price", "sales", "cogs", "gross_profit")
FIGURES = struct.Struct("<5d")  # one month's figures packed: 40 bytes
MONTH_BYTES = 7  # "YYYY-MM"


def pack_figures(figures: Iterable[float | None]) -> bytes:
    return FIGURES.pack(*[math.nan if f is None else f for f in figures])


def unpack_figures(packed: bytes) -> tuple[float | None, ...]:
    return tuple([f if f == f else None for f in FIGURES.unpack(packed)])  # NaN != NaN


def packed_fingerprint(months: Mapping[str, bytes]) -> bytes:
    """`fingerprint` of months already packed ({month: packed figures}), without unpacking."""
    return b"".join(month.encode() + months[month] for month in sorted(months))


def fingerprint(months: Iterable[Mapping[str, Any]]) -> bytes:
    """Every month of a bucket, packed: lets an import compare 20,000 buckets without
    decoding 480,000 embedded documents."""
    return b"".join(m["month"].encode() + pack_figures(m.get(f) for f in FIGURE_FIELDS)
                    for m in sorted(months, key=lambda m: m["month"]))


def read_fingerprint(packed: bytes) -> dict[str, bytes]:
    """{month: packed figures} from a bucket's fingerprint."""
    step = MONTH_BYTES + FIGURES.size
    return {packed[i:i + MONTH_BYTES].decode(): packed[i + MONTH_BYTES:i + step]
            for i in range(0, len(packed), step)}


def fingerprint_months(packed: bytes, wanted: Mapping[bytes, str]
                       ) -> Iterator[tuple[str, tuple[float | None, ...]]]:
    """(month, unpacked figures) of the months of a bucket's fingerprint that are in `wanted`
    ({b"YYYY-MM": "YYYY-MM"}), read in place: a report over 20,000 buckets unpacks only
    the months it shows."""
    step = MONTH_BYTES + FIGURES.size
    for i in range(0, len(packed), step):
        month = wanted.get(packed[i:i + MONTH_BYTES])
        if month is not None:
            quantity, unit_price, sales, cogs, gross_profit = FIGURES.unpack_from(
                packed, i + MONTH_BYTES)
            yield month, (quantity if quantity == quantity else None,  # NaN: not given
                          unit_price if unit_price == unit_price else None,
                          sales if sales == sales else None, cogs if cogs == cogs else None,
                          gross_profit if gross_profit == gross_profit else None)


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
    fingerprint = BinaryField()  # fingerprint(months), kept in step by every writer
    updated_at = DateTimeField(default=now)

    rep_scope = "customer:customer"

    def clean(self) -> None:
        self.months = sorted(self.months, key=lambda m: m.month)
        self.fingerprint = fingerprint(m.to_mongo() for m in self.months)

    COLLECTION = "sales_history"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["customer", "product"], "unique": True},
            "product",
        ],
        # No index on months.month: month ranges are matched after $unwind, where an index
        # cannot help, and a multikey index would add 24 entries per document to every write.
    }
