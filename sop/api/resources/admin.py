"""Administration over the API: users (same rules as the pages: the last admin stays),
settings, the audit log (admins: filters and entity history; everyone: own activity), job
queues."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from sop.admin import services as admin
from sop.api import schemas as s
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import cursor_id, object_id, one_visible
from sop.api.presenters import user_out
from sop.api.problems import Problem
from sop.auth.services import generate_password
from sop.models import ROLES, AuditEntry, User
from sop.settings import BY_KEY, all_values
from sop.users import services as users

bp = api_blueprint("admin", "", "Users, settings, audit log and job queues.")


class UserArgs(s.PageArgs):
    q = fields.String(load_default="", validate=validate.Length(max=100))
    role = fields.String(load_default="", validate=validate.OneOf(("", *ROLES)))
    active = fields.String(load_default="", validate=validate.OneOf(("", "yes", "no")))


class UserPageSchema(s.PageSchema):
    users = fields.List(fields.Nested(s.UserSchema), required=True)


class NewUserSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 254))
    full_name = fields.String(required=True, validate=validate.Length(1, 120))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(load_default=None, validate=validate.Length(10, 200),
                             metadata={"description": "omitted: one is generated and "
                                       "returned once"})


class UserUpdateSchema(Schema):
    email = fields.String(validate=validate.Length(1, 254))
    full_name = fields.String(validate=validate.Length(1, 120))
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()


class CreatedUserSchema(s.UserSchema):
    password = fields.String(allow_none=True, metadata={"description": "the generated "
                                                        "password, shown this once"})


class SettingSchema(Schema):
    key = fields.String(required=True)
    value = fields.Raw(required=True, allow_none=True)
    kind = fields.String(required=True)
    category = fields.String(required=True)
    editable = fields.Boolean(required=True)
    description = fields.String(required=True)


class SettingUpdateSchema(Schema):
    value = fields.Raw(required=True, allow_none=True)


class AuditArgs(s.PageArgs):
    action = fields.String(load_default="", validate=validate.Length(max=60))
    severity = fields.String(load_default="", validate=validate.Length(max=20))
    user = fields.String(load_default="", validate=validate.Length(max=254))
    entity_type = fields.String(load_default="", validate=validate.Length(max=40))
    entity_id = fields.String(load_default="", validate=validate.Length(max=60))
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    view = fields.String(load_default="", validate=validate.OneOf(("", "critical")))


class AuditEntrySchema(Schema):
    id = fields.String(required=True)
    at = fields.DateTime(required=True)
    action = fields.String(required=True)
    severity = fields.String(required=True)
    actor = fields.String(allow_none=True)
    entity_type = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)
    message = fields.String(required=True)
    changes = fields.Dict(required=True)


class AuditPageSchema(s.PageSchema):
    entries = fields.List(fields.Nested(AuditEntrySchema), required=True)


class QueueSchema(Schema):
    name = fields.String(required=True)
    queued = fields.Integer(required=True)
    started = fields.Integer(required=True)
    scheduled = fields.Integer(required=True)
    failed = fields.Integer(required=True)


def _user_error(exc: users.UserError) -> Problem:
    return Problem(422, str(exc), errors=[{"field": exc.field, "message": str(exc)}])


@bp.get("/users")
@access("admin", "admin")
@bp.arguments(UserArgs, location="query")
@bp.response(200, UserPageSchema)
def list_users(args: dict[str, Any]):
    """Users matching the filters (e-mail or name prefix, role, active), by id."""
    found = users.filtered_users(current_api_user(), args["q"], args["role"], args["active"])
    after = cursor_id(args["cursor"])
    page = list((found.filter(id__gt=after) if after else found).order_by("id")
                .limit(args["limit"] + 1))
    more = len(page) > args["limit"]
    page = page[:args["limit"]]
    return {"users": [user_out(u) for u in page],
            "next_cursor": str(page[-1].pk) if more else None}


@bp.post("/users")
@access("admin", "admin")
@bp.arguments(NewUserSchema)
@bp.response(201, CreatedUserSchema)
def create_user(body: dict[str, Any]):
    """A new account; without a password one is generated and returned this once."""
    password = body["password"] or generate_password()
    try:
        user = users.create_user(current_api_user(), body["email"], body["full_name"],
                                 body["role"], password)
    except users.UserError as exc:
        raise _user_error(exc) from None
    return {**user_out(user), "password": None if body["password"] else password}


@bp.patch("/users/<user_id>")
@access("admin", "admin")
@bp.arguments(UserUpdateSchema)
@bp.response(200, s.UserSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such user")
def update_user(body: dict[str, Any], user_id: str):
    """Change e-mail, name, role or active (deactivate/reactivate); the last active admin
    keeps the admin role and stays active."""
    actor = current_api_user()
    user = one_visible(User, actor, "user", user_id, id=object_id(user_id, "user"))
    try:
        if {"email", "full_name", "role"} & set(body):
            users.update_user(actor, user, body.get("email", user.email),
                              body.get("full_name", user.full_name), body.get("role", user.role))
        if "active" in body:
            users.set_user_active(actor, user, body["active"])
    except users.UserError as exc:
        raise _user_error(exc) from None
    return user_out(user.reload())


def _setting_out(key: str, values: dict[str, Any]) -> dict[str, Any]:
    definition = BY_KEY[key]
    return {"key": key, "value": values.get(key), "kind": definition.kind,
            "category": definition.category, "editable": definition.editable,
            "description": definition.description}


@bp.get("/settings")
@access("admin", "admin")
@bp.response(200, SettingSchema(many=True))
def list_settings():
    """Every setting with its value."""
    values = all_values()
    return [_setting_out(key, values) for key in BY_KEY]


@bp.put("/settings/<key>")
@access("admin", "admin")
@bp.arguments(SettingUpdateSchema)
@bp.response(200, SettingSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such setting")
def update_setting(body: dict[str, Any], key: str):
    """Set one setting (validated by its type and bounds; effective at once; audited)."""
    if key not in BY_KEY:
        raise Problem(404, f"There is no setting {key!r}.")
    raw = body["value"]
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    try:
        admin.update_setting(current_api_user(), key, "" if raw is None else str(raw))
    except admin.AdminError as exc:
        raise Problem(422, str(exc), errors=[{"field": "value", "message": str(exc)}]) \
            from None
    return _setting_out(key, all_values())


def _entry_out(entry: AuditEntry) -> dict[str, Any]:
    return {"id": str(entry.pk), "at": entry.at, "action": entry.action,
            "severity": entry.severity, "actor": entry.actor_email,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id,
            "message": entry.message, "changes": entry.changes or {}}


def _audit_page(queryset: Any, args: dict[str, Any]) -> dict[str, Any]:
    after = cursor_id(args["cursor"])
    page = list((queryset.filter(id__lt=after) if after else queryset).order_by("-id")
                .limit(args["limit"] + 1))
    more = len(page) > args["limit"]
    page = page[:args["limit"]]
    return {"entries": [_entry_out(e) for e in page],
            "next_cursor": str(page[-1].pk) if more else None}


@bp.get("/audit")
@access("admin", "admin")
@bp.arguments(AuditArgs, location="query")
@bp.response(200, AuditPageSchema)
def audit_log(args: dict[str, Any]):
    """The audit log, newest first; `entity_type` + `entity_id` give one entity's history,
    `view=critical` the errors and critical events."""
    filters = admin.AuditFilters(**{key: "" if args[key] is None else str(args[key]) for key in
                                    ("action", "severity", "user", "entity_type", "entity_id",
                                     "date_from", "date_to", "view")})
    return _audit_page(admin.filtered_audit(filters), args)


@bp.get("/audit/mine")
@access("read")
@bp.arguments(s.PageArgs, location="query")
@bp.response(200, AuditPageSchema)
def own_activity(args: dict[str, Any]):
    """What the token's account did, newest first."""
    return _audit_page(AuditEntry.objects(actor_id=current_api_user().pk), args)


@bp.get("/jobs")
@access("admin", "admin")
@bp.response(200, QueueSchema(many=True))
def job_queues():
    """Per queue: queued, running, scheduled and failed jobs."""
    return admin.queue_overview()
