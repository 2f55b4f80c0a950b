"""What the dashboard shows each role about the cycle: a rep's own plan, a manager's board
summary and who is late."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sop.clock import now
from sop.cycles.services import current_open_cycle
from sop.models import Cycle, Submission, User
from sop.settings import get_setting
from sop.submissions.board import board_cycle, board_statuses
from sop.submissions.services import (
    STATUS_LABELS,
    MissingReport,
    existing_submission,
    missing_report,
)

LATE_STATUSES = frozenset({"draft", "rejected"})


@dataclass
class Countdown:
    """Time left until the cycle's deadline (the end of its close date)."""

    deadline: datetime | None
    at: datetime

    @property
    def closed(self) -> bool:
        return self.deadline is not None and self.at >= self.deadline

    @property
    def left(self) -> timedelta | None:
        return None if self.deadline is None else max(self.deadline - self.at, timedelta(0))

    @property
    def text(self) -> str:
        if self.deadline is None:
            return "no deadline set"
        if self.closed:
            return "closed"
        left = self.left
        days, hours, minutes = left.days, left.seconds // 3600, left.seconds % 3600 // 60
        if days:
            return f"{_count(days, 'day')} {_count(hours, 'hour')} left"
        if hours:
            return f"{_count(hours, 'hour')} {minutes} min left"
        return f"{minutes} min left"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def countdown(cycle: Cycle, at: datetime | None = None) -> Countdown:
    return Countdown(cycle.deadline, at or now())


@dataclass
class RepOverview:
    cycle: Cycle | None
    countdown: Countdown | None = None
    submission: Submission | None = None
    report: MissingReport = field(default_factory=MissingReport)
    editable: bool = False

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else "draft"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


def rep_overview(rep: User, report: MissingReport | None = None) -> RepOverview:
    """The open cycle from the rep's side: deadline, status, what is still missing."""
    cycle = current_open_cycle()
    if cycle is None:
        return RepOverview(None)
    submission = existing_submission(cycle, rep)
    editable = submission is None or submission.is_editable
    if report is None:
        report = missing_report(cycle, rep) if editable else MissingReport()
    return RepOverview(cycle, countdown(cycle), submission, report, editable)


@dataclass
class LateRep:
    rep: User
    status: str


@dataclass
class ManagerOverview:
    cycle: Cycle | None
    countdown: Countdown | None = None
    counts: dict[str, int] = field(default_factory=dict)
    late: list[LateRep] = field(default_factory=list)
    reminder_days: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def manager_overview() -> ManagerOverview:
    """The board's summary for the open cycle (else the latest) and who is late: not submitted
    while the deadline has passed or is within `reminder_days_before_close` days."""
    cycle = board_cycle()
    if cycle is None:
        return ManagerOverview(None)
    clock = countdown(cycle)
    days = int(get_setting("reminder_days_before_close"))
    overview = ManagerOverview(cycle, clock, dict.fromkeys(STATUS_LABELS, 0), reminder_days=days)
    pressing = clock.deadline is not None and cycle.is_open and (
        clock.closed or clock.left <= timedelta(days=days))
    for rep, submission in board_statuses(cycle):
        status = submission.status if submission else "draft"
        overview.counts[status] += 1
        if pressing and status in LATE_STATUSES:
            overview.late.append(LateRep(rep, status))
    return overview
