"""Roles and row-level scoping: the ONE place that decides what a user may see.

Every rep-visible query goes through `scoped()`. A document opts in by declaring
`rep_scope = "<field>"` (a reference to the owning rep, or `"id"` for the user itself) or
`rep_scope = "customer:<field>"` (rows hanging off a customer, visible when the customer is the
rep's), or `rep_scope = "all"` for shared reference data such as the item catalog. Admins and
managers see everything; a document without `rep_scope` is refused for reps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from mongoengine import Document, ValidationError
from mongoengine.queryset import QuerySet

from sop.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])

SEES_ALL_ROLES = frozenset({"admin", "manager"})


def role_required(*roles: str) -> Callable[[F], F]:
    """Signed in with one of `roles`, else the login page (anonymous) or 403 (audited)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                deny_access(f"needs role {' or '.join(roles)}")
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def deny_access(reason: str) -> None:
    """Audit a refused action and answer 403."""
    from flask import request

    from sop.audit import record_audit

    user = current_user if current_user.is_authenticated else None
    record_audit(
        "access_denied", f"Refused {request.method} {request.path}: {reason}.",
        actor=user, severity="warning",
    )
    abort(403)


def scoped(document: type[Document], user: Any, within: QuerySet | None = None) -> QuerySet:
    """The rows of `document` (of the queryset `within`, when given) that `user` may see."""
    queryset = document.objects if within is None else within
    if user.role in SEES_ALL_ROLES:
        return queryset
    scope = getattr(document, "rep_scope", None)
    if scope is None:
        return queryset.none()
    if scope == "all":
        return queryset
    if scope.startswith("customer:"):
        from sop.models import Customer

        field = scope.split(":", 1)[1]
        own_customers = Customer.objects(sales_rep=user.pk).scalar("id")
        return queryset.filter(**{f"{field}__in": list(own_customers)})
    return queryset.filter(**{scope: user.pk})


def scoped_filter(model: type[Document], user: Any) -> dict[str, Any]:
    """The raw pymongo filter equivalent of `scoped(model, user)`, for reads that go to the
    collection directly: merge it into the query with `scoped_query`. Empty for admins,
    managers and shared reference data; matches nothing for a model reps may not see."""
    if user.role in SEES_ALL_ROLES:
        return {}
    scope = getattr(model, "rep_scope", None)
    if scope is None:
        return {"_id": {"$in": []}}
    if scope == "all":
        return {}
    if scope.startswith("customer:"):
        from sop.models import Customer

        field = scope.split(":", 1)[1]
        own_customers = list(Customer.objects(sales_rep=user.pk).scalar("id"))
        return {getattr(model, field).db_field: {"$in": own_customers}}
    return {getattr(model, scope).db_field: user.pk}


def scoped_query(model: type[Document], user: Any, query: dict[str, Any]) -> dict[str, Any]:
    """`query` narrowed to the rows of `model` that `user` may see (scoped_filter)."""
    scope = scoped_filter(model, user)
    if not scope:
        return query
    if scope.keys() & query.keys():
        return {"$and": [query, scope]}
    return {**query, **scope}


def visible_reps(user: Any) -> list[Any] | None:
    """Whose plans `user` sees: None for every rep (admins, managers), else the rep's own id:
    the rep scope of a plan (ForecastLine) as a list of rep ids."""
    from sop.models import ForecastLine

    scope = scoped_filter(ForecastLine, user)
    return None if not scope else [scope[ForecastLine.rep.db_field]]


def get_scoped_or_404(document: type[Document], user: Any, within: QuerySet | None = None,
                      **lookup: Any) -> Any:
    """One visible row (of `within`, when given), or 404: a rep cannot tell another rep's
    rows from missing ones."""
    try:
        found = scoped(document, user, within).filter(**lookup).first()
    except ValidationError:  # a malformed id in the URL
        found = None
    if found is None:
        abort(404)
    return found


def get_scoped_cached_or_404(document: type[Document], user: Any, object_id: Any) -> Any:
    """`get_scoped_or_404(document, user, id=object_id)` for the hottest path (a cell save on
    every Tab): the row is read by id once per process until its collection is next written
    (sop.listing.cached_until_written), and the same rep scope as `scoped` is checked on it.
    Rows scoped through their customer are read as `get_scoped_or_404` reads them."""
    from bson import ObjectId

    from sop.listing import cached_until_written

    scope = getattr(document, "rep_scope", None)
    sees_all = user.role in SEES_ALL_ROLES
    if not sees_all and (scope is None or scope.startswith("customer:")):
        return get_scoped_or_404(document, user, id=object_id)
    if not ObjectId.is_valid(object_id):
        abort(404)
    key = ObjectId(object_id)
    stored = cached_until_written(
        ("scoped-row", document.__name__, key), (document.COLLECTION,),
        lambda: document.objects(id=key).first())
    owner_field = None if sees_all or scope == "all" else getattr(document, scope).db_field
    if stored is None or (owner_field is not None
                          and stored.to_mongo().get(owner_field) != user.pk):
        abort(404)
    return copy.deepcopy(stored)  # the process's copy stays as read, whatever a request does
