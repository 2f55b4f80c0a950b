"""The rep workbook (DOMAIN.md §5.1) and the consolidated plan (§5.2).

Download: the rep's customers, the catalog of their active price-matrix items and this
cycle's lines (last cycle's rolled forward while there are none yet) become a `WorkbookPlan`
for sop.excel.rep_workbook.

Upload: the file is checked (sop.excel.safety), stored in GridFS with what was read from it,
and previewed: each customer sheet matched to one of the rep's customers (S&OP name, then
aliases; unknown names resolved by the user), each line checked, and the change per customer
computed against the database. Confirm computes the change again from the database and writes
it in ONE multi-document transaction (the embedded server and MongoDB both hold a rep's few
thousand lines in one), so the plan changes whole or not at all. The command line uses the
same functions.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import bson
import gridfs
from bson import ObjectId
from mongoengine.connection import get_connection, get_db
from pymongo import DeleteOne, InsertOne, UpdateOne
from pymongo.errors import PyMongoError

from sop.audit import record_audit, record_audits
from sop.clock import now
from sop.excel.masterdata import ProblemLog, RowProblem
from sop.excel.safety import UnsafeWorkbook, inspect_upload
from sop.models import (
    BudgetEntry,
    Customer,
    Cycle,
    ForecastLine,
    ImportProblem,
    Product,
    Submission,
    User,
    name_key,
)
from sop.models.submission import EDITABLE_STATUSES
from sop.models.workbook import SheetMatch, WorkbookUpload
from sop.plans import (
    MatrixEntry,
    Pair,
    PriceBook,
    catalog,
    consolidated_rows,
    effective_prices,
    matrix,
    pad,
    rolled_forward,
)
from sop.security import scoped, visible_reps
from sop.settings import get_setting
from sop.submissions.services import plan_is_editable, submission_for
from sop.uploads import UploadRefused, queue_import_job, stored_whole

log = logging.getLogger(__name__)

FILE_BUCKET = "workbook_files"
STORED_PROBLEMS = 500
PROGRESS_SECONDS = 0.5  # a preview's progress is written at most this often
WRITE_CHUNK = 1000  # operations per bulk write inside the transaction
YEAR_MONTHS = 12  # "cases M1-M12": the figures every summary shows
ITEM_CODE = re.compile(r"^\d{6}$")
FILE_REP_CODE = re.compile(r"\s-\s*([A-Za-z]{1,6})\s*(?:\(\d+\))?\s*\.xls[xb]$", re.IGNORECASE)


class WorkbookRefused(ValueError):
    """A refusal the user can act on (shown as is)."""


class _StaleLines(Exception):
    """Lines changed between computing the writes and writing them."""


class _PlanLockedMeanwhile(Exception):
    """The plan was submitted between the editable check and the transaction."""


# --- names ----------------------------------------------------------------------------------

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


# --- who may do what --------------------------------------------------------------------------

def may_download(actor: User | None, rep: User) -> bool:
    """A rep their own plan; managers and admins anyone's (managers read only)."""
    return actor is None or actor.role in ("admin", "manager") or actor.pk == rep.pk


def may_import(actor: User | None, rep: User) -> bool:
    """A rep into their own plan; admins into anyone's; None is the command line."""
    return actor is None or actor.role == "admin" or (
        actor.role == "sales_rep" and actor.pk == rep.pk)


def _check_import(actor: User | None, cycle: Cycle, rep: User) -> None:
    if rep.role != "sales_rep":
        raise WorkbookRefused(f"{rep.full_name} is not a sales rep.")
    if not may_import(actor, rep):
        raise WorkbookRefused("You may import only into your own plan.")
    if not plan_is_editable(cycle, rep):
        raise WorkbookRefused(
            f"{rep.full_name}'s plan for {cycle.name} cannot change now (the cycle is not open, "
            "or the plan is submitted or approved), so the workbook cannot be imported.")


# --- download ---------------------------------------------------------------------------------

def sheet_customers(rep: User) -> list[Customer]:
    """The rep's active customers, one per S&OP name (the sheet name), in name order. When
    several accounts share an S&OP name, the first by code gets the sheet."""
    seen: set[str] = set()
    result = []
    for customer in Customer.objects(sales_rep=rep.pk, active=True).order_by(
            "sop_name_key", "code"):
        if customer.sop_name_key not in seen:
            seen.add(customer.sop_name_key)
            result.append(customer)
    return result


def _group_text(product: dict[str, Any]) -> str:
    return " - ".join(p for p in (product.get("group_description"), product.get("category"))
                      if p)


LINE_FIELDS = {"customer": 1, "product": 1, "rep": 1, "qty": 1, "price": 1, "probability": 1,
               "new_item": 1, "version": 1}


def _rep_lines(cycle: Cycle, rep: User, fields: dict[str, int]) -> list[dict[str, Any]]:
    """The cycle's lines of the rep (the (cycle, rep) index)."""
    # scoped by caller: the rep whose workbook the caller may download or import
    return list(ForecastLine._get_collection().find(
        {"cycle": cycle.pk, "rep": rep.pk}, fields))


def _plan_lines(cycle: Cycle, rep: User, customer_ids: list[ObjectId]) -> list[dict[str, Any]]:
    """This cycle's lines of the rep's customers, or else last cycle's rolled forward
    (sop.plans.rolled_forward: the grid's "copy last cycle" starts from the same lines)."""
    wanted = set(customer_ids)
    lines = [doc for doc in _rep_lines(cycle, rep, LINE_FIELDS) if doc["customer"] in wanted]
    if lines:
        return lines
    rolled = rolled_forward(cycle, rep.pk, customer_ids)
    return [] if rolled is None else list(rolled.lines.values())


