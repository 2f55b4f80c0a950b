"""Documents as the API shows them: natural keys (e-mail, customer code, item code) instead
of database references, months as YYYY-MM."""

from __future__ import annotations

from typing import Any

from sop.db import raw_collection
from sop.models import ApiToken, Customer, Cycle, Product, Submission, User
from sop.submissions.board import BoardRow


def number_text(value: float | None) -> str | None:
    """A number as the grid's parser reads it back to the same float (no exponent)."""
    if value is None:
        return None
    text = repr(float(value))
    return f"{value:.20f}".rstrip("0").rstrip(".") if "e" in text else text


def natural_keys() -> tuple[dict[Any, str], dict[Any, str], dict[Any, str]]:
    """id → e-mail of users, customer code, item code: what a page of lines names, kept per
    process until those collections are next written."""
    from sop.listing import cached_until_written

    def read(document: Any, field: str) -> dict[Any, str]:
        # not rep-scoped: only the names of ids taken from lines already scoped
        return {d["_id"]: d.get(field) for d in raw_collection(document).find({}, {field: 1})}

    return (cached_until_written(("api-emails",), ("users",), lambda: read(User, "email")),
            cached_until_written(("api-customer-codes",), ("customers",),
                                 lambda: read(Customer, "code")),
            cached_until_written(("api-item-codes",), ("products",),
                                 lambda: read(Product, "item_code")))


def year_months(cycle: Cycle) -> list[str]:
    """M1.. of the cycle as YYYY-MM."""
    return [month.strftime("%Y-%m") for month in cycle.bucket_months]


def user_out(user: User) -> dict[str, Any]:
    return {"id": str(user.pk), "email": user.email, "full_name": user.full_name,
            "role": user.role, "active": bool(user.active), "last_login_at": user.last_login_at}


def token_out(token: ApiToken) -> dict[str, Any]:
    return {"id": str(token.pk), "name": token.name, "owner": token.owner.email,
            "scopes": list(token.scopes), "expires_at": token.expires_at,
            "last_used_at": token.last_used_at}


def cycle_out(cycle: Cycle) -> dict[str, Any]:
    return {"id": str(cycle.pk), "label": f"{cycle.year:04d}-{cycle.month:02d}",
            "name": cycle.name, "status": cycle.status, "planning_start": cycle.planning_start,
            "horizon_months": cycle.horizon_months, "mandatory_months": cycle.mandatory_months,
            "open_date": cycle.open_date, "close_date": cycle.close_date,
            "buckets": year_months(cycle)}


def submission_out(submission: Submission) -> dict[str, Any]:
    return {"id": str(submission.pk), "cycle": str(submission.cycle.pk),
            "rep": submission.rep.email, "status": submission.status,
            "submitted_at": submission.submitted_at, "reviewed_at": submission.reviewed_at,
            "review_comment": submission.review_comment,
            "line_count": submission.line_count or 0}


def board_row(row: BoardRow) -> dict[str, Any]:
    return {"rep": row.rep.email, "rep_name": row.rep.full_name, "status": row.status,
            "lines": row.lines, "cases": row.plan.cases, "dollars": row.plan.dollars,
            "budget_cases": row.budget.cases if row.budget else None,
            "budget_dollars": row.budget.dollars if row.budget else None,
            "last_cycle_cases": row.last.cases if row.last else None,
            "last_cycle_dollars": row.last.dollars if row.last else None,
            "submitted_at": row.submission.submitted_at if row.submission else None}
