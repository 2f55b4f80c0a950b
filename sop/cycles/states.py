"""A cycle's state machine: draft → open (the reps e-mailed) → closed (the plans frozen, the
plans not handed in missed), back to draft while nobody handed a plan in, delete a draft; the
auto-close job and the finishing of a close cut short."""

from __future__ import annotations

from datetime import timedelta

from mongoengine import NotUniqueError

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.cycles.services import (
    CycleError,
    current_open_cycle,
    delete_cycle,
    reps_with_customers,
)
from sop.cycles.snapshot import freeze_snapshot, mark_missed
from sop.mail import send_email
from sop.models import Cycle, Submission, User
from sop.settings import get_setting

TRANSITIONS = {"open": "Open", "draft": "Back to draft", "close": "Close", "delete": "Delete"}
DONE = {"open": "opened, the reps are being e-mailed", "draft": "back to draft",
        "close": "closed, the plans are frozen", "delete": "deleted"}
LOCKING_STATUSES = ("submitted", "approved", "rejected")  # a rep has handed the plan in
CLOSE_GRACE = timedelta(minutes=15)  # a close this recent may still be freezing


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
    from sop.jobs.baseline import queue_baseline  # the job module imports the cycle services

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