def workbook_plan(cycle: Cycle, rep: User) -> Any:
    """Everything the rep's pre-filled workbook shows (sop.excel.rep_workbook.WorkbookPlan)."""
    from sop.excel.rep_workbook import (
        BudgetRow,
        CatalogItem,
        CustomerSheet,
        SheetLine,
        WorkbookPlan,
    )

    customers = sheet_customers(rep)
    ids = [c.pk for c in customers]
    catalog_ids = {product for (_, product), entry in matrix(ids).items() if entry.active}
    lines = _plan_lines(cycle, rep, ids)
    # an item planned outside the new-item block has a catalog row, so that the file reads
    # back as the same line (the workbook's new-item rows are for new items only)
    catalog_ids |= {line["product"] for line in lines if not line.get("new_item")}
    products = catalog()
    items = [CatalogItem(p["item_code"], p.get("description") or "", _group_text(p))
             for p in sorted((products[i] for i in catalog_ids if i in products),
                             key=lambda p: p["item_code"]) if p.get("active", True)]
    in_catalog = {item.item_code for item in items}
    horizon = cycle.horizon_months
    by_customer: dict[ObjectId, list[Any]] = {}
    for line in lines:
        product = products.get(line["product"])
        if product is None:
            continue
        by_customer.setdefault(line["customer"], []).append(SheetLine(
            item_code=product["item_code"], description=product.get("description") or "",
            probability=line.get("probability"), qty=pad(line.get("qty"), horizon),
            price=pad(line.get("price"), horizon),
            new_item=bool(line.get("new_item")) or product["item_code"] not in in_catalog))
    sheets = [CustomerSheet(c.sop_name, sorted(by_customer.get(c.pk, []),
                                               key=lambda s: (s.new_item, s.item_code)))
              for c in customers]
    return WorkbookPlan(rep_name=rep.full_name, cycle_name=cycle.name,
                        months=cycle.bucket_months, mandatory_months=cycle.mandatory_months,
                        catalog=items, customers=sheets,
                        budget=_budget_rows(cycle, rep, BudgetRow))


def _budget_rows(cycle: Cycle, rep: User, row_type: type) -> list[Any]:
    months = {(m.year, m.month): m for m in cycle.bucket_months}
    names = dict(Customer.objects(sales_rep=rep.pk).scalar("id", "sop_name"))
    rows: dict[str, Any] = {}
    # scoped by caller: the rep whose workbook the caller may download
    for entry in BudgetEntry._get_collection().find(
            {"rep": rep.pk, "year": {"$in": sorted({y for y, _ in months})}},
            {"sop_name": 1, "customer": 1, "year": 1, "month": 1, "cases": 1, "sales": 1}):
        month = months.get((entry["year"], entry["month"]))
        if month is None:
            continue
        name = names.get(entry.get("customer")) or entry["sop_name"]
        row = rows.setdefault(name_key(name), row_type(name))
        row.cases[month] = row.cases.get(month, 0.0) + (entry.get("cases") or 0.0)
        row.sales[month] = row.sales.get(month, 0.0) + (entry.get("sales") or 0.0)
    return [rows[key] for key in sorted(rows)]


def generate_rep_workbook(actor: User | None, cycle: Cycle, rep: User) -> bytes:
    """The rep's pre-filled workbook for the cycle (audited download)."""
    from sop.excel.rep_workbook import write_rep_workbook

    if not may_download(actor, rep):
        raise WorkbookRefused("You may download only your own workbook.")
    plan = workbook_plan(cycle, rep)
    data = write_rep_workbook(plan)
    record_audit("workbook_downloaded",
                 f"Workbook of {rep.full_name} for {cycle.name} downloaded "
                 f"({len(plan.customers)} customer sheets).", actor=actor,
                 entity_type="cycle", entity_id=cycle.pk)
    return data


# --- reading an upload ----------------------------------------------------------------------

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
        return inspect_upload(data, max_bytes, allow_xlsb=True,
                              max_rows=int(get_setting("rep_workbook_max_rows"))).kind
    except UnsafeWorkbook as exc:
        raise WorkbookRefused(str(exc)) from None


def read_upload(data: bytes, cycle: Cycle,
                progress: Callable[[int, int], None] | None = None
                ) -> tuple[list[ParsedSheet], ProblemLog, str]:
    """Check the container, then read the customer sheets; WorkbookRefused with a sentence
    the user can act on when the file cannot be read."""
    from sop.excel.rep_workbook import read_rep_workbook

    kind = check_upload(data)
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
    return parse_sheets(sheets, cycle.horizon_months), problems, kind


# --- the change a workbook makes -------------------------------------------------------------

@dataclass
class CustomerSheetChange:
    """One customer sheet's effect on the plan."""

    sheet: str
    customer_id: ObjectId | None
    customer_label: str
    match: str
    kept: int = 0
    new_items: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    cases_before: float = 0.0
    cases_after: float = 0.0
    dollars_before: float = 0.0
    dollars_after: float = 0.0
    cases_all: float = 0.0  # M1-M16 of the file's lines
    revenue_entered: float = 0.0  # M1-M12 at the prices typed in the file (blank = 0)

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, ObjectId) else v) for k, v in self.__dict__.items()}


@dataclass
class ImportPlan:
    """What confirming would do: the writes, the audit entries and the summary."""

    changes: list[CustomerSheetChange] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    line_ops: list[dict[str, Any]] = field(default_factory=list)  # insert / filter+update / delete
    expected: dict[str, int] = field(default_factory=lambda: {"inserted": 0, "modified": 0,
                                                             "deleted": 0})
    new_customers: list[dict[str, Any]] = field(default_factory=list)
    new_products: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[tuple[ObjectId, str]] = field(default_factory=list)
    audits: list[tuple[ObjectId, str, dict[str, Any]]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for p in self.problems if p.severity == "warning")

    @property
    def notes(self) -> int:
        return sum(1 for p in self.problems if p.severity == "note")

    def counts(self) -> dict[str, Any]:
        total = {key: sum(getattr(c, key) for c in self.changes)
                 for key in ("kept", "new_items", "added", "changed", "removed", "unchanged")}
        money = {key: round(sum(getattr(c, key) for c in self.changes), 2)
                 for key in ("cases_before", "cases_after", "dollars_before", "dollars_after",
                             "cases_all", "revenue_entered")}
        return {"sheets": len(self.changes), **total, **money, "errors": self.errors,
                "warnings": self.warnings, "notes": self.notes,
                "unresolved": len(self.unresolved),
                "writes": len(self.line_ops)}


def _label(bucket: int, what: str) -> str:
    return f"M{bucket + 1} {what}"  # as the grid labels audited cells


def _same(a: float | None, b: float | None) -> bool:
    return (a or 0.0) == (b or 0.0)


def target_values(line: ParsedLine, horizon: int, mandatory: int
                  ) -> tuple[list[float | None], list[float | None]]:
    """The file's quantities and prices as stored: a blank quantity in a mandatory month is
    0 (the workbook's rule: blank = 0, so the month counts as filled); blanks elsewhere stay
    blank."""
    qty = [(0.0 if q is None and i < mandatory else q) for i, q in enumerate(line.qty[:horizon])]
    return qty, list(line.price[:horizon])


