"""The change a workbook makes: each sheet matched to one of the rep's customers (S&OP name,
then aliases; unknown names resolved by the user), each line checked, and the writes, audit
entries and per-customer summary computed against the database as it is now. Nothing here
writes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from sop.clock import now
from sop.excel.masterdata import RowProblem
from sop.models import Customer, Cycle, Product, User, name_key
from sop.models.workbook import SheetMatch
from sop.plans import (
    MatrixEntry,
    Pair,
    PriceBook,
    cached_catalog,
    cached_matrix,
    pad,
    raw_lines,
    total,
    value_line,
)
from sop.workbooks.reading import ParsedLine, ParsedSheet

YEAR_MONTHS = 12  # "cases M1-M12": the figures every summary shows
ITEM_CODE = re.compile(r"^\d{6}$")


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
    if (before_qty == qty and before_price == price and old.get("probability") == probability
            and bool(old.get("new_item")) == new_item):
        return {}  # most lines of a workbook sent back: the same numbers
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
    return PlanState(customers, cached_catalog(), cached_matrix(c.pk for c in customers),
                     list(raw_lines({"cycle": cycle.pk, "rep": rep.pk}, fields=None)))


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

    figures: dict[tuple[Any, ...], tuple[float, float]] = {}

    def value(pair: tuple[ObjectId, ObjectId], qty: list, price: list) -> tuple[float, float]:
        """Cases and $ M1-M12 (the same numbers at the same fallback price, as an unchanged
        line before and after, are valued once)."""
        fallback = fallbacks.get(pair)
        key = (fallback, tuple(qty), tuple(price))
        found = figures.get(key)
        if found is None:
            valued = value_line({"qty": qty, "price": price}, fallback)
            found = figures[key] = (total(qty, year), total(valued.revenue, year))
        return found

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

