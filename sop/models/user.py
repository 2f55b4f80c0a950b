from __future__ import annotations

import secrets

from flask_login import UserMixin
from mongoengine import BooleanField, DateTimeField, Document, IntField, StringField

from sop.clock import now

ROLES = ("admin", "manager", "sales_rep")
ROLE_LABELS = {"admin": "Admin", "manager": "Manager", "sales_rep": "Sales rep"}


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Document):
    """A person who signs in. Deactivated, never deleted."""

    email = StringField(required=True, unique=True, max_length=254)  # stored lower-case
    full_name = StringField(required=True, max_length=120)
    full_name_lower = StringField()  # for anchored, case-insensitive search
    username = StringField(max_length=60)
    role = StringField(required=True, choices=ROLES)
    active = BooleanField(default=True)
    password_hash = StringField(required=True)
    failed_login_count = IntField(default=0)
    locked_until = DateTimeField()
    last_login_at = DateTimeField()
    password_changed_at = DateTimeField()
    # Part of the id Flask-Login keeps in the session cookie: rotating it ends every session
    # of the user (logout, password change, deactivation).
    session_token = StringField(required=True, default=new_session_token)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    rep_scope = "id"  # sop.security.scoped: a rep sees only their own account

    COLLECTION = "users"
    meta = {
        "collection": COLLECTION,
        "indexes": ["role", "active", "full_name_lower"],
        "ordering": ["full_name_lower"],
    }

    def clean(self) -> None:
        self.email = (self.email or "").strip().lower()
        self.full_name = (self.full_name or "").strip()
        self.full_name_lower = self.full_name.lower()

    def get_id(self) -> str:
        return f"{self.pk}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot sign in
        return bool(self.active)

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > now())

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"
