"""Cycle jobs run by the scheduler; safe to run twice."""

from __future__ import annotations


def auto_close_cycles() -> str:
    """Hourly: close the open cycle once its close date is over, when `auto_close_cycles`
    is on (snapshot frozen, plans not submitted marked missed); and, whatever the setting,
    finish any close that was cut short."""
    from sop.cycles.states import close_overdue_cycles, finish_interrupted_closes

    closed = close_overdue_cycles()
    finished = finish_interrupted_closes()
    return f"closed {len(closed)} cycle(s)" + (
        ": " + ", ".join(cycle.label for cycle in closed) if closed else "") + (
        "; finished closing " + ", ".join(cycle.label for cycle in finished)
        if finished else "")