def _differs(old: dict[str, Any], qty: list, price: list, probability: int | None,
             new_item: bool, horizon: int, mandatory: int) -> dict[str, Any]:
    """The audited changes between a stored line and the file's (empty when equal). Blank and
    0 are the same number, except that a mandatory month going from blank to 0 is a change
    (it becomes filled)."""
    before_qty, before_price = pad(old.get("qty"), horizon), pad(old.get("price"), horizon)
    changes: dict[str, Any] = {}
    for i in range(horizon):
        if (before_qty[i] != qty[i]) if i < mandatory else not _same(before_qty[i], qty[i]):
            changes[_label(i, "qty")] = {"before": before_qty[i], "after": qty[i]}
        if not _same(before_price[i], price[i]):
            changes[_label(i, "price")] = {"before": before_price[i], "after": price[i]}
    if old.get("probability") != probability:
        changes["probability"] = {"before": old.get("probability"), "after": probability}
    if bool(old.get("new_item")) != new_item:
        changes["new_item"] = {"before": bool(old.get("new_item")), "after": new_item}
    return changes


def _kept(line: ParsedLine) -> bool:
    """A line is kept when it has volume (a quantity other than 0): a row with only prices is
    not a forecast line (the company's own count of a workbook's lines, issue #11)."""
    return any(v for v in line.qty)


@dataclass
class PlanState:
    """What computing an import reads from the database, read in one go: the rep's active
    customers (by code), the item catalog, their price matrix and the rep's lines."""

    customers: list[Customer]
    products: dict[ObjectId, dict[str, Any]]
    matrix: dict[Pair, MatrixEntry]
    lines: list[dict[str, Any]]


def load_state(cycle: Cycle, rep: User) -> PlanState:
    customers = list(Customer.objects(sales_rep=rep.pk, active=True).order_by("code"))
    return PlanState(customers, catalog(), matrix(c.pk for c in customers),
                     _rep_lines(cycle, rep, LINE_FIELDS))


def _customer_lookup(customers: list[Customer]) -> tuple[
        dict[str, Customer], dict[str, Customer], dict[str, Customer]]:
    """The rep's active customers by id, by S&OP name key and by alias."""
    by_id, by_name, by_alias = {}, {}, {}
    for customer in customers:
        by_id[str(customer.pk)] = customer
        by_name.setdefault(customer.sop_name_key, customer)
        for alias in customer.aliases or []:
            by_alias.setdefault(alias, customer)
    return by_id, by_name, by_alias


def match_sheets(rep: User, names: list[str], previous: list[SheetMatch] | None = None,
                 state: PlanState | None = None) -> list[SheetMatch]:
    """Each sheet's customer: by S&OP name, then alias (trimmed, case-insensitive), among the
    rep's active customers only; decisions the user already made are kept."""
    by_id, by_name, by_alias = _customer_lookup(
        state.customers if state else list(Customer.objects(sales_rep=rep.pk, active=True)
                                           .order_by("code")))
    decided = {m.name: m for m in previous or [] if m.match in ("mapped", "create")}
    result, taken = [], set()
    for name in names:
        key = name_key(name)
        if name in decided:
            match = decided[name]
            customer = match.customer if match.match == "mapped" else None
            if match.match == "create" or (customer is not None and str(customer.pk) in by_id):
                result.append(SheetMatch(name=name, customer=customer, match=match.match))
                if customer is not None:
                    taken.add(customer.pk)
                continue
        customer, how = (by_name.get(key), "name") if key in by_name else (
            by_alias.get(key), "alias")
        if customer is not None and customer.pk not in taken:
            taken.add(customer.pk)
            result.append(SheetMatch(name=name, customer=customer, match=how))
        else:
            result.append(SheetMatch(name=name, match="unmatched"))
    return result


def _new_customer_code(sheet: str, used: set[str]) -> str:
    stem = "WB-" + (re.sub(r"[^A-Z0-9]+", "-", sheet.upper()).strip("-")[:30] or "CUSTOMER")
    code, number = stem, 1
    while code.lower() in used or Customer.objects(code_lower=code.lower()).first():
        number += 1
        code = f"{stem}-{number}"
    used.add(code.lower())
    return code


