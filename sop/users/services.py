"""User administration use cases: create, edit, deactivate/reactivate, unlock, search."""

from __future__ import annotations

from mongoengine.queryset import QuerySet

from sop.audit import field_changes, record_audit
from sop.auth.services import AuthError, hash_password, password_problems, set_password
from sop.clock import now
from sop.excel.writer import Column, table_workbook
from sop.form_submission import FieldError
from sop.listing import export_about, prefix_match
from sop.models import ROLES, AuditEntry, User
from sop.models.user import new_session_token
from sop.pagination import Page, paginate
from sop.security import scoped
from sop.user_input import EmailRefused, email_address


class UserError(FieldError):
    """A refused change; `field` names the form field it belongs to, if any."""


def filtered_users(viewer: User, text: str = "", role: str = "", active: str = "") -> QuerySet:
    """Users whose e-mail or name starts with `text` (anchored, escaped: index-friendly)."""
    queryset = prefix_match(scoped(User, viewer), text, ("email", "full_name_lower"))
    if role in ROLES:
        queryset = queryset.filter(role=role)
    if active in ("yes", "no"):
        queryset = queryset.filter(active=(active == "yes"))
    return queryset.order_by("full_name_lower")


def search_users(viewer: User, text: str = "", role: str = "", active: str = "",
                 page: int = 1) -> Page:
    return paginate(filtered_users(viewer, text, role, active), page)


def _normalised_email(email: str) -> str:
    try:
        return email_address(email)
    except EmailRefused:
        raise UserError("Enter a valid e-mail address.", "email") from None


def _check_email_free(email: str, except_user: User | None = None) -> None:
    clash = User.objects(email=email).first()
    if clash is not None and (except_user is None or clash.pk != except_user.pk):
        raise UserError("Another account already uses this e-mail address.", "email")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"Choose a role: {', '.join(ROLES)}.", "role")


def _active_admin_count() -> int:
    return User.objects(role="admin", active=True).count()


def create_user(actor: User | None, email: str, full_name: str, role: str, password: str,
                username: str = "") -> User:
    email = _normalised_email(email)
    _check_role(role)
    full_name = (full_name or "").strip()
    if not full_name:
        raise UserError("Enter the person's full name.", "full_name")
    _check_email_free(email)
    problems = password_problems(password, email)
    if problems:
        raise UserError(" ".join(problems), "password")
    user = User(email=email, full_name=full_name, role=role, username=username.strip() or None,
                password_hash=hash_password(password), password_changed_at=now())
    user.save()
    record_audit("user_created", f"Account {email} created as {user.role_label}.", actor=actor,
                 entity_type="user", entity_id=user.pk, changes=field_changes(
                     {}, {"email": email, "full_name": full_name, "role": role}))
    return user


def update_user(actor: User, user: User, email: str, full_name: str, role: str) -> User:
    """Edit name, e-mail and role; the last active admin keeps the admin role."""
    email = _normalised_email(email)
    _check_role(role)
    full_name = (full_name or "").strip()
    if not full_name:
        raise UserError("Enter the person's full name.", "full_name")
    _check_email_free(email, except_user=user)
    if user.role == "admin" and role != "admin" and user.active and _active_admin_count() <= 1:
        raise UserError("This is the last active admin: make someone else admin first.", "role")
    before = {"email": user.email, "full_name": user.full_name, "role": user.role}
    after = {"email": email, "full_name": full_name, "role": role}
    changes = field_changes(before, after)
    if not changes:
        return user
    user.email, user.full_name, user.role = email, full_name, role
    user.updated_at = now()
    if "role" in changes or "email" in changes:
        user.session_token = new_session_token()  # new rights or login: sign in again
    user.save()
    action = "user_role_changed" if "role" in changes else "user_updated"
    record_audit(action, f"Account {email} updated ({', '.join(changes)}).", actor=actor,
                 entity_type="user", entity_id=user.pk, changes=changes,
                 severity="warning" if "role" in changes else "info")
    return user


def set_user_active(actor: User, user: User, active: bool) -> User:
    if user.active == active:
        return user
    if not active:
        if user.pk == actor.pk:
            raise UserError("You cannot deactivate your own account.")
        if user.role == "admin" and _active_admin_count() <= 1:
            raise UserError("This is the last active admin: it cannot be deactivated.")
    user.active = active
    user.updated_at = now()
    user.session_token = new_session_token()
    user.save()
    action = "user_reactivated" if active else "user_deactivated"
    record_audit(action, f"Account {user.email} {'reactivated' if active else 'deactivated'}.",
                 actor=actor, entity_type="user", entity_id=user.pk, severity="warning",
                 changes=field_changes({"active": not active}, {"active": active}))
    return user


def unlock_user(actor: User, user: User) -> User:
    if not user.is_locked and not user.failed_login_count:
        return user
    User.objects(id=user.pk).update_one(unset__locked_until=True, set__failed_login_count=0)
    user.reload()
    record_audit("user_unlocked", f"Account {user.email} unlocked by an admin.", actor=actor,
                 entity_type="user", entity_id=user.pk)
    return user


def admin_reset_password(actor: User, user: User, password: str) -> User:
    """An admin sets a new password (typed or generated) for someone else."""
    _set_password_or_refuse(user, password)
    record_audit("user_password_reset", f"Password of {user.email} set by an admin.",
                 actor=actor, entity_type="user", entity_id=user.pk, severity="warning")
    return user


def _set_password_or_refuse(user: User, password: str) -> None:
    try:
        set_password(user, password)
    except AuthError as exc:
        raise UserError(str(exc), "password") from None


def create_or_reset_user(email: str, password: str, role: str, full_name: str = "") -> tuple[
        User, bool]:
    """For `flask create-user`: create the account, or reset its password and role and
    reactivate it. Returns (user, created)."""
    email = _normalised_email(email)
    _check_role(role)
    existing = User.objects(email=email).first()
    if existing is None:
        name = full_name or email.split("@")[0].replace(".", " ").title()
        return create_user(None, email, name, role, password), True
    before = {"role": existing.role, "active": existing.active, "full_name": existing.full_name}
    existing.role = role
    existing.active = True
    if full_name:
        existing.full_name = full_name
    _set_password_or_refuse(existing, password)
    record_audit("user_password_reset", f"Account {email} reset from the command line.",
                 entity_type="user", entity_id=existing.pk, severity="warning",
                 changes=field_changes(before, {"role": role, "active": True,
                                                "full_name": existing.full_name}))
    return existing, False


def recent_activity(user: User, limit: int = 20) -> list[AuditEntry]:
    return list(AuditEntry.objects(actor_id=user.pk).order_by("-at").limit(limit))



EXPORT_COLUMNS = (Column("E-mail", 30), Column("Full name", 24), Column("Role", 10),
                  Column("Active", 8), Column("Locked", 8), Column("Last sign-in (UTC)", 18),
                  Column("Password changed (UTC)", 20))


def export_users(viewer: User, text: str = "", role: str = "", active: str = "") -> bytes:
    """The filtered user list as xlsx (no password data of any kind)."""
    rows = ((u.email, u.full_name, u.role, "Yes" if u.active else "No",
             "Yes" if u.is_locked else "No", u.last_login_at, u.password_changed_at)
            for u in filtered_users(viewer, text, role, active))
    return table_workbook("Users", EXPORT_COLUMNS, rows, export_about(
        "Users", viewer, {"q": text, "role": role, "active": active}))
