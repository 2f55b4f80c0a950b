"""Reading an uploaded rep workbook: the container checked (sop.excel.safety) when it is
uploaded, the customer sheets read (sop.excel.rep_workbook) into `ParsedSheet`s as the import
keeps them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sop.excel.masterdata import ProblemLog
from sop.excel.safety import UnsafeWorkbook, inspect_upload
from sop.models import Cycle
from sop.plans import pad
from sop.settings import get_setting
from sop.workbooks.access import WorkbookRefused

log = logging.getLogger(__name__)

STORED_PROBLEMS = 500  # problems kept with an upload (the reader keeps four times as many)


@dataclass
class ParsedLine:
    item_code: str
    description: str
    probability: int | None
    qty: list[float | None]
    price: list[float | None]
    new_item: bool
    row: int | None


@dataclass
class ParsedSheet:
    name: str
    lines: list[ParsedLine] = field(default_factory=list)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value)


def parse_sheets(sheets: Iterable[Any], horizon: int) -> list[ParsedSheet]:
    """`CustomerSheet`s as the service keeps them: item codes as text, `horizon` buckets."""
    result = []
    for sheet in sheets:
        parsed = ParsedSheet(sheet.name)
        for line in sheet.lines:
            code = line.item_code
            if isinstance(code, float) and code.is_integer():
                code = int(code)
            parsed.lines.append(ParsedLine(
                str(code).strip() if code is not None else "", (line.description or "").strip(),
                line.probability, [_number(v) for v in pad(line.qty, horizon)],
                [_number(v) for v in pad(line.price, horizon)], bool(line.new_item),
                line.row))
        result.append(parsed)
    return result


def check_upload(data: bytes) -> str:
    """The container checks a web request can afford (size, zip bombs, declared rows): the
    file's kind, or WorkbookRefused with a sentence the user can act on."""
    if not data:
        raise WorkbookRefused("The file is empty: choose the workbook to import.")
    max_bytes = int(get_setting("max_upload_mb")) * 1024 * 1024
    try:
        return inspect_upload(data, max_bytes,
                              max_rows=int(get_setting("rep_workbook_max_rows"))).kind
    except UnsafeWorkbook as exc:
        raise WorkbookRefused(str(exc)) from None


def read_upload(data: bytes, cycle: Cycle,
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[list[ParsedSheet], ProblemLog]:
    """Read the customer sheets of a file `check_upload` passed (when it was uploaded: the
    stored copy is not inflated a second time); WorkbookRefused with a sentence the user can
    act on when the file cannot be read."""
    from sop.excel.rep_workbook import read_rep_workbook

    problems = ProblemLog(keep=STORED_PROBLEMS * 4)
    try:
        sheets = read_rep_workbook(data, problems, months=cycle.horizon_months,
                                   max_rows=int(get_setting("rep_workbook_max_rows")),
                                   progress=progress)
    except UnsafeWorkbook as exc:
        raise WorkbookRefused(str(exc)) from None
    except Exception as exc:  # a workbook the reader cannot parse
        log.warning("Rep workbook could not be read: %s", str(exc)[:300])
        raise WorkbookRefused("The workbook could not be read. Open it in Excel, save it again "
                              "as .xlsx and upload the new copy.") from None
    if not sheets:
        raise WorkbookRefused("No customer sheet was found: a customer sheet has a header row "
                              "with # in column B, ITEM CODE in D and Probability in F. Upload "
                              "the rep workbook downloaded from the portal.")
    return parse_sheets(sheets, cycle.horizon_months), problems

