"""Submission use cases: submit a plan, approve or reject it (the board managers review from
is sop.submissions.board). Whether a rep's plan may still be edited is decided here only
(`plan_is_editable`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from mongoengine import NotUniqueError

from sop.audit import field_changes, record_audit
from sop.clock import now
from sop.db import raw_collection, retry_write_conflicts
from sop.form_submission import FieldError
from sop.listing import cached_until_written
from sop.mail import send_email
from sop.models import (
    Customer,
    Cycle,
    Product,
    Submission,
    SubmissionEvent,
    User,
)
from sop.models.submission import EDITABLE_STATUSES, SUBMISSION_METHODS
from sop.months import month_label
from sop.plans import (
    missing_months,
    plan_totals,
    raw_lines,
)
from sop.user_input import clean_text

MISSING_LINES_SHOWN = 60  # lines listed by name when a plan is incomplete; the rest counted
MISSING_CUSTOMERS_SHOWN = 40
REVIEWER_ROLES = frozenset({"admin", "manager"})
STATUS_LABELS = {"draft": "Not submitted", "submitted": "Submitted", "approved": "Approved",
                 "rejected": "Rejected", "missed": "Missed"}


class SubmissionError(FieldError):
    """A refused submit or review; the message says why (HTTP 422)."""


class StateConflict(SubmissionError):
    """The plan is not in a status that allows this (already submitted, reviewed...): 409."""


class ReviewForbidden(SubmissionError):
    """Nobody approves or rejects their own plan, and only managers and admins review: 403."""


# --- What is missing before a plan can be submitted -------------------------------------------


@dataclass
class MissingLine:
    product_id: ObjectId
    item_code: str
    description: str
    months: list[str]  # month names, consecutive months as ranges ("Nov 2026 to Feb 2027")


@dataclass
class MissingCustomer:
    customer_id: ObjectId
    name: str  # the S&OP name the rep knows the customer by
    code: str
    line_count: int  # lines of this customer with a mandatory month blank
    lines: list[MissingLine] = field(default_factory=list)  # listed (capped)

    @property
    def hidden(self) -> int:
        return self.line_count - len(self.lines)


@dataclass
class MissingReport:
    """What stops a plan from being submitted: per customer, the lines and mandatory months
    without a value (0 is a value). Lines are listed up to a cap; the rest are counted."""

    plan_lines: int = 0
    line_count: int = 0  # lines with at least one mandatory month blank
    customers: list[MissingCustomer] = field(default_factory=list)
    customer_count: int = 0

    @property
    def complete(self) -> bool:
        return self.plan_lines > 0 and self.line_count == 0

    @property
    def hidden_customers(self) -> int:
        return self.customer_count - len(self.customers)

    @property
    def hidden_lines(self) -> int:
        return self.line_count - sum(len(c.lines) for c in self.customers)


class PlanIncomplete(SubmissionError):
    """Submit refused: the report names the customers, items and months still blank."""

    def __init__(self, message: str, report: MissingReport) -> None:
        super().__init__(message)
        self.report = report


def month_ranges(cycle: Cycle, buckets: list[int]) -> list[str]:
    """1-based bucket numbers as month names, runs of consecutive months as one range."""
    months = cycle.bucket_months
    runs: list[list[int]] = []
    for bucket in buckets:
        if runs and bucket == runs[-1][-1] + 1:
            runs[-1].append(bucket)
        else:
            runs.append([bucket])
    return [month_label(months[run[0] - 1]) if len(run) == 1 else
            f"{month_label(months[run[0] - 1])} to {month_label(months[run[-1] - 1])}"
            for run in runs]


def missing_report(cycle: Cycle, rep: User, line_cap: int = MISSING_LINES_SHOWN,
                   customer_cap: int = MISSING_CUSTOMERS_SHOWN) -> MissingReport:
    """The rep's lines in the cycle with a mandatory month blank, grouped per customer."""
    report = MissingReport()
    gaps: dict[ObjectId, list[tuple[ObjectId, list[int]]]] = {}
    for raw in raw_lines({"cycle": cycle.pk, "rep": rep.pk}, ("customer", "product", "qty")):
        report.plan_lines += 1
        blank = missing_months(raw.get("qty") or [], cycle.mandatory_months)
        if blank:
            gaps.setdefault(raw["customer"], []).append((raw["product"], blank))
            report.line_count += 1
    if not gaps:
        return report
    report.customer_count = len(gaps)
    # scoped by caller: the customers of the rep's own lines
    customers = {row["_id"]: row for row in raw_collection(Customer).find(
        {"_id": {"$in": list(gaps)}}, {"sop_name": 1, "code": 1})}
    ordered = sorted(gaps, key=lambda cid: (customers.get(cid, {}).get("sop_name") or "").lower())
    products = {row["_id"]: row for row in raw_collection(Product).find(
        {"_id": {"$in": list({p for lines in gaps.values() for p, _ in lines})}},
        {"item_code": 1, "description": 1})}
    budget = line_cap
    for customer_id in ordered[:customer_cap]:
        info = customers.get(customer_id, {})
        group = MissingCustomer(customer_id, info.get("sop_name") or "(unknown customer)",
                                info.get("code") or "", len(gaps[customer_id]))
        lines = sorted(gaps[customer_id],
                       key=lambda pair: products.get(pair[0], {}).get("item_code") or "")
        for product_id, blank in lines[:max(budget, 0)]:
            item = products.get(product_id, {})
            group.lines.append(MissingLine(product_id, item.get("item_code") or "?",
                                           item.get("description") or "",
                                           month_ranges(cycle, blank)))
        budget -= len(group.lines)
        report.customers.append(group)
    return report


