"""Sign-in, lockout, passwords and reset links. No Flask request objects in here."""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import timedelta

import bcrypt
from bson import ObjectId
from bson.errors import InvalidId
from flask import current_app

from sop.audit import record_audit
from sop.clock import now
from sop.listing import cached_until_written
from sop.models import PasswordResetToken, User
from sop.models.user import new_session_token

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
RESET_LINK_LIFETIME = timedelta(hours=1)
MIN_PASSWORD_LENGTH = 10
SIGN_IN_REFUSED = (
    "Wrong e-mail or password. After 5 failed attempts an account is locked for 15 minutes."
)


class AuthError(Exception):
    """A refusal whose message is safe to show the user."""


def hash_password(password: str) -> str:
    rounds = current_app.config.get("BCRYPT_ROUNDS", 12)
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def password_matches(password_hash: str, password: str) -> bool:
    return bcrypt.checkpw(password.encode(), password_hash.encode())


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password, as sentences; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    classes = sum((
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))
    if password and classes < 2:
        problems.append("Mix at least two kinds of characters (lower case, upper case, digits, "
                        "symbols).")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("Do not use your e-mail address as password.")
    return problems


def generate_password() -> str:
    """A random password that always satisfies the policy."""
    return secrets.token_urlsafe(12) + "-7a"


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: `<user id>:<session token>`; a rotated token ends the session.
    The account is read again once users are written (any deactivation, role change or
    rotated token), not on every request: sop.listing.cached_until_written."""
    user_id, _, token = session_id.partition(":")
    try:
        key = ObjectId(user_id)
    except InvalidId:
        return None
    # not rep-scoped: signing in reads the session's own account
    stored = cached_until_written(("session-user", key), ("users",), lambda: (
        User.objects(id=key, active=True).first()))
    if stored is None or not token or not secrets.compare_digest(
            stored.session_token or "", token):
        return None
    return copy.deepcopy(stored)  # the process's copy stays as read, whatever a request does


_TIMING_DUMMY_HASH: dict[int, str] = {}


def _spend_hash_time() -> None:
    """Check a dummy hash so unknown e-mails take as long as wrong passwords."""
    rounds = current_app.config.get("BCRYPT_ROUNDS", 12)
    if rounds not in _TIMING_DUMMY_HASH:
        _TIMING_DUMMY_HASH[rounds] = bcrypt.hashpw(b"dummy", bcrypt.gensalt(rounds)).decode()
    bcrypt.checkpw(b"not-the-password", _TIMING_DUMMY_HASH[rounds].encode())


def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to, or AuthError with one message for every refusal."""
    email = (email or "").strip().lower()
    user = User.objects(email=email).first()
    if user is None or not user.active:
        _spend_hash_time()
        record_audit("user_login_failed", f"Failed sign-in for {email[:254]!r}: unknown or "
                     "inactive account.", severity="warning", entity_type="user",
                     entity_id=user.pk if user else None)
        raise AuthError(SIGN_IN_REFUSED)
    if user.is_locked:
        _spend_hash_time()
        record_audit("user_login_failed", f"Sign-in refused for {user.email}: account locked.",
                     actor=user, severity="warning", entity_type="user", entity_id=user.pk)
        raise AuthError(SIGN_IN_REFUSED)
    if not password_matches(user.password_hash, password or ""):
        register_failed_login(user)
        raise AuthError(SIGN_IN_REFUSED)
    User.objects(id=user.pk).update_one(
        set__failed_login_count=0, unset__locked_until=True, set__last_login_at=now()
    )
    user.reload()
    record_audit("user_login", f"{user.email} signed in.", actor=user, entity_type="user",
                 entity_id=user.pk)
    return user


def register_failed_login(user: User) -> None:
    """Count a wrong password atomically; the fifth in a row locks the account."""
    updated = User.objects(id=user.pk).modify(inc__failed_login_count=1, new=True)
    record_audit("user_login_failed", f"Wrong password for {user.email} "
                 f"(attempt {updated.failed_login_count}).", actor=user, severity="warning",
                 entity_type="user", entity_id=user.pk)
    if updated.failed_login_count >= MAX_FAILED_LOGINS:
        until = now() + LOCKOUT
        User.objects(id=user.pk).update_one(set__locked_until=until, set__failed_login_count=0)
        record_audit("user_locked", f"{user.email} locked for 15 minutes after "
                     f"{MAX_FAILED_LOGINS} failed sign-ins.", actor=user, severity="critical",
                     entity_type="user", entity_id=user.pk,
                     changes={"locked_until": {"before": None, "after": until.isoformat()}})


def sign_out(user: User) -> None:
    """End every session of the user (the token in their cookies stops matching)."""
    User.objects(id=user.pk).update_one(set__session_token=new_session_token())
    record_audit("user_logout", f"{user.email} signed out.", actor=user, entity_type="user",
                 entity_id=user.pk)


def set_password(user: User, new_password: str) -> None:
    """Store a new password; ends other sessions (the caller signs the user in again)."""
    problems = password_problems(new_password, user.email)
    if problems:
        raise AuthError(" ".join(problems))
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now()
    user.session_token = new_session_token()
    user.failed_login_count = 0
    user.locked_until = None
    user.updated_at = now()
    user.save()


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not password_matches(user.password_hash, current_password or ""):
        raise AuthError("Your current password is not right.")
    if current_password == new_password:
        raise AuthError("Choose a password different from the current one.")
    set_password(user, new_password)
    record_audit("user_password_changed", f"{user.email} changed their password.", actor=user,
                 entity_type="user", entity_id=user.pk)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(email: str) -> None:
    """E-mail a one-hour link if the account exists and is active; silent otherwise."""
    from sop.mail import send_email

    user = User.objects(email=(email or "").strip().lower(), active=True).first()
    if user is None:
        return
    token = secrets.token_urlsafe(32)
    record = PasswordResetToken(user=user, token_hash=_token_hash(token),
                                expires_at=now() + RESET_LINK_LIFETIME).save()
    record_audit("user_password_reset_requested", f"Password reset link sent to {user.email}.",
                 actor=user, entity_type="user", entity_id=user.pk)
    send_email(
        "password_reset", to=[user.email], subject="Reset your password",
        context={"user_name": user.full_name, "token": token},
        event_key=f"password_reset:{record.pk}",
    )


def user_for_reset_token(token: str) -> User | None:
    record = PasswordResetToken.objects(token_hash=_token_hash(token or "")).first()
    if record is None or record.used_at or record.expires_at < now() or not record.user.active:
        return None
    return record.user


def reset_password(token: str, new_password: str) -> User:
    """Use a reset link once: the token is claimed atomically before the password changes."""
    user = user_for_reset_token(token)
    if user is None:
        raise AuthError("This reset link is invalid, used or expired. Ask for a new one.")
    problems = password_problems(new_password, user.email)
    if problems:
        raise AuthError(" ".join(problems))
    claimed = PasswordResetToken.objects(token_hash=_token_hash(token), used_at=None).modify(
        set__used_at=now())
    if claimed is None:
        raise AuthError("This reset link is invalid, used or expired. Ask for a new one.")
    set_password(user, new_password)
    record_audit("user_password_reset", f"{user.email} set a new password with a reset link.",
                 actor=user, entity_type="user", entity_id=user.pk)
    return user