def plan_import(actor: User | None, cycle: Cycle, rep: User, sheets: list[ParsedSheet],
                matches: list[SheetMatch], file_problems: Iterable[RowProblem] = (),
                create_items: bool = False, state: PlanState | None = None) -> ImportPlan:
    """What the workbook changes, computed from the database as it is now (`state`, read
    when not given): nothing is written. Unknown items are row errors (unless
    `create_items`); unresolved sheets block."""
    state = state or load_state(cycle, rep)
    horizon, mandatory = cycle.horizon_months, cycle.mandatory_months
    year = min(YEAR_MONTHS, horizon)
    plan = ImportPlan(problems=list(file_problems))
    stamp = now()
    actor_id = actor.pk if actor else None

    # Customers: matched, to create, unresolved.
    used_codes: set[str] = set()
    targets: dict[str, ObjectId | None] = {}
    labels: dict[str, str] = {}
    for match in matches:
        if match.match == "create":
            customer = Customer(code=_new_customer_code(match.name, used_codes),
                                name=match.name.strip(), sop_name=match.name.strip()[:31],
                                sales_rep=rep, active=True, created_at=stamp, updated_at=stamp)
            customer.clean()
            customer.validate()
            document = customer.to_mongo().to_dict()
            document["_id"] = ObjectId()
            plan.new_customers.append(document)
            targets[match.name] = document["_id"]
            labels[match.name] = f"{document['code']} {document['name']} (new)"
        elif match.customer is not None:
            targets[match.name] = match.customer.pk
            labels[match.name] = f"{match.customer.code} {match.customer.name}"
            if match.match == "mapped" and name_key(match.name) not in (
                    match.customer.aliases or []) and name_key(match.name) != \
                    match.customer.sop_name_key:
                plan.aliases.append((match.customer.pk, name_key(match.name)))
        else:
            targets[match.name] = None
            plan.unresolved.append(match.name)
            plan.problems.append(RowProblem(
                match.name, 0, "sheet", match.name,
                f"No customer of {rep.full_name} is named \"{match.name.strip()}\" (S&OP name or "
                "alias): map the sheet to one of their customers"
                + (", or create the customer." if actor is None or actor.role == "admin"
                   else ", or ask an admin to create the customer.")))

    # Items.
    products = {p["item_code"]: p for p in state.products.values()}
    for sheet in sheets:
        for line in sheet.lines:
            if not _kept(line) or line.item_code in products:
                continue
            if create_items and ITEM_CODE.match(line.item_code):
                product = Product(item_code=line.item_code,
                                  description=line.description or f"Item {line.item_code}",
                                  active=True, created_at=stamp, updated_at=stamp)
                product.clean()
                product.validate()
                document = product.to_mongo().to_dict()
                document["_id"] = ObjectId()
                plan.new_products.append(document)
                products[line.item_code] = document
                continue
            plan.problems.append(RowProblem(
                sheet.name, line.row or 0, "D", line.item_code,
                "Unknown item code: correct it, or ask an admin to add the item to the catalog "
                "(Items), then upload again." if ITEM_CODE.match(line.item_code) else
                "An item code has exactly 6 digits, e.g. 110001: correct it and upload again."))

    # Lines of the file, per target customer.
    customer_ids = [t for t in targets.values() if t is not None]
    targeted = set(customer_ids)
    existing = {(d["customer"], d["product"]): d for d in state.lines
                if d["customer"] in targeted}
    wanted: dict[tuple[ObjectId, ObjectId], tuple[ParsedLine, list, list, bool]] = {}
    rows_seen: dict[tuple[str, str], int | None] = {}
    for sheet in sheets:
        customer_id = targets.get(sheet.name)
        change = CustomerSheetChange(sheet.name, customer_id, labels.get(sheet.name, "—"),
                                next((m.match for m in matches if m.name == sheet.name),
                                     "unmatched"))
        plan.changes.append(change)
        for line in sheet.lines:
            if not _kept(line):
                continue
            product = products.get(line.item_code)
            if (sheet.name, line.item_code) in rows_seen:
                plan.problems.append(RowProblem(
                    sheet.name, line.row or 0, "D", line.item_code,
                    f"Item {line.item_code} is already on row "
                    f"{rows_seen[(sheet.name, line.item_code)]} of this sheet: keep one row "
                    "per item."))
                continue
            rows_seen[(sheet.name, line.item_code)] = line.row
            qty, price = target_values(line, horizon, mandatory)
            change.kept += 1
            change.cases_all += sum(q or 0.0 for q in qty)
            change.revenue_entered += sum((q or 0.0) * (p or 0.0)
                                          for q, p in zip(qty[:year], price[:year], strict=False))
            if customer_id is None or product is None:
                continue
            pair = (customer_id, product["_id"])
            new_item = line.new_item  # the file says so: the rep typed it in the new-item block
            change.new_items += new_item
            wanted[pair] = (line, qty, price, new_item)

    # Valuation before and after, at effective prices (matrix, then list price).
    book = PriceBook(state.matrix, state.products, (c.pk for c in state.customers))
    fallbacks = {pair: book.fallback(pair) for pair in set(existing) | set(wanted)}
    by_customer = {c.customer_id: c for c in plan.changes if c.customer_id is not None}

    def value(pair: tuple[ObjectId, ObjectId], qty: list, price: list) -> tuple[float, float]:
        prices = effective_prices(price, fallbacks.get(pair), None)
        return (sum(q or 0.0 for q in qty[:year]),
                sum((q or 0.0) * p for q, p in zip(qty[:year], prices[:year], strict=False)))

    customer_codes = {t: labels[name].split(" ")[0] for name, t in targets.items() if t}
    for pair, old in existing.items():
        change = by_customer[pair[0]]
        cases, dollars = value(pair, pad(old.get("qty"), horizon),
                               pad(old.get("price"), horizon))
        change.cases_before += cases
        change.dollars_before += dollars
        if pair not in wanted:
            change.removed += 1
            plan.line_ops.append({"delete": {"_id": old["_id"], "version": old.get("version")}})
            plan.expected["deleted"] += 1
            item_code = state.products.get(pair[1], {}).get("item_code")
            plan.audits.append((old["_id"], f"Item {item_code} of "
                                f"{customer_codes.get(pair[0], '?')} removed by a workbook "
                                "import.", {"line": {"before": "present", "after": None}}))
    for pair, (line, qty, price, new_item) in wanted.items():
        change = by_customer[pair[0]]
        cases, dollars = value(pair, qty, price)
        change.cases_after += cases
        change.dollars_after += dollars
        old = existing.get(pair)
        fields = {"qty": qty, "price": price, "probability": line.probability,
                  "new_item": new_item, "source": "excel", "updated_by": actor_id,
                  "updated_at": stamp}
        if old is None:
            change.added += 1
            line_id = ObjectId()
            plan.line_ops.append({"insert": {"_id": line_id, "cycle": cycle.pk, "rep": rep.pk,
                                             "customer": pair[0], "product": pair[1],
                                             "version": 1, "created_at": stamp, **fields}})
            plan.expected["inserted"] += 1
            changes = _differs({}, qty, price, line.probability, new_item, horizon, mandatory)
            plan.audits.append((line_id, f"Item {line.item_code} of "
                                f"{customer_codes.get(pair[0], '?')} added by a workbook "
                                "import.", changes))
            continue
        changes = _differs(old, qty, price, line.probability, new_item, horizon, mandatory)
        if not changes:
            change.unchanged += 1
            continue
        change.changed += 1
        plan.line_ops.append({"filter": {"_id": old["_id"], "version": old.get("version")},
                              "update": {"$set": fields, "$inc": {"version": 1}}})
        plan.expected["modified"] += 1
        plan.audits.append((old["_id"], f"Item {line.item_code} of "
                            f"{customer_codes.get(pair[0], '?')} changed by a workbook import "
                            f"({len(changes)} value(s)).", changes))
    return plan


# --- writing ----------------------------------------------------------------------------------

def execute_write(collection: Any, operations: list[Any], session: Any) -> Any:
    """One bulk write inside the import's transaction (tests inject failures here)."""
    return collection.bulk_write(operations, ordered=True, session=session)


def _operation(op: dict[str, Any]) -> Any:
    if "insert" in op:
        return InsertOne(op["insert"])
    if "delete" in op:
        return DeleteOne(op["delete"])
    return UpdateOne(op["filter"], op["update"])


