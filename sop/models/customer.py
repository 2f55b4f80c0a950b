from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    FloatField,
    ListField,
    ReferenceField,
    StringField,
)

from sop.clock import now
from sop.models.user import User


def name_key(name: str | None) -> str:
    """How S&OP names and aliases are matched: trimmed, inner spaces collapsed, case-folded."""
    return " ".join((name or "").split()).casefold()


class Customer(Document):
    """A customer account. Several legal accounts may share one S&OP name (the rep workbook's
    sheet name); `aliases` are other spellings seen in imports."""

    code = StringField(required=True, unique=True, max_length=40)  # e.g. PATITO-000001
    code_lower = StringField()
    name = StringField(required=True, max_length=200)
    name_lower = StringField()
    sop_name = StringField(required=True, max_length=31)
    sop_name_key = StringField()
    sales_rep = ReferenceField(User)
    territory = StringField(max_length=80)
    corporate_group = StringField(max_length=120)
    address = StringField(max_length=200)
    city = StringField(max_length=80)
    state = StringField(max_length=80)
    postal_code = StringField(max_length=20)
    country = StringField(max_length=80)
    contact_name = StringField(max_length=120)
    contact_email = StringField(max_length=254)
    contact_phone = StringField(max_length=40)
    payment_terms = StringField(max_length=60)
    credit_limit = FloatField(min_value=0)
    active = BooleanField(default=True)
    aliases = ListField(StringField(max_length=120))  # stored as name_key()
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    rep_scope = "sales_rep"  # sop.security.scoped: a rep sees own customers only

    COLLECTION = "customers"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            "code_lower", "name_lower", "sop_name_key", "aliases",
            ("sales_rep", "active", "sop_name_key"),
            ("active", "sop_name_key", "code_lower"),  # the list's default: active, by name
            ("territory", "sop_name_key"), ("corporate_group", "sop_name_key"),
        ],
        "ordering": ["sop_name_key", "code"],
    }

    def clean(self) -> None:
        self.code = (self.code or "").strip()
        self.code_lower = self.code.lower()
        self.name = (self.name or "").strip()
        self.name_lower = self.name.lower()
        self.sop_name = (self.sop_name or self.name)[:31]
        self.sop_name_key = name_key(self.sop_name)
        self.aliases = sorted({name_key(a) for a in self.aliases or [] if name_key(a)})

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
