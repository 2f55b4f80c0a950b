"""marshmallow schemas of the API: what requests may carry (unknown fields are refused:
marshmallow's default RAISE) and what responses hold. The OpenAPI document is built from
them, so the documentation and the validation cannot drift apart."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from sop.models import API_SCOPES, CYCLE_STATUSES, ROLES, SUBMISSION_STATUSES

MAX_PAGE = 5000
Nullable = {"allow_none": True}


class ProblemFieldSchema(Schema):
    field = fields.String(allow_none=True, metadata={"description": "The field, e.g. "
                                                     "rows.3.quantity"})
    message = fields.String(required=True)
    row = fields.Integer(metadata={"description": "Row of a bulk request (1 = first)"})
    value = fields.Raw(allow_none=True)
    severity = fields.String(metadata={"description": "error or warning (bulk rows)"})


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    class Meta:
        name = "Problem"

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemFieldSchema))
    current = fields.Dict(metadata={"description": "409: what the server holds now"})


class PageArgs(Schema):
    cursor = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9a-f]{24}$"),
                           metadata={"description": "`next_cursor` of the previous page"})
    limit = fields.Integer(load_default=500, validate=validate.Range(1, MAX_PAGE))


class PageSchema(Schema):
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "null on the last page"})


# --- identity ------------------------------------------------------------------------------

class UserSchema(Schema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    full_name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    active = fields.Boolean(required=True)
    last_login_at = fields.DateTime(**Nullable)


class TokenSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    owner = fields.String(required=True, metadata={"description": "owner's e-mail"})
    scopes = fields.List(fields.String(validate=validate.OneOf(API_SCOPES)), required=True)
    expires_at = fields.DateTime(**Nullable)
    last_used_at = fields.DateTime(**Nullable)


class MeSchema(UserSchema):
    token = fields.Nested(TokenSchema, required=True)


# --- cycles, plans, submissions ------------------------------------------------------------

class CycleSchema(Schema):
    id = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "YYYY-MM"})
    name = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CYCLE_STATUSES))
    planning_start = fields.Date(required=True)
    horizon_months = fields.Integer(required=True)
    mandatory_months = fields.Integer(required=True)
    open_date = fields.Date(**Nullable)
    close_date = fields.Date(**Nullable)
    buckets = fields.List(fields.String(), required=True,
                          metadata={"description": "M1.. as YYYY-MM"})


class LineArgs(PageArgs):
    cursor = fields.String(load_default=None, validate=validate.Regexp(
        r"^[0-9a-f]{24}(\.[0-9a-f]{24}){2}$"), metadata={"description": "`next_cursor` of the "
                                                    "previous page"})
    rep = fields.String(validate=validate.Length(max=254),
                        metadata={"description": "rep e-mail or id"})
    customer = fields.String(validate=validate.Length(max=40),
                             metadata={"description": "customer code"})
    item = fields.String(validate=validate.Length(max=6), metadata={"description": "item code"})
    group = fields.String(validate=validate.Length(max=20),
                          metadata={"description": "item group code"})
    territory = fields.String(validate=validate.Length(max=80))
    status = fields.String(validate=validate.OneOf(SUBMISSION_STATUSES), metadata={
        "description": "only the plans whose submission has this status, e.g. approved"})


Buckets = fields.List(fields.Float(allow_none=True), required=True)


class LineSchema(Schema):
    id = fields.String(required=True)
    rep = fields.String(required=True, metadata={"description": "rep e-mail"})
    customer = fields.String(required=True, metadata={"description": "customer code"})
    item = fields.String(required=True, metadata={"description": "item code"})
    probability = fields.Integer(**Nullable)
    new_item = fields.Boolean(required=True)
    qty = Buckets
    price = Buckets
    effective_price = fields.List(fields.Float(allow_none=True), required=True)
    version = fields.Integer(**Nullable)


class LinePageSchema(PageSchema):
    cycle = fields.String(required=True)
    frozen = fields.Boolean(required=True, metadata={
        "description": "true: the cycle is closed and these are its snapshot lines"})
    buckets = fields.List(fields.String(), required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True)


class CellUpdateSchema(Schema):
    customer = fields.String(required=True, validate=validate.Length(1, 40))
    item = fields.String(required=True, validate=validate.Length(1, 6))
    field = fields.String(required=True, validate=validate.OneOf(("qty", "price")))
    bucket = fields.Integer(required=True, validate=validate.Range(1, 36),
                            metadata={"description": "1 = M1"})
    value = fields.Float(required=True, allow_none=True, validate=validate.Range(0, 1e12))
    loaded = fields.Float(required=True, allow_none=True,
                          metadata={"description": "the value the client last read: the "
                                    "save lands only if the cell still holds it (else 409)"})


BucketValues = fields.List(fields.Float(allow_none=True, validate=validate.Range(0, 1e12)),
                           validate=validate.Length(max=36), metadata={
                               "description": "every month M1 first (null: blank); months "
                                              "left out are blank"})


class LineUpdateSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Range(1), metadata={
        "description": "the line's version the client last read: the save lands only if "
                       "the line is still at it (else 409)"})
    qty = BucketValues
    price = BucketValues
    probability = fields.Integer(allow_none=True, validate=validate.Range(0, 3))

    @validates_schema
    def something_to_change(self, data: dict, **_kwargs: object) -> None:
        if not data.keys() - {"version"}:
            raise ValidationError("Send qty, price or probability.", "_schema")


class CellSavedSchema(Schema):
    line_id = fields.String(**Nullable)
    field = fields.String(required=True)
    bucket = fields.Integer(required=True)
    value = fields.Float(**Nullable)


class SubmissionSchema(Schema):
    id = fields.String(required=True)
    cycle = fields.String(required=True)
    rep = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(SUBMISSION_STATUSES))
    submitted_at = fields.DateTime(**Nullable)
    reviewed_at = fields.DateTime(**Nullable)
    review_comment = fields.String(**Nullable)
    line_count = fields.Integer(required=True)


class ReviewSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class SubmitSchema(Schema):
    rep = fields.String(validate=validate.Length(max=254),
                        metadata={"description": "admins: whose plan (e-mail); reps: own"})


class BoardRowSchema(Schema):
    rep = fields.String(required=True)
    rep_name = fields.String(required=True)
    status = fields.String(required=True)
    lines = fields.Integer(required=True)
    cases = fields.Float(required=True)
    dollars = fields.Float(required=True)
    budget_cases = fields.Float(**Nullable)
    budget_dollars = fields.Float(**Nullable)
    last_cycle_cases = fields.Float(**Nullable)
    last_cycle_dollars = fields.Float(**Nullable)
    submitted_at = fields.DateTime(**Nullable)


class BoardSchema(Schema):
    cycle = fields.String(required=True)
    rows = fields.List(fields.Nested(BoardRowSchema), required=True)
