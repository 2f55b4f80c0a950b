"""Cycle lookups every other area needs, and the edit use cases: create, update and delete a
draft cycle. Opening, closing and the other transitions: sop.cycles.states; the frozen
snapshot: sop.cycles.snapshot; the cycle page: sop.cycles.page."""

from __future__ import annotations

from datetime import date
from typing import Any

from mongoengine import NotUniqueError

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.form_submission import FieldError
from sop.models import Customer, Cycle, ForecastLine, Submission, User
from sop.months import first_of_month, month_label, parse_year_month
from sop.settings import get_setting


def current_open_cycle() -> Cycle | None:
    """The one open cycle, if any (at most one is open at a time)."""
    return Cycle.objects(status="open").first()


def cycle_by_label(label: str) -> Cycle | None:
    """The cycle named `YYYY-MM`; ValueError when the text is not a month."""
    month = parse_year_month(label)
    return Cycle.objects(year=month.year, month=month.month).first()


class CycleError(FieldError):
    """A refused cycle change; `field` names the form field when there is one."""


def _snapshot(cycle: Cycle) -> dict[str, Any]:
    return {"name": cycle.name, "planning_start": cycle.planning_start,
            "open_date": cycle.open_date, "close_date": cycle.close_date,
            "status": cycle.status, "horizon_months": cycle.horizon_months,
            "mandatory_months": cycle.mandatory_months}


def _plain(changes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Audit changes storable as BSON: dates as `2025-11-01`."""
    return {field: {side: value.isoformat() if isinstance(value, date) else value
                    for side, value in change.items()} for field, change in changes.items()}


def _check_dates(open_date: date | None, close_date: date | None) -> None:
    if open_date and close_date and close_date < open_date:
        raise CycleError("The close date cannot be before the open date.", "close_date")


def create_cycle(actor: User | None, month: date, name: str | None = None,
                 planning_start: date | None = None, open_date: date | None = None,
                 close_date: date | None = None) -> Cycle:
    """A new draft cycle for `month` (any day of it); name defaults to `Nov 2025` and the
    planning start (M1) to the cycle's own month. One cycle per calendar month."""
    month = first_of_month(month)
    _check_dates(open_date, close_date)
    cycle = Cycle(year=month.year, month=month.month,
                  name=(name or "").strip() or month_label(month),
                  planning_start=first_of_month(planning_start or month),
                  open_date=open_date, close_date=close_date, status="draft",
                  horizon_months=int(get_setting("max_forecast_months")),
                  mandatory_months=int(get_setting("min_forecast_months_required")),
                  created_by=actor)
    try:
        cycle.save(force_insert=True)
    except NotUniqueError:
        raise CycleError(f"There is already a cycle for {month_label(month)}.", "month") from None
    record_audit("cycle_created", f"Cycle {cycle.name} ({cycle.label}) created.", actor=actor,
                 entity_type="cycle", entity_id=cycle.pk,
                 changes=_plain(field_changes({}, _snapshot(cycle))))
    return cycle


def update_cycle(actor: User | None, cycle: Cycle, name: str | None = None,
                 planning_start: date | None = None, open_date: date | None = None,
                 close_date: date | None = None) -> Cycle:
    """Edit a draft cycle (name, planning start, dates); once open only the close date may
    move; a closed cycle does not change."""
    before = _snapshot(cycle)
    wanted = {"name": (name or "").strip() or cycle.name,
              "planning_start": first_of_month(planning_start or cycle.planning_start),
              "open_date": open_date, "close_date": close_date}
    if cycle.status == "open":
        for field in ("name", "planning_start", "open_date"):
            if wanted[field] != before[field]:
                raise CycleError("The cycle is open: only its close date can change.", field)
    elif cycle.status != "draft":
        raise CycleError(f"The cycle is {cycle.status}: it can no longer change.", "close_date")
    _check_dates(wanted["open_date"], wanted["close_date"])
    changes = field_changes(before, {**before, **wanted})
    if not changes:
        return cycle
    updates = {f"set__{key}": wanted[key] for key in changes}
    claimed = Cycle.objects(id=cycle.pk, status=cycle.status).modify(
        new=True, set__updated_at=now(), **updates)
    if claimed is None:
        raise CycleError("The cycle changed status meanwhile; reload the page.", "close_date")
    record_audit("cycle_updated", f"Cycle {claimed.name} updated ({', '.join(changes)}).",
                 actor=actor, entity_type="cycle", entity_id=cycle.pk, changes=_plain(changes))
    cycle.reload()
    return cycle


def delete_cycle(actor: User | None, cycle: Cycle) -> None:
    """Only a draft cycle is deleted, with whatever lines and submissions hang off it."""
    if cycle.status != "draft":
        raise CycleError(f"Only a draft cycle can be deleted; this one is {cycle.status}.")
    if not Cycle.objects(id=cycle.pk, status="draft").delete():
        raise CycleError("The cycle is no longer a draft; reload the page.")
    ForecastLine.objects(cycle=cycle.pk).delete()
    Submission.objects(cycle=cycle.pk).delete()
    record_audit("cycle_deleted", f"Cycle {cycle.name} ({cycle.label}) deleted.", actor=actor,
                 entity_type="cycle", entity_id=cycle.pk,
                 changes=_plain(field_changes(_snapshot(cycle), {})))


def reps_with_customers() -> list[User]:
    """Active sales reps who own at least one active customer: who plans in a cycle."""
    rep_ids = Customer.objects(active=True, sales_rep__ne=None).distinct("sales_rep")
    ids = [rep.pk if isinstance(rep, User) else rep for rep in rep_ids]
    return list(User.objects(id__in=ids, role="sales_rep", active=True).order_by("full_name"))
