"""Which cycle forecast which month at which lag, and the naive month (sop.accuracy.lags),
on plain cycles (no database)."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from sop.accuracy.lags import close_month, lag_target, lag_targets


def cycle(label: str, planning: date, closed_at: datetime | None = None,
          close_date: date | None = None, horizon: int = 16) -> SimpleNamespace:
    year, month = (int(part) for part in label.split("-"))
    return SimpleNamespace(label=label, year=year, month=month, planning_start=planning,
                           horizon_months=horizon, closed_at=closed_at, close_date=close_date)


def test_lag_1_is_the_month_after_the_close_month_read_in_its_bucket():
    # Planning Jan 2026, closed 20 Dec 2025: lag 1 = Jan 2026 = M1, lag 3 = Mar 2026 = M3;
    # the naive forecast is the sales of Nov 2025 (the last full month before the close).
    planned = cycle("2026-01", date(2026, 1, 1), datetime(2025, 12, 20, 17))
    one, three = lag_target(planned, 1), lag_target(planned, 3)
    assert (one.month, one.bucket, one.naive_month) == (date(2026, 1, 1), 0, date(2025, 11, 1))
    assert (three.month, three.bucket, three.naive_key) == (date(2026, 3, 1), 2, "2025-11")


def test_a_cycle_closed_inside_its_first_month_forecasts_m2_at_lag_1():
    # Planning Nov 2026, closed 10 Nov 2026: Nov was lag 0 (its sales were coming in while
    # the plan could still move), so lag 1 is Dec 2026 = M2, naive = Oct 2026.
    late = cycle("2026-11", date(2026, 11, 1), datetime(2026, 11, 10, 9))
    target = lag_target(late, 1)
    assert (target.month_key, target.bucket, target.naive_key) == ("2026-12", 1, "2026-10")


def test_months_a_cycle_does_not_plan_have_no_forecast_at_that_lag():
    early = cycle("2026-11", date(2026, 11, 1), datetime(2026, 9, 25))  # closed in September
    assert lag_target(early, 1) is None  # October: before its M1
    assert lag_target(early, 3).month_key == "2026-12"  # M2
    short = cycle("2026-11", date(2026, 11, 1), datetime(2026, 10, 20), horizon=2)
    assert lag_target(short, 3) is None  # Jan 2027 is past its two buckets
    assert lag_target(short, 0) is None


def test_the_close_month_is_when_the_plan_froze_else_the_close_date():
    assert close_month(cycle("2026-01", date(2026, 1, 1), datetime(2026, 1, 3, 8),
                             close_date=date(2025, 12, 20))) == date(2026, 1, 1)
    assert close_month(cycle("2026-01", date(2026, 1, 1),
                             close_date=date(2025, 12, 20))) == date(2025, 12, 1)
    assert close_month(cycle("2026-01", date(2026, 1, 1))) is None
    assert lag_target(cycle("2026-01", date(2026, 1, 1)), 1) is None


def test_when_two_cycles_closed_in_the_same_month_the_later_close_speaks_for_the_month():
    # Dec 2025 was closed late, on 5 Dec; Jan 2026 on 20 Dec: both forecast Jan 2026 at lag 1.
    december = cycle("2025-12", date(2025, 12, 1), datetime(2025, 12, 5))
    january = cycle("2026-01", date(2026, 1, 1), datetime(2025, 12, 20))
    february = cycle("2026-02", date(2026, 2, 1), datetime(2026, 1, 20))
    chosen = lag_targets([january, february, december], 1)
    assert [(t.cycle.label, t.month_key, t.bucket) for t in chosen] == [
        ("2026-01", "2026-01", 0), ("2026-02", "2026-02", 0)]
