"""Submission use cases. Whether a rep's plan may still be edited is decided here only."""

from __future__ import annotations

from sop.models import Cycle, Submission, User


def submission_for(cycle: Cycle, rep: User) -> Submission:
    """The rep's submission for the cycle, created as a draft on first use (race-safe)."""
    return Submission.objects(cycle=cycle, rep=rep).modify(
        upsert=True, new=True, set_on_insert__status="draft")


def plan_is_editable(cycle: Cycle, rep: User) -> bool:
    """Lines may change while the cycle is open and the rep's plan is a draft or rejected."""
    if not cycle.is_open:
        return False
    submission = Submission.objects(cycle=cycle, rep=rep).only("status").first()
    return submission is None or submission.is_editable