def _write_plan(cycle: Cycle, rep: User, plan: ImportPlan) -> None:
    """Every write of the plan in one transaction: all of it lands, or none of it. The
    transaction first touches the rep's submission while it is still editable, so a submit
    racing the import either waits for it (a write conflict, retried) or makes it fail."""
    submission_for(cycle, rep)  # the document the guard writes exists before the transaction
    lines = ForecastLine._get_collection()
    customers = Customer._get_collection()
    products = Product._get_collection()
    steps: list[tuple[Any, list[Any]]] = []
    if plan.new_customers:
        steps.append((customers, [InsertOne(d) for d in plan.new_customers]))
    if plan.aliases:
        steps.append((customers, [UpdateOne({"_id": cid}, {"$addToSet": {"aliases": key},
                                                           "$set": {"updated_at": now()}})
                                  for cid, key in plan.aliases]))
    if plan.new_products:
        steps.append((products, [InsertOne(d) for d in plan.new_products]))
    for start in range(0, len(plan.line_ops), WRITE_CHUNK):
        steps.append((lines, [_operation(op) for op in
                              plan.line_ops[start:start + WRITE_CHUNK]]))

    def run(session: Any) -> None:
        guard = Submission._get_collection().update_one(
            {"cycle": cycle.pk, "rep": rep.pk, "status": {"$in": sorted(EDITABLE_STATUSES)}},
            {"$set": {"updated_at": now()}}, session=session)
        if not guard.matched_count:
            raise _PlanLockedMeanwhile
        done = {"inserted": 0, "modified": 0, "deleted": 0}
        for collection, operations in steps:
            result = execute_write(collection, operations, session)
            if collection is lines:
                done["inserted"] += result.inserted_count
                done["modified"] += result.matched_count
                done["deleted"] += result.deleted_count
        if done != plan.expected:
            raise _StaleLines(done)

    if not steps:
        return
    with get_connection().start_session() as session:
        session.with_transaction(run)


def _audit_lines(actor: User | None, audits: list[tuple[ObjectId, str, dict[str, Any]]]
                 ) -> None:
    """One "forecast_line_updated" entry per changed line (as the grid writes them: entity
    forecast_line, changes per "M<n> qty|price"), in one bulk insert."""
    record_audits("forecast_line_updated", audits, actor=actor, entity_type="forecast_line")


def _write_failure(exc: PyMongoError, writes: int) -> str:
    """What to tell the user when the transaction did not commit (nothing was written)."""
    name = (getattr(exc, "details", None) or {}).get("codeName", "")
    if name == "TransactionTooLargeForCache":
        return (f"The database cannot change {writes:,} lines in one go; nothing was changed. "
                "Split the workbook (fewer customer sheets per file) and import each part.")
    if "Transaction numbers are only allowed" in str(exc) or name == "IllegalOperation":
        return ("Workbook imports need MongoDB running as a replica set (transactions); "
                "nothing was changed. Ask the administrator.")
    return "The database failed while writing; nothing was changed. Try again."


def apply_plan(actor: User | None, cycle: Cycle, rep: User, plan: ImportPlan,
               file_name: str, upload_id: ObjectId | None = None,
               counts: dict[str, Any] | None = None) -> None:
    """Write a plan without errors (all or nothing) and audit it."""
    if plan.errors:
        raise WorkbookRefused("The workbook has errors: fix them (or resolve the sheets) first.")
    _check_import(actor, cycle, rep)
    try:
        _write_plan(cycle, rep, plan)
    except _PlanLockedMeanwhile:
        raise WorkbookRefused(f"{rep.full_name}'s plan was submitted while the workbook was "
                              "being imported; nothing was changed.") from None
    except _StaleLines:
        raise WorkbookRefused("Some of these lines changed while the workbook was being "
                              "imported; nothing was changed. Look at the preview again and "
                              "confirm.") from None
    except PyMongoError as exc:
        log.error("Workbook import for %s failed: %s", rep.email, str(exc)[:300])
        raise WorkbookRefused(_write_failure(exc, len(plan.line_ops))) from None
    _audit_lines(actor, plan.audits)
    counts = counts or plan.counts()
    for document in plan.new_customers:
        record_audit("customer_created", f"Customer {document['code']} {document['name']} "
                     f"created for {rep.full_name} by a workbook import.", actor=actor,
                     entity_type="customer", entity_id=document["_id"])
    for document in plan.new_products:
        record_audit("product_created", f"Item {document['item_code']} created by a workbook "
                     "import.", actor=actor, entity_type="product", entity_id=document["_id"])
    record_audit("workbook_imported",
                 f"Workbook {file_name} imported into {rep.full_name}'s plan for {cycle.name}: "
                 f"{counts['added']} lines added, {counts['changed']} changed, "
                 f"{counts['removed']} removed, {counts['unchanged']} unchanged.", actor=actor,
                 entity_type="workbook_upload" if upload_id else "cycle",
                 entity_id=upload_id or cycle.pk,
                 changes={key: {"before": None, "after": counts[key]}
                          for key in ("sheets", "added", "changed", "removed", "unchanged")})


# --- the upload's way through preview and confirm ---------------------------------------------

def _files() -> gridfs.GridFS:
    return gridfs.GridFS(get_db(), collection=FILE_BUCKET)


def _store_parsed(sheets: list[ParsedSheet]) -> ObjectId:
    with _files().new_file(filename="parsed.bson", kind="parsed") as stored:
        for sheet in sheets:
            stored.write(bson.encode({"name": sheet.name, "lines": [
                line.__dict__ for line in sheet.lines]}))
    return stored._id


def _load_parsed(upload: WorkbookUpload) -> list[ParsedSheet]:
    if upload.parsed_id is None:
        raise WorkbookRefused("This upload was already applied or discarded: upload the file "
                              "again.")
    return [ParsedSheet(doc["name"], [ParsedLine(**line) for line in doc["lines"]])
            for doc in bson.decode_file_iter(_files().get(upload.parsed_id))]


def _remove_files(upload: WorkbookUpload) -> None:
    for file_id in (upload.file_id, upload.parsed_id, upload.plan_id):
        if file_id is not None:
            _files().delete(file_id)
    WorkbookUpload.objects(id=upload.pk).update_one(unset__file_id=True, unset__parsed_id=True,
                                                    unset__plan_id=True)


