"""Who may download and import which rep's workbook, and the refusal the user reads."""

from __future__ import annotations

from sop.models import Cycle, User
from sop.submissions.services import plan_is_editable


class WorkbookRefused(ValueError):
    """A refusal the user can act on (shown as is)."""


def may_download(actor: User | None, rep: User) -> bool:
    """A rep their own plan; managers and admins anyone's (managers read only)."""
    return actor is None or actor.role in ("admin", "manager") or actor.pk == rep.pk


def may_import(actor: User | None, rep: User) -> bool:
    """A rep into their own plan; admins into anyone's; None is the command line."""
    return actor is None or actor.role == "admin" or (
        actor.role == "sales_rep" and actor.pk == rep.pk)


def check_import(actor: User | None, cycle: Cycle, rep: User) -> None:
    """WorkbookRefused unless `actor` may import into `rep`'s plan of `cycle` now."""
    if rep.role != "sales_rep":
        raise WorkbookRefused(f"{rep.full_name} is not a sales rep.")
    if not may_import(actor, rep):
        raise WorkbookRefused("You may import only into your own plan.")
    if not plan_is_editable(cycle, rep):
        raise WorkbookRefused(
            f"{rep.full_name}'s plan for {cycle.name} cannot change now (the cycle is not open, "
            "or the plan is submitted or approved), so the workbook cannot be imported.")

