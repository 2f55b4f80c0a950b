"""Price matrix use cases: per customer, which items may be forecast and at what price."""

from __future__ import annotations

from datetime import date
from typing import Any

from bson import ObjectId

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.excel.writer import MONEY_FORMAT, MONTH_FORMAT, Column, table_workbook
from sop.listing import export_about, prefix_match
from sop.models import Customer, PriceEntry, Product, User
from sop.user_input import NumberRefused, parse_number


class PriceError(ValueError):
    pass


def customer_matrix(customer: Customer) -> list[PriceEntry]:
    """The customer's matrix rows in item order, items loaded in one query."""
    entries = list(PriceEntry.objects(customer=customer).select_related(max_depth=1))
    return sorted(entries, key=lambda e: e.product.item_code if e.product else "")


def parse_price(raw: str) -> float | None:
    try:
        price = parse_number(raw, "A price", "42.50")
    except NumberRefused as exc:
        raise PriceError(str(exc)) from None
    return None if price is None else round(price, 4)


def parse_month(raw: str) -> date | None:
    """`YYYY-MM` (what <input type=month> sends) to the first day of that month."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        if not text.isascii():
            raise ValueError
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        raise PriceError("Enter the month as YYYY-MM.") from None


def _snapshot(entry: PriceEntry) -> dict[str, Any]:
    return {"price": entry.price, "active": entry.active,
            "effective_from": entry.effective_from.isoformat() if entry.effective_from else None}


def update_price_entry(actor: User, entry: PriceEntry, price: str | None = None,
                       active: bool | None = None, effective_from: str | None = None
                       ) -> PriceEntry:
    """Change one cell of the matrix (price, active flag or effective month), audited."""
    before = _snapshot(entry)
    if price is not None:
        entry.price = parse_price(price)
    if active is not None:
        entry.active = active
    if effective_from is not None:
        entry.effective_from = parse_month(effective_from)
    changes = field_changes(before, _snapshot(entry))
    if changes:
        entry.updated_at = now()
        entry.save()
        record_audit("price_updated", f"Price of item {entry.product.item_code} for "
                     f"{entry.customer.code} changed ({', '.join(changes)}).", actor=actor,
                     entity_type="price", entity_id=entry.pk, changes=changes)
    return entry


def set_entries_active(actor: User, customer: Customer, entry_ids: list[str],
                       active: bool) -> int:
    """Bulk (de)activation of selected matrix rows of one customer; one audit entry."""
    ids = [ObjectId(i) for i in entry_ids if ObjectId.is_valid(i)]
    if not ids:
        raise PriceError("Select at least one item.")
    changed = PriceEntry.objects(customer=customer, id__in=ids, active=not active).update(
        set__active=active, set__updated_at=now())
    if changed:
        record_audit("price_updated", f"{changed} item(s) of {customer.code} "
                     f"{'activated' if active else 'deactivated'} in the price matrix.",
                     actor=actor, entity_type="customer", entity_id=customer.pk,
                     changes={"active": {"before": not active, "after": active}})
    return changed


def add_item(actor: User, customer: Customer, item_code: str, price: str = "") -> PriceEntry:
    product = Product.objects(item_code=(item_code or "").strip(), active=True).first()
    if product is None:
        raise PriceError(f"No active item {item_code!r} in the catalog.")
    if PriceEntry.objects(customer=customer, product=product).first():
        raise PriceError(f"Item {product.item_code} is already in this customer's matrix.")
    entry = PriceEntry(customer=customer, product=product, price=parse_price(price),
                       effective_from=date(now().year, now().month, 1)).save()
    record_audit("price_updated", f"Item {product.item_code} added to the matrix of "
                 f"{customer.code}.", actor=actor, entity_type="price", entity_id=entry.pk,
                 changes=field_changes({}, _snapshot(entry)))
    return entry


def catalog_suggestions(customer: Customer, text: str, limit: int = 10) -> list[Product]:
    """Active items not yet in the customer's matrix whose code or description starts so."""
    if not text.strip():
        return []
    present_ids = [ref.id for ref in
                   PriceEntry.objects(customer=customer).no_dereference().scalar("product")]
    matches = prefix_match(Product.objects(active=True, id__nin=present_ids), text,
                           ("item_code", "description_lower"))
    return list(matches.order_by("item_code").limit(limit))


EXPORT_COLUMNS = (Column("Customer Code", 16), Column("Item Code", 10),
                  Column("Description", 32), Column("Customer Price", 14, MONEY_FORMAT),
                  Column("Effective From", 14, MONTH_FORMAT), Column("Active", 8))


def export_matrix(viewer: User, customer: Customer) -> bytes:
    """The customer's matrix in the price import format (it can be imported again)."""
    rows = ((customer.code, e.product.item_code, e.product.description, e.price,
             e.effective_from, "Yes" if e.active else "No") for e in customer_matrix(customer))
    return table_workbook("Price matrix", EXPORT_COLUMNS, rows,
                          export_about(f"Price matrix of {customer.code}", viewer, {}))