STAGE_CHUNK = 500


def _store_plan(plan: ImportPlan) -> ObjectId:
    """The writes and audit entries of an error-free preview, as BSON chunks."""
    with _files().new_file(filename="plan.bson", kind="plan") as stored:
        stored.write(bson.encode({"expected": plan.expected,
                                  "new_customers": plan.new_customers,
                                  "new_products": plan.new_products,
                                  "aliases": [list(a) for a in plan.aliases]}))
        for start in range(0, len(plan.line_ops), STAGE_CHUNK):
            stored.write(bson.encode({"ops": plan.line_ops[start:start + STAGE_CHUNK]}))
        for start in range(0, len(plan.audits), STAGE_CHUNK):
            stored.write(bson.encode({"audits": [
                list(a) for a in plan.audits[start:start + STAGE_CHUNK]]}))
    return stored._id


def _load_plan(plan_id: ObjectId) -> ImportPlan:
    chunks = bson.decode_file_iter(_files().get(plan_id),
                                   codec_options=bson.CodecOptions(tz_aware=True))
    head = next(chunks)
    plan = ImportPlan(expected=head["expected"], new_customers=head["new_customers"],
                      new_products=head["new_products"],
                      aliases=[tuple(a) for a in head["aliases"]])
    for chunk in chunks:
        plan.line_ops.extend(chunk.get("ops", []))
        plan.audits.extend(tuple(a) for a in chunk.get("audits", []))
    return plan


def _state_key(lines: Iterable[dict[str, Any]], customers: list[Customer],
               sheets: list[SheetMatch], create_items: bool) -> str:
    """A digest of what a preview's writes depend on: the versions of the lines of the
    customers the sheets go to, the rep's customers (names, aliases) and the sheet mapping."""
    import hashlib

    targeted = {m.customer.pk for m in sheets if m.customer is not None}
    versions = sorted((str(d["_id"]), d.get("version")) for d in lines
                      if d["customer"] in targeted)
    names = sorted((str(c.pk), c.sop_name_key, tuple(c.aliases or ())) for c in customers)
    mapping = [(m.name, str(m.customer.pk) if m.customer else "", m.match) for m in sheets]
    return hashlib.sha1(repr((versions, names, mapping, create_items)).encode(),
                        usedforsecurity=False).hexdigest()


def _stored_plan(upload: WorkbookUpload) -> ImportPlan | None:
    """The preview's writes, if the database has not moved since the preview (else None:
    they are computed again)."""
    if upload.plan_id is None or not upload.state_key:
        return None
    lines = _rep_lines(upload.cycle, upload.rep, {"_id": 1, "version": 1, "customer": 1})
    customers = list(Customer.objects(sales_rep=upload.rep.pk, active=True).order_by("code"))
    if _state_key(lines, customers, upload.sheets, upload.create_items) != upload.state_key:
        return None
    return _load_plan(upload.plan_id)


def _problem_documents(problems: Iterable[RowProblem]) -> list[ImportProblem]:
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.sheet, p.row or 0))
    return [ImportProblem(sheet=p.sheet, row=p.row or None, column=p.column,
                          value=None if p.value is None else str(p.value)[:200],
                          message=p.message, severity=p.severity)
            for p in ordered[:STORED_PROBLEMS]]


def _save_preview(upload: WorkbookUpload, plan: ImportPlan, state: PlanState
                  ) -> WorkbookUpload:
    counts = plan.counts()
    if upload.plan_id is not None:
        _files().delete(upload.plan_id)
        upload.plan_id = upload.state_key = None
    if not plan.errors:
        upload.plan_id = _store_plan(plan)
        upload.state_key = _state_key(state.lines, state.customers, upload.sheets,
                                      upload.create_items)
    for match in upload.sheets:
        match.lines = next((c.kept for c in plan.changes if c.sheet == match.name), 0)
    upload.counts = counts
    upload.changes = [c.as_dict() for c in plan.changes]
    upload.problems = _problem_documents(plan.problems)
    upload.save()
    return upload


def start_upload(actor: User | None, cycle: Cycle, rep: User, file_name: str, data: bytes,
                 create_items: bool = False, in_worker: bool = True) -> WorkbookUpload:
    """Check and store an uploaded workbook, then read and preview it: in the `imports`
    worker (the page shows its progress), or here (`in_worker=False`: the command line).
    Nothing in the plan changes."""
    _check_import(actor, cycle, rep)
    kind = check_upload(data)
    for pending in WorkbookUpload.objects(cycle=cycle, rep=rep,
                                          status__in=["reading", "previewed"]):
        _discard(pending)  # one pending preview per plan
    file_id = ObjectId()
    try:
        with stored_whole(_files(), file_id, file_name):
            _files().put(data, _id=file_id, filename=file_name[:255], kind="upload",
                         uploaded_at=now())
            upload = WorkbookUpload(cycle=cycle, rep=rep, uploaded_by=actor,
                                    file_name=(file_name or "workbook.xlsx")[:255],
                                    file_size=len(data), file_kind=kind, file_id=file_id,
                                    create_items=create_items, status="reading").save()
        if not in_worker:
            return read_workbook_upload(str(upload.pk))
        return queue_import_job("sop.jobs.workbooks.read_workbook_upload", upload,
                                f"Read rep workbook {upload.file_name[:60]}", _files(), file_id)
    except UploadRefused as exc:
        raise WorkbookRefused(str(exc)) from None


def read_workbook_upload(upload_id: str) -> WorkbookUpload:
    """Read a stored upload and save its preview (the `imports` job); a file that cannot be
    read ends `failed` with the sentence saying why."""
    upload = WorkbookUpload.objects.get(id=upload_id)
    if upload.status != "reading":
        return upload  # done already: a requeued job changes nothing
    cycle, rep = upload.cycle, upload.rep

    shown = [0.0]  # when progress was last written: at most every PROGRESS_SECONDS

    def progress(done: int, total: int) -> None:
        if time.monotonic() - shown[0] >= PROGRESS_SECONDS:
            shown[0] = time.monotonic()
            WorkbookUpload.objects(id=upload.pk).update_one(set__sheets_read=done,
                                                            set__sheets_total=total)

    data = _files().get(upload.file_id).read()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:  # the database answers while we parse
            loading = pool.submit(load_state, cycle, rep)
            sheets, problems, _ = read_upload(data, cycle, progress)
            state = loading.result()
    except WorkbookRefused as exc:
        WorkbookUpload.objects(id=upload.pk).update_one(set__status="failed",
                                                        set__error_message=str(exc))
        _remove_files(upload)
        return upload.reload()
    file_problems = list(problems)
    upload.parsed_id = _store_parsed(sheets)
    upload.file_problems = _problem_documents(file_problems)
    upload.sheets = match_sheets(rep, [s.name for s in sheets], state=state)
    upload.status = "previewed"
    plan = plan_import(upload.uploaded_by, cycle, rep, sheets, upload.sheets, file_problems,
                       upload.create_items, state)
    return _save_preview(upload, plan, state)