# --- Submit -----------------------------------------------------------------------------------


def submission_for(cycle: Cycle, rep: User) -> Submission:
    """The rep's submission for the cycle, created as a draft on first use. Race-safe: of two
    first uses at once, the one that did not insert reads the other's document (not every
    server retries such an upsert by itself)."""
    try:
        created = retry_write_conflicts(lambda: Submission.objects(cycle=cycle, rep=rep).modify(
            upsert=True, new=True, set_on_insert__status="draft"))
    except NotUniqueError:
        created = None
    # The embedded server may answer a raced upsert with no document: read the winner's.
    return created or Submission.objects.get(cycle=cycle, rep=rep)


def existing_submission(cycle: Cycle, rep: User) -> Submission | None:
    """The rep's submission for the cycle if there is one (reading never creates it)."""
    return Submission.objects(cycle=cycle, rep=rep).first()


def plan_is_editable(cycle: Cycle, rep: User, fresh: bool = True) -> bool:
    """Lines may change while the cycle is open and the rep's plan is a draft or rejected.
    `fresh=False` may answer from this process's copy of the submission (kept until
    submissions are next written): only for a check that a fresh one follows once the write
    is done (a cell save takes back a write that landed after a submit)."""
    if not cycle.is_open:
        return False

    def read() -> dict[str, Any] | None:
        # scoped by caller: the plan's rep (the acting rep, or the rep a manager reviews)
        return raw_collection(Submission).find_one({"cycle": cycle.pk, "rep": rep.pk},
                                                     {"status": 1})

    submission = read() if fresh else cached_until_written(
        ("plan-status", cycle.pk, rep.pk), ("submissions",), read)
    return submission is None or submission.get("status") in EDITABLE_STATUSES


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "draft", (status or "").capitalize())


def submit_plan(cycle: Cycle, rep: User, actor: User, method: str = "portal") -> Submission:
    """draft | rejected → submitted, once: every mandatory month of every line filled and at
    least one line. Locks the lines, freezes line count and totals, audits, e-mails the rep
    and the approvers. `method` is "excel" when the workbook import submits."""
    if method not in SUBMISSION_METHODS:
        raise ValueError(f"Unknown submission method {method!r}.")
    if actor.pk != rep.pk and actor.role != "admin":
        # a manager approves plans: submitting one would be reviewing their own act
        raise ReviewForbidden("A plan is submitted by its rep (or an admin), not by "
                              f"{'another rep' if actor.role == 'sales_rep' else 'a manager'}.")
    if not cycle.is_open:
        raise StateConflict(f"The {cycle.name} cycle is {cycle.status}: plans can be submitted "
                            "only while it is open.")
    submission = submission_for(cycle, rep)
    if not submission.is_editable:
        raise StateConflict(_not_editable_message(submission))
    report = missing_report(cycle, rep)
    if report.plan_lines == 0:
        raise PlanIncomplete("The plan has no lines yet: enter the forecast of your customers "
                             "before submitting.", report)
    if report.line_count:
        raise PlanIncomplete(
            f"{report.line_count} line{'s' if report.line_count != 1 else ''} still miss"
            f"{'' if report.line_count != 1 else 'es'} mandatory months (M1-"
            f"M{cycle.mandatory_months}; 0 counts as a value).", report)
    at = now()
    before = submission.status
    locked = retry_write_conflicts(lambda: Submission.objects(
        id=submission.pk, status__in=list(EDITABLE_STATUSES)).modify(
        new=True, set__status="submitted", set__submitted_at=at, set__submitted_by=actor.pk,
        set__method=method, unset__reviewed_by=True, unset__reviewed_at=True,
        unset__review_comment=True, set__updated_at=at,
        push__history=SubmissionEvent(status="submitted", at=at, by=actor.pk,
                                      comment=f"Submitted via {method}")))
    if locked is None:  # someone (another tab) submitted in between: that one won
        submission.reload()
        raise StateConflict(_not_editable_message(submission))
    # The lines are locked from here on, so the frozen totals are the submitted plan's.
    totals = frozen_totals(cycle, rep)
    Submission.objects(id=locked.pk).update_one(set__line_count=totals["lines"],
                                                set__totals=totals)
    locked.reload()
    record_audit("submission_submitted",
                 f"{rep.full_name}'s {cycle.name} plan submitted via {method} "
                 f"({totals['lines']} lines, {totals['cases']:,.0f} cases, "
                 f"${totals['dollars']:,.2f} over M1-M{totals['months']}).",
                 actor=actor, entity_type="submission", entity_id=locked.pk,
                 changes=field_changes({"status": before},
                                       {"status": "submitted", "method": method,
                                        "line_count": totals["lines"]}))
    _mail_received(locked)
    return locked


