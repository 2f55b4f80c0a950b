"""API token use cases: create (secret returned once), revoke, list, and authenticate a
bearer secret. Every creation, revocation and refused use is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from mongoengine.queryset import QuerySet

from sop.audit import record_audit
from sop.clock import now
from sop.form_submission import FieldError
from sop.models import API_SCOPES, ApiToken, User
from sop.security import scoped

SECRET_PREFIX = "sop_"  # noqa: S105 (a marker in front of every secret, not a secret)
MAX_DAYS = 3650
LAST_USED_PRECISION = timedelta(minutes=1)  # last use is written at most once a minute
# What each role may grant its tokens: never more than the pages let the role do.
ROLE_SCOPES = {"admin": frozenset(API_SCOPES), "manager": frozenset({"read", "write"}),
               "sales_rep": frozenset({"read", "write"})}


class TokenError(FieldError):
    """A refused token creation or revocation; `field` names the input it is about."""


@dataclass
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(raw: str | list[str]) -> list[str]:
    """`read,write` (or a list) as the ordered list of known scopes; unknown ones refused."""
    names = raw.split(",") if isinstance(raw, str) else list(raw)
    wanted = {name.strip().lower() for name in names if name and name.strip()}
    unknown = wanted - set(API_SCOPES)
    if unknown:
        raise TokenError(f"Unknown scope(s) {', '.join(sorted(unknown))}: use "
                         f"{', '.join(API_SCOPES)}.", "scopes")
    if not wanted:
        raise TokenError("Choose at least one scope.", "scopes")
    return [scope for scope in API_SCOPES if scope in wanted]


def create_token(actor: User | None, owner: User, name: str, scopes: list[str],
                 days: int | None = 90) -> CreatedToken:
    """A new token of `owner` (the actor's own, or any account's when an admin creates it:
    a service account). `days` None: no expiry."""
    if actor is not None and actor.pk != owner.pk and actor.role != "admin":
        raise TokenError("Only admins create tokens for other accounts.", "owner")
    if not owner.active:
        raise TokenError("This account is deactivated.", "owner")
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise TokenError("Name the token (at most 80 characters), e.g. ERP nightly push.",
                         "name")
    scopes = parse_scopes(scopes)
    beyond = set(scopes) - ROLE_SCOPES.get(owner.role, frozenset())
    if beyond:
        raise TokenError(f"A {owner.role_label.lower()} account cannot have the "
                         f"{', '.join(sorted(beyond))} scope.", "scopes")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(f"Expiry: from 1 to {MAX_DAYS} days.", "days")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, owner=owner, scopes=scopes, token_hash=secret_hash(secret),
                     prefix=secret[:10], created_by=actor,
                     expires_at=now() + timedelta(days=days) if days else None).save()
    record_audit("api_token_created", f"API token '{name}' ({', '.join(scopes)}) created for "
                 f"{owner.email}" + (f", expires in {days} days." if days else ", no expiry."),
                 actor=actor, entity_type="api_token", entity_id=token.pk, severity="warning",
                 changes={"scopes": {"before": None, "after": scopes},
                          "owner": {"before": None, "after": owner.email}})
    return CreatedToken(token, secret)


def revoke_token(actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke for good (idempotent). The owner or an admin."""
    if actor is not None and actor.pk != token.owner.pk and actor.role != "admin":
        raise TokenError("Only the owner or an admin revokes a token.")
    if token.revoked:
        return token
    ApiToken.objects(id=token.pk).update_one(set__revoked=True, set__revoked_at=now())
    token.reload()
    record_audit("api_token_revoked", f"API token '{token.name}' of {token.owner.email} "
                 "revoked.", actor=actor, entity_type="api_token", entity_id=token.pk,
                 severity="warning", changes={"revoked": {"before": False, "after": True}})
    return token


def tokens_of(viewer: User, owner: User | None = None) -> QuerySet:
    """The tokens `viewer` may see (own; every one for admins), optionally of one owner."""
    queryset = scoped(ApiToken, viewer)
    if viewer.role != "admin":
        queryset = queryset.filter(owner=viewer)
    elif owner is not None:
        queryset = queryset.filter(owner=owner)
    return queryset.order_by("-created_at")


def token_by_hash(digest: str) -> ApiToken | None:
    """The token with its owner, kept per process until tokens or users are next written (a
    revocation, a deactivation or a role change is seen by the next request)."""
    from sop.listing import cached_until_written

    def read() -> ApiToken | None:
        token = ApiToken.objects(token_hash=digest).first()
        if token is not None:
            _ = token.owner.role  # loaded now, kept with the token
        return token

    return cached_until_written(("api-token", digest), ("api_tokens", "users"), read)


def authenticate(secret: str) -> tuple[ApiToken | None, str | None]:
    """(token, None) for a usable token of an active account, else (None, why refused).
    A refused use of a known token is audited on it."""
    if not secret:
        return None, "missing"
    token = token_by_hash(secret_hash(secret))
    if token is None:
        return None, "unknown"
    owner = token.owner
    why = ("revoked" if token.revoked else "expired" if token.is_expired
           else "account deactivated" if not owner.active else None)
    if why:
        record_audit("api_token_refused", f"Use of API token '{token.name}' of {owner.email} "
                     f"refused: {why}.", actor=owner, entity_type="api_token",
                     entity_id=token.pk, severity="warning")
        return None, why
    stamp = now()
    if token.last_used_at is None or stamp - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects(id=token.pk).update_one(set__last_used_at=stamp)
    return token, None

