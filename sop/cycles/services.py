"""Cycle use cases. The lookups every other area needs come first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mongoengine import NotUniqueError
from pymongo.errors import BulkWriteError

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.form_submission import FieldError
from sop.mail import send_email
from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    ForecastSnapshot,
    Submission,
    SubmissionEvent,
    User,
)
from sop.months import first_of_month, month_label, parse_year_month
from sop.plans import (
    PlanTotals,
    plan_totals,
    previous_cycle,
    previous_over_same_months,
    raw_lines,
    value_lines,
)
from sop.settings import get_setting


def current_open_cycle() -> Cycle | None:
    """The one open cycle, if any (at most one is open at a time)."""
    return Cycle.objects(status="open").first()


def cycle_by_label(label: str) -> Cycle | None:
    """The cycle named `YYYY-MM`; ValueError when the text is not a month."""
    month = parse_year_month(label)
    return Cycle.objects(year=month.year, month=month.month).first()


# --- Use cases: create, edit, the state machine, close with its snapshot ----------------------

TRANSITIONS = {"open": "Open", "draft": "Back to draft", "close": "Close", "delete": "Delete"}
DONE = {"open": "opened, the reps are being e-mailed", "draft": "back to draft",
        "close": "closed, the plans are frozen", "delete": "deleted"}
LOCKING_STATUSES = ("submitted", "approved", "rejected")  # a rep has handed the plan in
SNAPSHOT_BATCH = 1000
CLOSE_GRACE = timedelta(minutes=15)  # a close this recent may still be freezing


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


def reps_with_customers() -> list[User]:
    """Active sales reps who own at least one active customer: who plans in a cycle."""
    rep_ids = Customer.objects(active=True, sales_rep__ne=None).distinct("sales_rep")
    ids = [rep.pk if isinstance(rep, User) else rep for rep in rep_ids]
    return list(User.objects(id__in=ids, role="sales_rep", active=True).order_by("full_name"))


def open_cycle(actor: User | None, cycle: Cycle) -> Cycle:
    """draft → open: freezes horizon and mandatory months from the settings and e-mails every
    rep with customers. The database lets only one cycle be open (unique partial index)."""
    if cycle.status != "draft":
        raise CycleError(f"Only a draft cycle can be opened; this one is {cycle.status}.")
    other = current_open_cycle()
    if other is not None and other.pk != cycle.pk:
        raise CycleError(f"Cycle {other.name} is open: close it before opening another.")
    try:
        opened = Cycle.objects(id=cycle.pk, status="draft").modify(
            new=True, set__status="open", set__opened_at=now(), set__updated_at=now(),
            set__horizon_months=int(get_setting("max_forecast_months")),
            set__mandatory_months=int(get_setting("min_forecast_months_required")))
    except NotUniqueError:
        other = current_open_cycle()
        raise CycleError(f"Cycle {other.name if other else 'another'} is open: close it "
                         "before opening another.") from None
    if opened is None:
        raise CycleError("The cycle is no longer a draft; reload the page.")
    cycle.reload()
    record_audit("cycle_opened", f"Cycle {cycle.name} opened ({cycle.horizon_months} months, "
                 f"{cycle.mandatory_months} mandatory).", actor=actor, entity_type="cycle",
                 entity_id=cycle.pk, changes=field_changes(
                     {"status": "draft"}, {"status": "open",
                                           "horizon_months": cycle.horizon_months,
                                           "mandatory_months": cycle.mandatory_months}))
    notify_cycle_opened(cycle)
    from sop.jobs.baseline import queue_baseline

    queue_baseline(cycle, "cycle opened")
    return cycle


def notify_cycle_opened(cycle: Cycle) -> int:
    """One message per rep with customers (queued to the mail worker); how many queued."""
    queued = 0
    opening = f"cycle_opened:{cycle.pk}:{cycle.opened_at.isoformat()}"  # each opening once
    for rep in reps_with_customers():
        queued += len(send_email("cycle_opened", to=[rep.email],
                                 subject=f"{cycle.name} S&OP cycle is open",
                                 context={"cycle": cycle, "rep_name": rep.full_name,
                                          "deadline": cycle.close_date},
                                 notification="notify_cycle_opened", event_key=opening))
    return queued


def back_to_draft(actor: User | None, cycle: Cycle) -> Cycle:
    """open → draft, only while no rep has handed in a plan (submitted, approved or rejected).
    Audited as `cycle_reopened`."""
    if cycle.status != "open":
        raise CycleError(f"Only an open cycle can go back to draft; this one is {cycle.status}.")
    handed_in = Submission.objects(cycle=cycle, status__in=LOCKING_STATUSES).count()
    if handed_in:
        raise CycleError(f"{handed_in} plan{'s have' if handed_in > 1 else ' has'} been "
                         "submitted for this cycle: it cannot go back to draft.")
    reverted = Cycle.objects(id=cycle.pk, status="open").modify(
        new=True, set__status="draft", unset__opened_at=True, set__updated_at=now())
    if reverted is None:
        raise CycleError("The cycle is no longer open; reload the page.")
    cycle.reload()
    record_audit("cycle_reopened", f"Cycle {cycle.name} back to draft.", actor=actor,
                 entity_type="cycle", entity_id=cycle.pk,
                 changes=field_changes({"status": "open"}, {"status": "draft"}))
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


def close_cycle(actor: User | None, cycle: Cycle) -> Cycle:
    """open → closed (by an admin, or by the auto-close job with `actor=None`). The first
    closer claims the transition; then every line is frozen into the snapshot and every rep
    whose plan is not submitted or approved is marked `missed`. A second call is refused."""
    closed_at = now()
    claimed = Cycle.objects(id=cycle.pk, status="open").modify(
        new=True, set__status="closed", set__closed_at=closed_at, set__updated_at=closed_at)
    if claimed is None:
        cycle.reload()
        raise CycleError(f"Only an open cycle can be closed; this one is {cycle.status}.")
    cycle.reload()
    frozen = freeze_snapshot(cycle, closed_at)
    Cycle.objects(id=cycle.pk).update_one(set__snapshot_at=closed_at)
    cycle.snapshot_at = closed_at
    missed = mark_missed(cycle, closed_at)
    how = "closed" if actor else "closed automatically after its close date"
    record_audit("cycle_closed", f"Cycle {cycle.name} {how}: {frozen} lines frozen, "
                 f"{missed} plan{'' if missed == 1 else 's'} missed.", actor=actor,
                 entity_type="cycle", entity_id=cycle.pk,
                 changes=field_changes({"status": "open"}, {"status": "closed"}))
    return cycle


def cycle_plan_totals(cycle: Cycle, horizon: int) -> PlanTotals:
    """Cases and $ per bucket over every line of the cycle."""
    return plan_totals({"cycle": cycle.pk}, horizon)


def freeze_snapshot(cycle: Cycle, frozen_at: datetime) -> int:
    """Copy every line of the cycle into ForecastSnapshot with its effective prices, in
    batches. Safe to repeat: a line already frozen is skipped (unique key)."""
    collection = ForecastSnapshot._get_collection()
    batch: list[dict[str, Any]] = []
    written = 0
    for valued in value_lines(raw_lines({"cycle": cycle.pk}, (
            "rep", "customer", "product", "probability", "new_item", "qty", "price"))):
        raw = valued.raw
        batch.append({"cycle": cycle.pk, "line_id": raw["_id"], "rep": raw["rep"],
                      "customer": raw["customer"], "product": raw["product"],
                      "probability": raw.get("probability"),
                      "new_item": bool(raw.get("new_item")), "qty": raw.get("qty") or [],
                      "price": raw.get("price") or [], "effective_price": valued.prices,
                      "frozen_at": frozen_at})
        if len(batch) == SNAPSHOT_BATCH:
            written += _insert_snapshots(collection, batch)
            batch = []
    return written + _insert_snapshots(collection, batch)


def _insert_snapshots(collection: Any, batch: list[dict[str, Any]]) -> int:
    if not batch:
        return 0
    try:
        return len(collection.insert_many(batch, ordered=False).inserted_ids)
    except BulkWriteError as exc:
        if any(error.get("code") != 11000 for error in exc.details.get("writeErrors", [])):
            raise
        return exc.details.get("nInserted", 0)


def mark_missed(cycle: Cycle, at: datetime) -> int:
    """Every rep with customers or with lines in the cycle whose plan is not submitted or
    approved gets a `missed` submission (created when they never started)."""
    rep_ids = {rep.pk for rep in reps_with_customers()}
    # not rep-scoped: closing a cycle (an admin or the hourly job) marks every rep
    rep_ids |= set(ForecastLine._get_collection().distinct("rep", {"cycle": cycle.pk}))
    missed = 0
    for rep_id in sorted(rep_ids):
        event = SubmissionEvent(status="missed", at=at,
                                comment="Not submitted when the cycle closed.")
        updated = Submission.objects(cycle=cycle.pk, rep=rep_id,
                                     status__in=("draft", "rejected")).update_one(
            set__status="missed", set__updated_at=at, push__history=event)
        if not updated:
            try:
                Submission(cycle=cycle.pk, rep=rep_id, status="missed", history=[event],
                           created_at=at, updated_at=at).save(force_insert=True)
            except NotUniqueError:
                continue  # the rep has a submission that is submitted, approved or missed
        missed += 1
    return missed


def transition(actor: User | None, cycle: Cycle, action: str) -> Cycle | None:
    """Run one of TRANSITIONS by name (what the buttons and the command line post)."""
    operations = {"open": open_cycle, "draft": back_to_draft, "close": close_cycle,
                  "delete": delete_cycle}
    if action not in operations:
        raise CycleError(f"Unknown action {action!r}.")
    return operations[action](actor, cycle)


def available_actions(cycle: Cycle) -> list[str]:
    """The transitions a cycle in its status offers (refusals beyond that are explained)."""
    return {"draft": ["open", "delete"], "open": ["close", "draft"]}.get(cycle.status, [])


def close_overdue_cycles() -> list[Cycle]:
    """The auto-close job's work: when `auto_close_cycles` is on, close every open cycle
    whose deadline has passed. Running it twice closes nothing more."""
    if not get_setting("auto_close_cycles"):
        return []
    closed = []
    moment = now()
    for cycle in Cycle.objects(status="open", close_date__ne=None):
        if cycle.deadline is not None and moment >= cycle.deadline:
            try:
                closed.append(close_cycle(None, cycle))
            except CycleError:
                continue  # someone else closed it meanwhile
    return closed


def finish_interrupted_closes() -> list[Cycle]:
    """The rest of every close that was cut short (a crash while freezing), or that predates
    `snapshot_at`: for a cycle closed at least CLOSE_GRACE ago without it, every line not yet
    frozen is frozen at the close time, plans not handed in are marked missed, and
    `snapshot_at` is set. Until then its plan is read from the live lines (plan_source), which
    are complete. Each step is safe to repeat, so a close still running meanwhile is harmless."""
    finished = []
    for cycle in Cycle.objects(status__in=("closed", "archived"), snapshot_at=None,
                               closed_at__lte=now() - CLOSE_GRACE):
        frozen = freeze_snapshot(cycle, cycle.closed_at)
        missed = mark_missed(cycle, cycle.closed_at)
        if Cycle.objects(id=cycle.pk, snapshot_at=None).update_one(
                set__snapshot_at=cycle.closed_at):
            record_audit("cycle_close_finished", f"Cycle {cycle.name}: closing finished, "
                         f"{frozen} more lines frozen, {missed} more plans missed.",
                         entity_type="cycle", entity_id=cycle.pk)
            finished.append(cycle)
    return finished


# --- The cycle page: progress and totals ------------------------------------------------------


@dataclass
class Progress:
    """How the reps with customers stand: submitted / approved / pending / missed."""

    reps: int = 0
    submitted: int = 0
    approved: int = 0
    pending: int = 0  # draft, rejected or not started
    missed: int = 0


def cycle_progress(cycle: Cycle) -> Progress:
    reps = {rep.pk for rep in reps_with_customers()}
    # not rep-scoped: the cycle page is for admins and managers
    statuses = {row["rep"]: row["status"] for row in Submission._get_collection().find(
        {"cycle": cycle.pk}, {"rep": 1, "status": 1, "_id": 0})}
    progress = Progress(reps=len(reps))
    for rep_id in reps:
        status = statuses.get(rep_id)
        if status in ("submitted", "approved", "missed"):
            setattr(progress, status, getattr(progress, status) + 1)
        else:
            progress.pending += 1
    return progress


@dataclass
class MonthTotals:
    """One calendar month of the cycle: plan, budget and the previous cycle, cases and $."""

    bucket: int  # 1-based: M1, M2, ...
    month: date
    mandatory: bool
    cases: float = 0.0
    dollars: float = 0.0
    budget_cases: float = 0.0
    budget_dollars: float = 0.0
    previous_cases: float | None = None  # None: the previous cycle does not cover the month
    previous_dollars: float | None = None


def cycle_totals(cycle: Cycle) -> list[MonthTotals]:
    """Totals of the mandatory months (M1..M<mandatory>) at effective prices, with budget and
    the previous cycle (its snapshot when closed, else its lines) for the same calendar
    months."""
    months = cycle.bucket_months[:cycle.mandatory_months or cycle.horizon_months]
    rows = [MonthTotals(i + 1, month, i < cycle.mandatory_months)
            for i, month in enumerate(months)]
    plan = cycle_plan_totals(cycle, len(months))
    budget = budget_by_month(months)
    earlier = _previous_by_bucket(cycle, len(months))
    for row in rows:
        row.cases, row.dollars = plan.cases[row.bucket - 1], plan.dollars[row.bucket - 1]
        row.budget_cases, row.budget_dollars = budget.get(row.month, (0.0, 0.0))
        if row.bucket - 1 in earlier:
            row.previous_cases, row.previous_dollars = earlier[row.bucket - 1]
    return rows


def budget_by_month(months: list[date]) -> dict[date, tuple[float, float]]:
    """Budget cases and $ summed over every rep and customer, per calendar month."""
    if not months:
        return {}
    wanted = [{"year": m.year, "month": m.month} for m in months]
    pipeline = [{"$match": {"$or": wanted}},
                {"$group": {"_id": {"year": "$year", "month": "$month"},
                            "cases": {"$sum": "$cases"}, "sales": {"$sum": "$sales"}}}]
    # not rep-scoped: the cycle page's budget of every rep (admins and managers)
    return {date(row["_id"]["year"], row["_id"]["month"], 1): (row["cases"] or 0.0,
                                                                row["sales"] or 0.0)
            for row in BudgetEntry._get_collection().aggregate(pipeline)}


def _previous_by_bucket(cycle: Cycle, months: int) -> dict[int, tuple[float, float]]:
    """The previous cycle's cases and $ per (0-based) bucket of this cycle whose calendar
    month it planned: its frozen snapshot when closed, else its lines."""
    same = previous_over_same_months(cycle, months)
    if same is None:
        return {}
    cases, dollars = [0.0] * months, [0.0] * months
    for line in same.lines({}, ()):
        for i in range(months):
            cases[i] += line.cases[i]
            dollars[i] += line.dollars[i]
    return {i: (cases[i], dollars[i]) for i in range(months) if same.covers(i)}


def list_cycles() -> list[Cycle]:
    return list(Cycle.objects.order_by("-year", "-month"))


def cycle_page(cycle: Cycle) -> dict[str, Any]:
    """Everything the cycle page shows besides the cycle itself."""
    rows = cycle_totals(cycle)
    return {"progress": cycle_progress(cycle), "totals": rows,
            "previous": previous_cycle(cycle),
            "sum": MonthTotals(0, cycle.planning_start, True,
                               sum(r.cases for r in rows), sum(r.dollars for r in rows),
                               sum(r.budget_cases for r in rows),
                               sum(r.budget_dollars for r in rows),
                               _sum_or_none(r.previous_cases for r in rows),
                               _sum_or_none(r.previous_dollars for r in rows))}


def _sum_or_none(values: Any) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None