def frozen_totals(cycle: Cycle, rep: User) -> dict[str, Any]:
    """Line count and cases / $ over the mandatory months at effective prices."""
    months = cycle.mandatory_months or cycle.horizon_months
    totals = plan_totals({"cycle": cycle.pk, "rep": rep.pk}, cycle.horizon_months)
    return {"lines": totals.lines, "months": months,
            "cases": totals.cases_through(months), "dollars": totals.dollars_through(months),
            "cases_by_month": totals.cases[:months], "dollars_by_month": totals.dollars[:months]}


def _not_editable_message(submission: Submission) -> str:
    return {
        "submitted": "This plan is already submitted and waits for review.",
        "approved": "This plan is approved: it can no longer change.",
        "missed": "The cycle closed before this plan was submitted.",
    }.get(submission.status, f"This plan is {status_label(submission.status).lower()}.")


def approvers() -> list[User]:
    """Who reviews plans: every active manager and admin."""
    return list(User.objects(role__in=sorted(REVIEWER_ROLES), active=True))


def _mail_received(submission: Submission) -> None:
    context = {"submission": submission, "cycle": submission.cycle, "rep": submission.rep}
    subject = f"{submission.rep.full_name} submitted the {submission.cycle.name} plan"
    event = f"submission_received:{submission.pk}:{len(submission.history)}"  # this hand-in
    send_email("submission_received", to=[submission.rep.email],
               subject=f"Your {submission.cycle.name} plan is submitted",
               context={**context, "audience": "rep"},
               notification="notify_submission_received", event_key=event)
    reviewers = [user.email for user in approvers() if user.pk != submission.rep.pk]
    if reviewers:
        send_email("submission_received", to=reviewers, subject=subject,
                   context={**context, "audience": "approvers"},
                   notification="notify_submission_received", event_key=event)


# --- Review -----------------------------------------------------------------------------------


def approve_submission(submission: Submission, actor: User, comment: str = "") -> Submission:
    """submitted → approved: locked for good."""
    return _review(submission, actor, "approved", comment)


def reject_submission(submission: Submission, actor: User, comment: str) -> Submission:
    """submitted → rejected (a comment saying what to fix is required): editable again."""
    return _review(submission, actor, "rejected", comment)


def _review(submission: Submission, actor: User, decision: str, comment: str) -> Submission:
    if actor.role not in REVIEWER_ROLES:
        raise ReviewForbidden("Only managers and admins review plans.")
    own = {submission.rep.pk, submission.submitted_by.pk if submission.submitted_by else None}
    if actor.pk in own:
        raise ReviewForbidden("Nobody approves or rejects their own plan.")
    comment = clean_text(comment or "").strip()[:2000]
    if decision == "rejected" and not comment:
        raise SubmissionError("Write a comment: the rep needs to know what to fix.", "comment")
    if submission.status != "submitted":
        raise StateConflict(_review_refusal(submission))
    at = now()
    reviewed = retry_write_conflicts(lambda: Submission.objects(
        id=submission.pk, status="submitted").modify(
        new=True, set__status=decision, set__reviewed_by=actor.pk, set__reviewed_at=at,
        set__review_comment=comment or None, set__updated_at=at,
        push__history=SubmissionEvent(status=decision, at=at, by=actor.pk,
                                      comment=comment or None)))
    if reviewed is None:  # reviewed by someone else meanwhile
        submission.reload()
        raise StateConflict(_review_refusal(submission))
    submission.reload()
    verb = "approved" if decision == "approved" else "rejected"
    record_audit(f"submission_{verb}",
                 f"{submission.rep.full_name}'s {submission.cycle.name} plan {verb}"
                 + (f": {comment}" if comment else "."),
                 actor=actor, entity_type="submission", entity_id=submission.pk,
                 changes=field_changes({"status": "submitted"},
                                       {"status": decision, "review_comment": comment or None}))
    send_email("submission_reviewed", to=[submission.rep.email],
               subject=f"Your {submission.cycle.name} plan is {verb}",
               context={"submission": submission, "cycle": submission.cycle,
                        "rep": submission.rep, "reviewer": actor, "comment": comment},
               notification="notify_submission_reviewed",
               event_key=f"submission_reviewed:{submission.pk}:{len(submission.history)}")
    return submission


def _review_refusal(submission: Submission) -> str:
    who = submission.reviewed_by.full_name if submission.reviewed_by else None
    if submission.status in ("approved", "rejected") and who:
        return f"Only submitted plans can be reviewed: {who} already {submission.status} it."
    return (f"Only submitted plans can be reviewed: this one is "
            f"{status_label(submission.status).lower()}.")


def review_submission(submission: Submission, actor: User, decision: str,
                      comment: str = "") -> Submission:
    """`decision` is "approve" or "reject" (what the board's buttons post)."""
    if decision == "approve":
        return approve_submission(submission, actor, comment)
    if decision == "reject":
        return reject_submission(submission, actor, comment)
    raise SubmissionError(f"Unknown decision {decision!r}.")
