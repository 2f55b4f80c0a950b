from __future__ import annotations

from datetime import date, datetime, time, timedelta

from mongoengine import DateField, DateTimeField, Document, IntField, ReferenceField, StringField

from sop.clock import now
from sop.models.user import User
from sop.months import add_months

CYCLE_STATUSES = ("draft", "open", "closed", "archived")
DEFAULT_HORIZON = 16
DEFAULT_MANDATORY = 12


class Cycle(Document):
    """One monthly S&OP cycle. Its buckets M1..M<horizon> are the planning start month plus
    0..horizon-1; M1..M<mandatory> must be filled to submit. Horizon and mandatory months are
    copied from the settings when the cycle opens and never change after that."""

    year = IntField(required=True, min_value=2000, max_value=2100)
    month = IntField(required=True, min_value=1, max_value=12)
    name = StringField(required=True, max_length=60)  # "Nov 2025"
    planning_start = DateField(required=True)  # first day of M1
    horizon_months = IntField(default=DEFAULT_HORIZON, min_value=1, max_value=36)
    mandatory_months = IntField(default=DEFAULT_MANDATORY, min_value=0, max_value=36)
    open_date = DateField()
    close_date = DateField()  # the deadline: plans are due by the end of this day (UTC)
    status = StringField(required=True, choices=CYCLE_STATUSES, default="draft")
    opened_at = DateTimeField()
    closed_at = DateTimeField()
    snapshot_at = DateTimeField()  # set once closing has frozen every line (plan_source)
    created_by = ReferenceField(User)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    rep_scope = "all"  # every role sees the cycles; what hangs off them is scoped

    COLLECTION = "cycles"
    meta = {
        "collection": COLLECTION,
        "indexes": [
            {"fields": ["year", "month"], "unique": True},
            ("status", "-year", "-month"),
            # At most one open cycle, enforced by the database: two concurrent opens cannot
            # both win (sop.cycles.states.open_cycle).
            {"fields": ["status"], "unique": True, "name": "one_open_cycle",
             "partialFilterExpression": {"status": "open"}},
        ],
        "ordering": ["-year", "-month"],
    }

    @property
    def label(self) -> str:
        """`2025-11`: how the command line names a cycle."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def bucket_months(self) -> list[date]:
        """First day of M1..M<horizon>."""
        return [add_months(self.planning_start, offset) for offset in range(self.horizon_months)]

    @property
    def deadline(self) -> datetime | None:
        """The moment the close date is over (midnight after it, UTC)."""
        if self.close_date is None:
            return None
        return datetime.combine(self.close_date + timedelta(days=1), time.min, tzinfo=now().tzinfo)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __str__(self) -> str:
        return self.name
