from mongoengine import DateTimeField, Document, DynamicField, StringField

from sop.clock import now


class Setting(Document):
    """A stored setting value. What a key means, its type and bounds live in sop.settings."""

    key = StringField(primary_key=True)
    value = DynamicField()
    updated_by = StringField()  # e-mail of the admin who last changed it
    updated_at = DateTimeField(default=now)

    COLLECTION = "settings"
    meta = {"collection": COLLECTION}
