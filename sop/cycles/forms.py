from __future__ import annotations

from datetime import date

from wtforms import DateField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from sop.months import parse_year_month
from sop.user_input import PortalForm


class MonthField(StringField):
    """A calendar month typed as YYYY-MM (a native month picker where the browser has one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"type": "month", "placeholder": "YYYY-MM"})
        super().__init__(*args, **kwargs)

    def month(self) -> date | None:
        return parse_year_month(self.data) if (self.data or "").strip() else None

    def pre_validate(self, form) -> None:
        if (self.data or "").strip():
            try:
                parse_year_month(self.data)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


class CycleForm(PortalForm):
    month = MonthField("Cycle month", validators=[DataRequired()])
    name = StringField("Name", validators=[Optional(), Length(max=60)],
                       render_kw={"placeholder": "Defaults to e.g. Nov 2025"})
    planning_start = MonthField("Planning starts (M1)", validators=[Optional()])
    open_date = DateField("Open date", validators=[Optional()])
    close_date = DateField("Close date (deadline)", validators=[Optional()])
    submit = SubmitField("Create cycle")


class EditCycleForm(CycleForm):
    month = None  # the month is the cycle's identity: it does not change
    submit = SubmitField("Save")

    def keep_all_but_close_date(self, cycle) -> None:
        """An open cycle: show the frozen fields disabled and keep their stored values."""
        self.name.data = cycle.name
        self.planning_start.data = cycle.planning_start.strftime("%Y-%m")
        self.open_date.data = cycle.open_date
        for field in (self.name, self.planning_start, self.open_date):
            field.render_kw = {**(field.render_kw or {}), "disabled": True}
