from mongoengine import DateTimeField, Document, ReferenceField, StringField

from sop.clock import now
from sop.models.user import User


class PasswordResetToken(Document):
    """A one-hour, single-use reset link. Only the SHA-256 of the token is stored."""

    user = ReferenceField(User, required=True)
    token_hash = StringField(required=True, unique=True)
    created_at = DateTimeField(default=now)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()

    COLLECTION = "password_reset_tokens"
    meta = {"collection": COLLECTION, "indexes": ["user", "expires_at"]}
