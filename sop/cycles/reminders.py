"""Deadline reminders (DOMAIN.md §4): in the `reminder_days_before_close` days before the open
cycle's close date, each rep who still owes a plan (none started, a draft or a rejected one)
gets one e-mail a day saying what is missing. "Today" is the date in SCHEDULER_TIMEZONE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sop.clock import local_now, now
from sop.cycles.services import current_open_cycle, reps_with_customers
from sop.db import raw_collection
from sop.mail import notification_enabled, send_email
from sop.models import Cycle, Submission, User
from sop.settings import get_setting
from sop.submissions.services import missing_report

OWING_STATUSES = frozenset({"draft", "rejected"})  # and reps who never started a plan
CUSTOMERS_LISTED = 10  # in the e-mail; the rest are counted


@dataclass
class ReminderRun:
    """What one run of the reminder job did, in words for the admin jobs page."""

    queued: int = 0
    why_none: str = ""
    cycle: Cycle | None = None
    days_left: int | None = None

    @property
    def summary(self) -> str:
        if self.why_none:
            return self.why_none
        return (f"queued {self.queued} reminder(s) for {self.cycle.name}, "  # type: ignore[union-attr]
                f"{self.days_left} day(s) left")


def days_left_if_due(cycle: Cycle, today: date) -> int | None:
    """Whole days from `today` to the close date when reminders are due that day, else None."""
    if not cycle.is_open or cycle.close_date is None or now() >= cycle.deadline:
        return None
    left = (cycle.close_date - today).days
    return left if 0 <= left <= int(get_setting("reminder_days_before_close")) else None


def reps_owing_plans(cycle: Cycle) -> list[tuple[User, str | None]]:
    """Reps with customers whose plan for the cycle is not handed in, with its status (None:
    never started)."""
    # not rep-scoped: the reminder job goes over every rep
    statuses = {row["rep"]: row.get("status") for row in raw_collection(Submission).find(
        {"cycle": cycle.pk}, {"rep": 1, "status": 1})}
    return [(rep, statuses.get(rep.pk)) for rep in reps_with_customers()
            if statuses.get(rep.pk) in OWING_STATUSES or rep.pk not in statuses]


def send_deadline_reminders() -> ReminderRun:
    """Queue today's reminders; a second run the same day queues none (one event per rep and
    local date)."""
    if not notification_enabled("notify_deadline_reminder"):
        return ReminderRun(why_none="deadline reminders are switched off")
    cycle = current_open_cycle()
    if cycle is None:
        return ReminderRun(why_none="no cycle is open")
    today = local_now().date()
    left = days_left_if_due(cycle, today)
    if left is None:
        return ReminderRun(why_none=f"{cycle.name}: not within the reminder days before its "
                                    "close date")
    run = ReminderRun(cycle=cycle, days_left=left)
    subject = (f"Last day to submit your {cycle.name} plan" if left == 0 else
               f"{left} day{'s' if left != 1 else ''} left to submit your {cycle.name} plan")
    for rep, status in reps_owing_plans(cycle):
        report = missing_report(cycle, rep, line_cap=0, customer_cap=CUSTOMERS_LISTED)
        run.queued += len(send_email(
            "deadline_reminder", to=[rep.email], subject=subject,
            context={"rep_name": rep.full_name, "cycle": cycle, "days_left": left,
                     "deadline": cycle.close_date, "status": status or "draft",
                     "report": report},
            notification="notify_deadline_reminder",
            event_key=f"deadline_reminder:{cycle.pk}:{today.isoformat()}"))
    return run
