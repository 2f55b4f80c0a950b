"""The daily deadline-reminder job; safe to run twice (one message per rep and day)."""

from __future__ import annotations


def deadline_reminders() -> str:
    from sop.cycles.reminders import send_deadline_reminders

    return send_deadline_reminders().summary
