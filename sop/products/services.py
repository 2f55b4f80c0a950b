"""Item (product) use cases: search, create, edit, (de)activate, the detail view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sop.customers.services import last_months, monthly_sales
from sop.excel.writer import MONEY_FORMAT, Column, table_workbook
from sop.form_submission import FieldError
from sop.listing import cached_choices, export_about, prefix_match, sorted_by
from sop.masterdata import save_changes, save_new, set_active
from sop.models import CATEGORIES, PriceEntry, Product, SalesHistory, User
from sop.models.product import ITEM_CODE_PATTERN
from sop.pagination import Page, paginate
from sop.security import scoped

EDITABLE_FIELDS = (
    "item_code", "description", "group_code", "subgroup", "group_description", "category",
    "manufacturing_location", "manufacturing_line", "pack_size", "weight", "uom", "list_price",
    "cost_price", "currency",
)
SORTS = {"code": ("item_code",), "description": ("description_lower", "item_code"),
         "category": ("category", "item_code")}
EXPORT_COLUMNS = (
    Column("Item Code", 10), Column("Description", 36), Column("Group Code", 10),
    Column("Subgroup", 22), Column("Group Description", 16), Column("Category", 24),
    Column("Manufacturing Location", 20), Column("Manufacturing Line", 14),
    Column("Pack Size", 10), Column("Weight", 8, "0.0"), Column("UoM", 6),
    Column("List Price", 11, MONEY_FORMAT), Column("Cost Price", 11, MONEY_FORMAT),
    Column("Currency", 8), Column("Active", 7),
)


class ProductError(FieldError):
    """A refused change, shown next to the field it names."""


@dataclass
class ProductFilters:
    text: str = ""
    group: str = ""
    category: str = ""
    location: str = ""
    active: str = "yes"
    sort: str = "code"

    def as_args(self) -> dict[str, str]:
        return {"q": self.text, "group": self.group, "category": self.category,
                "location": self.location, "active": self.active, "sort": self.sort}


def filtered_products(filters: ProductFilters):
    queryset = prefix_match(Product.objects, filters.text, ("item_code", "description_lower"))
    for field, value in (("group_code", filters.group), ("category", filters.category),
                         ("manufacturing_location", filters.location)):
        if value:
            queryset = queryset.filter(**{field: value})
    if filters.active in ("yes", "no"):
        queryset = queryset.filter(active=filters.active == "yes")
    return sorted_by(queryset, filters.sort, SORTS, "code")


def search_products(filters: ProductFilters, page: int = 1) -> Page:
    return paginate(filtered_products(filters), page, cached=(Product, repr(filters)))


def filter_choices() -> dict[str, list[str]]:
    return cached_choices(("products",), _product_choices)


def _product_choices() -> dict[str, list[str]]:
    return {
        "groups": sorted(g for g in Product.objects.distinct("group_code") if g),
        "categories": sorted({*CATEGORIES,
                              *(c for c in Product.objects.distinct("category") if c)}),
        "locations": sorted(x for x in Product.objects.distinct("manufacturing_location") if x),
    }


def export_products(viewer: User, filters: ProductFilters) -> bytes:
    rows = ((p.item_code, p.description, p.group_code, p.subgroup, p.group_description,
             p.category, p.manufacturing_location, p.manufacturing_line, p.pack_size, p.weight,
             p.uom, p.list_price, p.cost_price, p.currency, "Yes" if p.active else "No")
            for p in filtered_products(filters))
    return table_workbook("Items", EXPORT_COLUMNS, rows,
                          export_about("Items", viewer, filters.as_args()))


def _snapshot(product: Product) -> dict[str, Any]:
    return {**{field: getattr(product, field) for field in EDITABLE_FIELDS},
            "active": product.active}


def _apply(product: Product, data: dict[str, Any]) -> None:
    for field in EDITABLE_FIELDS:
        value = data.get(field)
        setattr(product, field, value.strip() if isinstance(value, str) else value)
    if not ITEM_CODE_PATTERN.match(product.item_code or ""):
        raise ProductError("An item code has exactly 6 digits, e.g. 110001.", "item_code")
    if not product.description:
        raise ProductError("Enter the description.", "description")
    product.uom = (product.uom or "CS").upper()
    product.currency = (product.currency or "USD").upper()


def _check_code_free(item_code: str, except_id: Any = None) -> None:
    clash = Product.objects(item_code=item_code).first()
    if clash is not None and clash.pk != except_id:
        raise ProductError(f"Item {item_code} already exists: {clash.description}.",
                           "item_code")


def create_product(actor: User, data: dict[str, Any]) -> Product:
    product = Product()
    _apply(product, data)
    _check_code_free(product.item_code)
    return save_new(actor, product, "product",
                    f"Item {product.item_code} {product.description}", _snapshot)


def update_product(actor: User, product: Product, data: dict[str, Any]) -> Product:
    before = _snapshot(product)
    _apply(product, data)
    _check_code_free(product.item_code, product.pk)
    return save_changes(actor, product, before, "product", f"Item {product.item_code}",
                        _snapshot)


def set_product_active(actor: User, product: Product, active: bool) -> Product:
    return set_active(actor, product, active, "product", f"Item {product.item_code}")


def product_detail(viewer: User, product: Product) -> dict[str, Any]:
    """Who buys the item (only the viewer's customers for a rep) and its monthly sales."""
    prices = scoped(PriceEntry, viewer).filter(product=product).select_related(max_depth=1)
    buyers = sorted((p for p in prices if p.customer), key=lambda p: p.customer.sop_name_key)
    histories = scoped(SalesHistory, viewer).filter(product=product).only("months")
    return {"buyers": buyers, "sales": monthly_sales(histories, last_months(24))}
