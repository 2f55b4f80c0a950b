"""Schemas of master data: customers, items, price entries, budget, and the bulk upserts
(fields named as the Excel templates' columns, snake_case)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from sop.api.bulk_rows import BulkRows
from sop.api.schemas import PageArgs, PageSchema, ProblemFieldSchema
from sop.imports.batch import BATCH_MAX_ROWS

Amount = {"allow_none": True, "allow_nan": False, "validate": validate.Range(0, 1e12)}
Figure = {"allow_none": True, "allow_nan": False, "validate": validate.Range(-1e12, 1e12)}
ItemCode = validate.Regexp(r"^\d{6}$", error="An item code has exactly 6 digits.")


def _text(limit: int, required: bool = False) -> fields.String:
    return fields.String(required=required, allow_none=not required,
                         validate=validate.Length(1 if required else 0, limit))


class CustomerFields(Schema):
    name = _text(200)
    sop_name = _text(31)
    rep_email = _text(254)
    territory = _text(80)
    corporate_group = _text(120)
    address = _text(200)
    city = _text(80)
    state = _text(80)
    postal_code = _text(20)
    country = _text(80)
    contact_name = _text(120)
    contact_email = _text(254)
    contact_phone = _text(40)
    payment_terms = _text(60)
    credit_limit = fields.Float(**Amount)
    active = fields.Boolean(allow_none=True)


class CustomerUpdateSchema(CustomerFields):
    aliases = fields.List(fields.String(validate=validate.Length(1, 120)))


class CustomerCreateSchema(CustomerUpdateSchema):
    code = _text(40, required=True)
    name = _text(200, required=True)


class CustomerRowSchema(CustomerFields):
    code = _text(40, required=True)


class CustomerSchema(CustomerCreateSchema):
    id = fields.String(required=True)


class CustomerArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    rep = fields.String(load_default="", validate=validate.Length(max=254),
                        metadata={"description": "rep e-mail"})
    territory = fields.String(load_default="", validate=validate.Length(max=80))
    group = fields.String(load_default="", validate=validate.Length(max=120))
    active = fields.String(load_default="", validate=validate.OneOf(("", "yes", "no")))


class CustomerPageSchema(PageSchema):
    customers = fields.List(fields.Nested(CustomerSchema), required=True)


class ItemFields(Schema):
    description = _text(200)
    group_code = _text(20)
    subgroup = _text(60)
    group_description = _text(120)
    category = _text(60)
    manufacturing_location = _text(80)
    manufacturing_line = _text(80)
    pack_size = _text(40)
    weight = fields.Float(**Amount)
    uom = _text(10)
    list_price = fields.Float(**Amount)
    cost_price = fields.Float(**Amount)
    currency = _text(3)
    active = fields.Boolean(allow_none=True)


class ItemCreateSchema(ItemFields):
    item_code = fields.String(required=True, validate=ItemCode)
    description = _text(200, required=True)


class ItemRowSchema(ItemFields):
    item_code = fields.String(required=True, validate=ItemCode)
    description = _text(200, required=True)
    uom = _text(10, required=True)


class ItemSchema(ItemCreateSchema):
    id = fields.String(required=True)


class ItemArgs(PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    group = fields.String(load_default="", validate=validate.Length(max=20))
    category = fields.String(load_default="", validate=validate.Length(max=60))
    active = fields.String(load_default="", validate=validate.OneOf(("", "yes", "no")))


class ItemPageSchema(PageSchema):
    items = fields.List(fields.Nested(ItemSchema), required=True)


class PriceRowSchema(Schema):
    customer_code = _text(40, required=True)
    item_code = fields.String(required=True, validate=ItemCode)
    price = fields.Float(**Amount)
    effective_from = fields.String(allow_none=True, validate=validate.Length(max=10),
                                   metadata={"description": "YYYY-MM"})
    active = fields.Boolean(allow_none=True)


class PriceUpdateSchema(Schema):
    price = fields.Float(**Amount, metadata={"description": "null: no customer price"})
    effective_from = fields.String(allow_none=True, validate=validate.Regexp(
        r"^\d{4}-\d{2}$", error="Enter the month as YYYY-MM."), metadata={
        "description": "YYYY-MM; null clears it"})
    active = fields.Boolean(allow_none=True)


class PriceSchema(Schema):
    id = fields.String(required=True)
    customer_code = fields.String(required=True)
    item_code = fields.String(required=True)
    price = fields.Float(allow_none=True)
    effective_from = fields.String(allow_none=True)
    active = fields.Boolean(required=True)


class PriceArgs(PageArgs):
    customer = fields.String(load_default="", validate=validate.Length(max=40))
    item = fields.String(load_default="", validate=validate.Length(max=6))
    active = fields.String(load_default="", validate=validate.OneOf(("", "yes", "no")))


class PricePageSchema(PageSchema):
    prices = fields.List(fields.Nested(PriceSchema), required=True)


class SalesRowSchema(Schema):
    customer_code = _text(40, required=True)
    item_code = fields.String(required=True, validate=ItemCode)
    year = fields.Integer(required=True, validate=validate.Range(1900, 2200))
    month = fields.Integer(required=True, validate=validate.Range(1, 12))
    quantity = fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1e12))
    unit_price = fields.Float(**Amount)
    sales = fields.Float(required=True, allow_nan=False, validate=validate.Range(-1e12, 1e12))
    cogs = fields.Float(**Figure)
    gross_profit = fields.Float(**Figure)


class BudgetSchema(Schema):
    id = fields.String(required=True)
    rep = fields.String(required=True)
    sop_name = fields.String(required=True)
    customer_code = fields.String(allow_none=True)
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    cases = fields.Float(required=True)
    sales = fields.Float(required=True)


class BudgetRowSchema(Schema):
    rep_email = _text(254, required=True)
    sop_name = _text(120, required=True)
    year = fields.Integer(required=True, validate=validate.Range(1900, 2200))
    month = fields.Integer(required=True, validate=validate.Range(1, 12))
    cases = fields.Float(required=True, allow_nan=False, validate=validate.Range(0, 1e12))
    sales = fields.Float(**Amount)


class BudgetArgs(PageArgs):
    rep = fields.String(load_default="", validate=validate.Length(max=254))
    customer = fields.String(load_default="", validate=validate.Length(max=120),
                             metadata={"description": "S&OP name prefix"})
    year = fields.Integer(load_default=None, validate=validate.Range(1900, 2200))


class BudgetPageSchema(PageSchema):
    budget = fields.List(fields.Nested(BudgetSchema), required=True)


def bulk_schema(row: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"rows": BulkRows(row, BATCH_MAX_ROWS)}, name=name)


class BulkResultSchema(Schema):
    rows = fields.Integer(required=True)
    added = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    written = fields.Integer(required=True)
    applied = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(ProblemFieldSchema), required=True)


Month = {"load_default": None, "validate": validate.Regexp(
    r"^\d{4}-(0[1-9]|1[0-2])$", error="Write the month as YYYY-MM."),
    "metadata": {"description": "YYYY-MM"}}


class SalesArgs(PageArgs):
    customer = fields.String(load_default="", validate=validate.Length(max=40),
                             metadata={"description": "customer code"})
    item = fields.String(load_default="", validate=validate.Length(max=6),
                         metadata={"description": "item code"})
    month_from = fields.String(**Month)
    month_to = fields.String(**Month)


class SalesMonthSchema(Schema):
    month = fields.String(required=True, metadata={"description": "YYYY-MM"})
    quantity = fields.Float(allow_none=True)
    unit_price = fields.Float(allow_none=True)
    sales = fields.Float(allow_none=True)
    cogs = fields.Float(allow_none=True)
    gross_profit = fields.Float(allow_none=True)


class SalesHistorySchema(Schema):
    customer_code = fields.String(required=True)
    item_code = fields.String(required=True)
    months = fields.List(fields.Nested(SalesMonthSchema), required=True)


class SalesPageSchema(PageSchema):
    sales = fields.List(fields.Nested(SalesHistorySchema), required=True, metadata={
        "description": "one entry per customer and item with months in the range"})
