"""The rep workbook's file name ("Consolidated Master File SOP_Nov26 - JR.xlsx") and the rep
its initials name."""

from __future__ import annotations

import re
from datetime import date

from sop.models import Cycle, User

FILE_REP_CODE = re.compile(r"\s-\s*([A-Za-z]{1,6})\s*(?:\(\d+\))?\s*\.(?:xls[xb]?|ods)$",
                           re.IGNORECASE)


def rep_code(rep: User) -> str:
    """The rep's initials, as the workbook file names end: "Jane Roe" → "JR"."""
    words = [w for w in re.split(r"[\s\-.]+", rep.full_name or "") if w and w[0].isalpha()]
    return "".join(w[0] for w in words).upper() or (rep.email or "?")[:2].upper()


def workbook_file_name(cycle: Cycle, rep: User) -> str:
    """"Consolidated Master File SOP_Nov26 - JR.xlsx"."""
    return (f"Consolidated Master File SOP_{date(cycle.year, cycle.month, 1):%b%y} - "
            f"{rep_code(rep)}.xlsx")


def rep_from_file_name(file_name: str | None) -> User | None:
    """The active rep whose initials end the file name (" - JR.xlsx"), when only one has
    them: offered as the default rep on upload."""
    match = FILE_REP_CODE.search((file_name or "").strip())
    if not match:
        return None
    code = match.group(1).upper()
    found = [u for u in User.objects(role="sales_rep", active=True) if rep_code(u) == code]
    return found[0] if len(found) == 1 else None


def rep_id_from_file_name(file_name: str | None) -> str | None:
    rep = rep_from_file_name(file_name)
    return str(rep.pk) if rep else None


def sales_reps() -> list[User]:
    return list(User.objects(role="sales_rep", active=True).order_by("full_name_lower"))

