"""Loading what an API request names (a cycle by id or YYYY-MM, a customer by code, an item
by code, a rep by e-mail or id) through sop.security: not visible reads as not found."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from mongoengine import Document

from sop.api.problems import Problem
from sop.models import Customer, Cycle, Product, User
from sop.months import parse_year_month
from sop.security import scoped


def _missing(what: str, value: Any) -> Problem:
    return Problem(404, f"No {what} {value!r} (or it is not visible to this token).")


def one_visible(document: type[Document], user: User, what: str, value: Any,
                **lookup: Any) -> Any:
    found = scoped(document, user).filter(**lookup).first()
    if found is None:
        raise _missing(what, value)
    return found


def object_id(value: str, what: str) -> ObjectId:
    if not ObjectId.is_valid(value):
        raise _missing(what, value)
    return ObjectId(value)


def cycle_named(user: User, ref: str) -> Cycle:
    """A cycle by its id or its month (YYYY-MM)."""
    if ObjectId.is_valid(ref):
        return one_visible(Cycle, user, "cycle", ref, id=ObjectId(ref))
    try:
        month = parse_year_month(ref)
    except ValueError:
        raise _missing("cycle", ref) from None
    return one_visible(Cycle, user, "cycle", ref, year=month.year, month=month.month)


def customer_coded(user: User, code: str) -> Customer:
    return one_visible(Customer, user, "customer", code, code_lower=code.strip().lower())


def item_coded(user: User, code: str) -> Product:
    return one_visible(Product, user, "item", code, item_code=code.strip())


def rep_named(user: User, ref: str) -> User:
    """A sales rep by e-mail or id; a rep may name only themself."""
    lookup = {"id": ObjectId(ref)} if ObjectId.is_valid(ref) else {"email": ref.strip().lower()}
    return one_visible(User, user, "sales rep", ref, role="sales_rep", **lookup)


def cursor_id(cursor: str | None) -> ObjectId | None:
    if cursor is None:
        return None
    if not ObjectId.is_valid(cursor):
        raise Problem(422, "The cursor is not one this API gave out.",
                      errors=[{"field": "cursor", "message": "Use next_cursor of the "
                               "previous page."}])
    return ObjectId(cursor)
