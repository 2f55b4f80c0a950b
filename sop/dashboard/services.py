"""What the dashboard shows each role about the cycle: a rep's own plan, what is missing and
their plan against last year and the baseline; a manager's board summary, who is late, the
plan against budget, last cycle and actuals, progress by rep and the biggest changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sop.accuracy.page import AccuracyView, accuracy_view
from sop.clock import now
from sop.cycles.services import current_open_cycle
from sop.dashboard.figures import CycleFigures, cycle_figures
from sop.forecasts.grid import rep_customers
from sop.models import Customer, Cycle, Submission, User
from sop.plans import previous_cycle
from sop.settings import get_setting
from sop.submissions.board import board_cycle, board_statuses
from sop.submissions.services import (
    STATUS_LABELS,
    MissingReport,
    existing_submission,
    missing_report,
)

LATE_STATUSES = frozenset({"draft", "rejected"})
COMPANY_MONTHS = 12  # the manager's chart: M1-M12 ...
HISTORY_MONTHS = 6  # ... after the 6 months of actuals before them


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
    reps: list[LateRep] = field(default_factory=list)  # every rep on the board, by name

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
        overview.reps.append(LateRep(rep, status))
        if pressing and status in LATE_STATUSES:
            overview.late.append(LateRep(rep, status))
    return overview


@dataclass
class Charts:
    """A dashboard's figures for one cycle, and the cycle they compare with."""

    cycle: Cycle
    previous: Cycle | None
    figures: CycleFigures
    unplanned: list[Customer] = field(default_factory=list)  # the rep's, without any line


def manager_charts(viewer: User, cycle: Cycle | None) -> Charts | None:
    """The board's cycle, M1-M12 after six months of actuals: plan, budget, last cycle."""
    if cycle is None:
        return None
    return Charts(cycle, previous_cycle(cycle),
                  cycle_figures(cycle, viewer, COMPANY_MONTHS, before=HISTORY_MONTHS))


def rep_charts(rep: User, cycle: Cycle | None) -> Charts | None:
    """The rep's plan over the cycle's horizon against last year and the baseline, and the
    customers without any line yet."""
    if cycle is None:
        return None
    figures = cycle_figures(cycle, rep, cycle.horizon_months, rep_view=True)
    return Charts(cycle, previous_cycle(cycle), figures,
                  [c for c in rep_customers(rep) if c.pk not in figures.planned_customers])


def accuracy_trend(viewer: User) -> AccuracyView:
    """The accuracy of the closed cycles in the viewer's scope: the Accuracy page's default
    view (lag 1, the last year of cycles), which the dashboard's tile sums up and links to."""
    return accuracy_view(viewer, {})
