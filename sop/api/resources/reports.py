"""Reports over the API: request (type + filters) → a report id to poll; download the
Excel file; e-mail it. The same services, scoping and audit as the reports page."""

from __future__ import annotations

from typing import Any

from flask import send_file
from marshmallow import Schema, fields, validate

from sop.api import schemas as s
from sop.api.core import access, api_blueprint, current_api_user
from sop.api.lookups import (
    customer_coded,
    cycle_named,
    item_coded,
    object_id,
    one_visible,
    rep_named,
)
from sop.api.problems import Problem
from sop.downloads import XLSX_MIMETYPE
from sop.models import REPORT_STATUSES, Report
from sop.reports import services as reports
from sop.reports.registry import REPORT_TYPES, ReportFilters

bp = api_blueprint("reports", "/reports", "Excel reports: request, poll, download, e-mail.")


class ReportRequestSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(sorted(REPORT_TYPES)))
    cycle = fields.String(validate=validate.Length(max=24), metadata={
        "description": "cycle id or YYYY-MM"})
    month_from = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    month_to = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    rep = fields.String(validate=validate.Length(max=254), metadata={"description": "e-mail"})
    territory = fields.String(validate=validate.Length(max=80))
    customer = fields.String(validate=validate.Length(max=40), metadata={"description": "code"})
    item = fields.String(validate=validate.Length(max=6), metadata={"description": "item code"})
    group = fields.String(validate=validate.Length(max=120))


class ReportSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REPORT_STATUSES))
    stage = fields.String(allow_none=True)
    done = fields.Integer(allow_none=True)
    total = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    file_name = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    cached = fields.Boolean(required=True)


class EmailSchema(Schema):
    addresses = fields.List(fields.String(validate=validate.Length(1, 254)), required=True,
                            validate=validate.Length(1, 20))


class EmailedSchema(Schema):
    attached = fields.Boolean(required=True)
    recipients = fields.List(fields.String(), required=True)


def _out(report: Report) -> dict[str, Any]:
    return {"id": str(report.pk), "kind": report.kind, "status": report.status,
            "stage": report.stage, "done": report.done, "total": report.total,
            "error": report.error, "file_name": report.file_name, "size": report.size,
            "expires_at": report.expires_at, "cached": bool(report.cached)}


def _filters(body: dict[str, Any]) -> ReportFilters:
    """The API's natural keys as the report filters' ids (each loaded scoped: 404 else)."""
    user = current_api_user()
    ids = {"cycle": lambda v: str(cycle_named(user, v).pk),
           "rep": lambda v: str(rep_named(user, v).pk),
           "customer": lambda v: str(customer_coded(user, v).pk),
           "item": lambda v: str(item_coded(user, v).pk)}
    return ReportFilters.from_mapping({key: ids[key](value) if key in ids else value
                                       for key, value in body.items() if key != "kind"})


def _report(report_id: str) -> Report:
    return one_visible(Report, current_api_user(), "report", report_id,
                       id=object_id(report_id, "report"))


@bp.post("")
@access("read")  # building a report changes no data: a BI tool's read token may ask
@bp.arguments(ReportRequestSchema)
@bp.response(202, ReportSchema)
def request_report(body: dict[str, Any]):
    """Queue a report (or get the stored one at once when its data has not changed); poll
    `GET /reports/{id}` until `status` is done, then download."""
    try:
        report = reports.request_report(current_api_user(), body["kind"], _filters(body))
    except reports.ReportRefused as exc:
        raise Problem(422, str(exc), errors=[{"field": None, "message": e}
                                             for e in exc.errors]) from None
    return _out(report)


@bp.get("/<report_id>")
@access("read")
@bp.response(200, ReportSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such report")
def get_report(report_id: str):
    """The report's status and progress."""
    return _out(_report(report_id))


@bp.get("/<report_id>/file")
@access("read")
@bp.response(200, description="The Excel file",
             content_type=XLSX_MIMETYPE)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such report")
@bp.alt_response(409, schema=s.ProblemSchema, description="Not finished, failed or expired")
def download_report(report_id: str):
    """The finished report's .xlsx (audited as a download)."""
    report = _report(report_id)
    try:
        stored = reports.open_report_file(current_api_user(), report)
    except reports.ReportRefused as exc:
        raise Problem(409, str(exc)) from None
    response = send_file(stored, mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=report.file_name)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<report_id>/email")
@access("write")
@bp.arguments(EmailSchema)
@bp.response(202, EmailedSchema)
@bp.alt_response(404, schema=s.ProblemSchema, description="No such report")
@bp.alt_response(409, schema=s.ProblemSchema, description="Not finished, failed or expired")
def email_report(body: dict[str, Any], report_id: str):
    """E-mail the finished report (attached up to `report_email_max_mb`, else a link)."""
    report = _report(report_id)
    try:
        addresses = reports.parse_addresses(",".join(body["addresses"]))
    except reports.ReportRefused as exc:
        raise Problem(422, str(exc), errors=[{"field": "addresses", "message": str(exc)}]) \
            from None
    try:
        attached = reports.email_report(current_api_user(), report, addresses)
    except reports.ReportRefused as exc:
        raise Problem(409, str(exc)) from None
    return {"attached": attached, "recipients": addresses}