def _file_problems(upload: WorkbookUpload) -> list[RowProblem]:
    return [RowProblem(p.sheet or "", p.row or 0, p.column or "", p.value, p.message,
                       p.severity) for p in upload.file_problems or []]


def _require_pending(upload: WorkbookUpload) -> None:
    if upload.status != "previewed":
        raise WorkbookRefused(f"This upload is {upload.status}: upload the file again to make "
                              "another change.")


def refresh_preview(actor: User | None, upload: WorkbookUpload) -> tuple[WorkbookUpload,
                                                                         ImportPlan]:
    """The preview computed again from the database as it is now."""
    sheets = _load_parsed(upload)
    state = load_state(upload.cycle, upload.rep)
    upload.sheets = match_sheets(upload.rep, [s.name for s in sheets], upload.sheets, state)
    plan = plan_import(actor, upload.cycle, upload.rep, sheets, upload.sheets,
                       _file_problems(upload), upload.create_items, state)
    return _save_preview(upload, plan, state), plan


def resolve_sheet(actor: User, upload: WorkbookUpload, sheet_name: str, target: str
                  ) -> WorkbookUpload:
    """Map an unknown sheet to one of the rep's customers (its name becomes an alias on
    confirm), create the customer from the sheet name (admins), or undo the decision."""
    _require_pending(upload)
    _check_import(actor, upload.cycle, upload.rep)
    match = next((m for m in upload.sheets if m.name == sheet_name), None)
    if match is None:
        raise WorkbookRefused("That sheet is not in the upload.")
    if target == "create":
        if actor.role != "admin":
            raise WorkbookRefused("Only an admin can create customers: map the sheet to one of "
                                  "the customers, or ask an admin.")
        match.customer, match.match = None, "create"
    elif target:
        customer = scoped(Customer, actor).filter(id=target if ObjectId.is_valid(target)
                                                  else None, sales_rep=upload.rep.pk,
                                                  active=True).first()
        if customer is None:
            raise WorkbookRefused(f"Choose one of {upload.rep.full_name}'s customers.")
        other = next((m.name for m in upload.sheets
                      if m.customer is not None and m.customer.pk == customer.pk
                      and m.name != sheet_name), None)
        if other is not None:
            raise WorkbookRefused(f"{customer.sop_name} already gets sheet \"{other}\": one "
                                  "sheet per customer.")
        match.customer, match.match = customer, "mapped"
    else:
        match.customer, match.match = None, "unmatched"
    upload.save()
    return refresh_preview(actor, upload)[0]


def confirm_upload(actor: User | None, upload: WorkbookUpload) -> WorkbookUpload:
    """Apply the upload as the database stands now, all or nothing."""
    _require_pending(upload)
    _check_import(actor, upload.cycle, upload.rep)
    plan = _stored_plan(upload)
    if plan is None:  # the database moved since the preview: compute it again
        upload, plan = refresh_preview(actor, upload)
    if plan.unresolved:
        raise WorkbookRefused(f"Resolve the sheets without a customer first: "
                              f"{', '.join(plan.unresolved)}.")
    if plan.errors:
        raise WorkbookRefused(f"The workbook has {plan.errors} error(s): fix them in the file "
                              "and upload it again.")
    claimed = WorkbookUpload.objects(id=upload.pk, status="previewed").update_one(
        set__status="applying")
    if not claimed:
        raise WorkbookRefused("This upload is already being applied.")
    try:
        apply_plan(actor, upload.cycle, upload.rep, plan, upload.file_name, upload.pk,
                   upload.counts)
    except Exception:  # nothing was written; the next confirm computes the writes afresh
        if upload.plan_id is not None:
            _files().delete(upload.plan_id)
        WorkbookUpload.objects(id=upload.pk).update_one(
            set__status="previewed", unset__plan_id=True, unset__state_key=True)
        raise
    WorkbookUpload.objects(id=upload.pk).update_one(
        set__status="applied", set__applied_at=now(), set__applied_by=actor)
    _remove_files(upload)
    return upload.reload()


def _discard(upload: WorkbookUpload) -> None:
    _remove_files(upload)
    WorkbookUpload.objects(id=upload.pk).update_one(set__status="discarded")


def discard_upload(actor: User, upload: WorkbookUpload) -> None:
    _require_pending(upload)
    _discard(upload)


def discard_stale_previews(older_than_days: int) -> int:
    """Previews nobody confirmed within the cleanup period are discarded and their stored
    files removed (nightly cleanup). How many."""
    cutoff = now() - timedelta(days=older_than_days)
    stale = list(WorkbookUpload.objects(status="previewed", created_at__lt=cutoff))
    for upload in stale:
        _discard(upload)
    return len(stale)


def recent_uploads(viewer: User, cycle: Cycle | None, limit: int = 10) -> list[WorkbookUpload]:
    query = scoped(WorkbookUpload, viewer)
    if cycle is not None:
        query = query.filter(cycle=cycle)
    return list(query.order_by("-created_at").limit(limit).select_related(max_depth=1))


# --- the command line ---------------------------------------------------------------------------

