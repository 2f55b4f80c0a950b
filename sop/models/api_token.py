"""API tokens: a secret an integration sends as `Authorization: Bearer …`. Only the SHA-256
of the secret is kept (the secret is 256 random bits, so a fast hash is enough)."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    ListField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.user import User

API_SCOPES = ("read", "write", "admin")


class ApiToken(Document):
    """A named token of one user, with scopes no wider than the user's role allows."""

    name = StringField(required=True, max_length=80)
    owner = ReferenceField(User, required=True)
    scopes = ListField(StringField(choices=API_SCOPES))
    token_hash = StringField(required=True, unique=True)  # sha256 hex of the secret
    prefix = StringField(max_length=12)  # the secret's first characters, to tell tokens apart
    expires_at = DateTimeField()
    last_used_at = DateTimeField()
    revoked = BooleanField(default=False)
    revoked_at = DateTimeField()
    created_by = ReferenceField(User)
    created_at = DateTimeField(default=now)

    rep_scope = "owner"  # sop.security.scoped: a rep sees only their own tokens

    COLLECTION = "api_tokens"
    meta = {
        "collection": COLLECTION,
        "indexes": [("owner", "-created_at")],
        "ordering": ["-created_at"],
    }

    @property
    def is_expired(self) -> bool:
        return bool(self.expires_at and self.expires_at <= now())

    @property
    def is_usable(self) -> bool:
        return not self.revoked and not self.is_expired