def summary(plan: ImportPlan, cycle: Cycle, rep: User, file_name: str, dry_run: bool
            ) -> dict[str, Any]:
    """Per customer sheet and in total: lines kept, new-item lines, cases M1-M12 and M1-M16,
    revenue M1-M12 at the entered and at the effective prices."""
    def figures(change: CustomerSheetChange) -> dict[str, Any]:
        return {"lines_kept": change.kept, "new_item_lines": change.new_items,
                "cases_m1_m12": round(change.cases_after, 4),
                "cases_m1_m16": round(change.cases_all, 4),
                "revenue_m1_m12_entered": round(change.revenue_entered, 2),
                "revenue_m1_m12_effective": round(change.dollars_after, 2),
                "added": change.added, "changed": change.changed, "removed": change.removed,
                "unchanged": change.unchanged}

    sheets = [{"sheet": c.sheet, "customer": c.customer_label, "match": c.match, **figures(c)}
              for c in plan.changes]
    totals = figures(CustomerSheetChange("", None, "", "", **{
        key: sum(getattr(c, key) for c in plan.changes)
        for key in ("kept", "new_items", "added", "changed", "removed", "unchanged",
                    "cases_after", "cases_all", "revenue_entered", "dollars_after")}))
    return {"file": file_name, "cycle": cycle.label, "rep": rep.email, "dry_run": dry_run,
            "applied": not dry_run and not plan.errors, "sheets": sheets, "total": totals,
            "created_customers": [d["code"] for d in plan.new_customers],
            "created_items": [d["item_code"] for d in plan.new_products],
            "errors": plan.errors, "warnings": plan.warnings, "notes": plan.notes,
            "problems": [{"sheet": p.sheet, "row": p.row, "column": p.column,
                          "value": None if p.value is None else str(p.value),
                          "message": p.message, "severity": p.severity}
                         for p in plan.problems[:200]]}


def import_workbook(actor: User | None, cycle: Cycle, rep: User, file_name: str, data: bytes,
                    create_missing: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """The command line's import: the web's functions, with unknown sheets and items created
    (`create_missing`) instead of refused, and `dry_run` writing nothing at all."""
    _check_import(actor, cycle, rep)
    if dry_run:
        sheets, problems, _ = read_upload(data, cycle)
        matches = match_sheets(rep, [s.name for s in sheets])
        if create_missing:
            for match in matches:
                if match.match == "unmatched":
                    match.match = "create"
        plan = plan_import(actor, cycle, rep, sheets, matches, list(problems), create_missing)
        return summary(plan, cycle, rep, file_name, dry_run=True)
    upload = start_upload(actor, cycle, rep, file_name, data, create_items=create_missing,
                          in_worker=False)
    if upload.status == "failed":
        raise WorkbookRefused(upload.error_message or "The workbook could not be read.")
    if create_missing:
        for match in upload.sheets:
            if match.match == "unmatched":
                match.match = "create"
        upload.save()
    upload, plan = refresh_preview(actor, upload)
    if plan.errors:
        _discard(upload)
        return summary(plan, cycle, rep, file_name, dry_run=False)
    confirm_upload(actor, upload)
    return summary(plan, cycle, rep, file_name, dry_run=False)


# --- the consolidated plan (DOMAIN.md §5.2) ----------------------------------------------------

def export_consolidated(viewer: User | None, cycle: Cycle) -> bytes:
    """The §5.2 sheet and its pivots for every line `viewer` may see (audited)."""
    from sop.excel.consolidated import write_consolidated

    rep_ids = None if viewer is None else visible_reps(viewer)
    scope = "every rep" if rep_ids is None else f"the lines of {viewer.full_name}"
    data = write_consolidated(consolidated_rows(cycle, rep_ids), cycle.bucket_months, about=[
        f"Consolidated plan of {cycle.name} ({scope}), exported {now():%Y-%m-%d %H:%M} UTC.",
        "One row per line with volume; $ at effective prices: the entered price, else the "
        "line's last earlier price, else the customer's price, else the list price (as "
        "frozen when the cycle closed, once it is closed)."])
    record_audit("consolidated_exported", f"Consolidated plan of {cycle.name} exported.",
                 actor=viewer, entity_type="cycle", entity_id=cycle.pk)
    return data


# --- pages ------------------------------------------------------------------------------------

def may_see_cycle(viewer: User, cycle: Cycle) -> bool:
    """Reps work in cycles that were opened; admins and managers see drafts too."""
    return viewer.role in ("admin", "manager") or cycle.status != "draft"


def visible_cycles(viewer: User) -> list[Cycle]:
    query = Cycle.objects if viewer.role in ("admin", "manager") else Cycle.objects(
        status__ne="draft")
    return list(query.order_by("-year", "-month").limit(24))


def default_cycle() -> Cycle | None:
    from sop.cycles.services import current_open_cycle

    return current_open_cycle() or Cycle.objects(status__ne="draft").order_by(
        "-year", "-month").first()


def index_page(viewer: User, cycle_id: str | None, rep_id: str | None) -> dict[str, Any]:
    """The download and upload page: the chosen cycle and rep (a rep is always themself)."""
    cycles = visible_cycles(viewer)
    cycle = next((c for c in cycles if str(c.pk) == cycle_id), None) or default_cycle()
    if cycle is not None and not may_see_cycle(viewer, cycle):
        cycle = None
    reps = sales_reps() if viewer.role in ("admin", "manager") else (
        [viewer] if viewer.role == "sales_rep" else [])
    rep = next((r for r in reps if str(r.pk) == rep_id), None) if rep_id else None
    if viewer.role == "sales_rep":
        rep = viewer
    editable = bool(cycle and rep and plan_is_editable(cycle, rep))
    return {"cycles": cycles, "cycle": cycle, "reps": reps, "rep": rep,
            "rep_codes": {str(r.pk): rep_code(r) for r in reps},
            "file_name": workbook_file_name(cycle, rep) if cycle and rep else None,
            "editable": editable,
            "may_upload": viewer.role in ("admin", "sales_rep") and cycle is not None,
            "uploads": recent_uploads(viewer, cycle) if cycle else []}


def preview_page(viewer: User, upload: WorkbookUpload) -> dict[str, Any]:
    taken = {m.customer.pk for m in upload.sheets if m.customer is not None}
    choices = [c for c in Customer.objects(sales_rep=upload.rep.pk, active=True).order_by(
        "sop_name_key", "code") if c.pk not in taken]
    acting = viewer.role in ("admin", "sales_rep")
    pending = upload.status == "previewed"
    editable = plan_is_editable(upload.cycle, upload.rep)
    counts = upload.counts or {}
    return {"record": upload, "choices": choices, "may_resolve": acting and pending,
            "may_create": viewer.role == "admin" and pending,
            "editable": editable,
            "may_confirm": acting and pending and editable and not counts.get("errors"),
            "errors": [p for p in upload.problems if p.severity == "error"],
            "warnings": [p for p in upload.problems if p.severity == "warning"],
            "notes": [p for p in upload.problems if p.severity == "note"]}
