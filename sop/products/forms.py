from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from sop.models import CATEGORIES


class ProductForm(FlaskForm):
    item_code = StringField("Item code (6 digits)", validators=[DataRequired(), Length(max=6)],
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    description = StringField("Description", validators=[DataRequired(), Length(max=200)])
    group_code = StringField("Group code", validators=[Optional(), Length(max=20)])
    subgroup = StringField("Subgroup", validators=[Optional(), Length(max=60)])
    group_description = StringField("Group description", validators=[Optional(),
                                                                       Length(max=120)])
    category = SelectField("Category", choices=[SelectChoice("", "—")] + [
        SelectChoice(c, c) for c in CATEGORIES], default="")
    manufacturing_location = StringField("Manufacturing location",
                                         validators=[Optional(), Length(max=80)])
    manufacturing_line = StringField("Manufacturing line", validators=[Optional(),
                                                                       Length(max=80)])
    pack_size = StringField("Pack size", validators=[Optional(), Length(max=40)])
    weight = DecimalField("Weight", validators=[Optional(), NumberRange(min=0)])
    uom = StringField("Unit of measure", default="CS", validators=[DataRequired(),
                                                                   Length(max=10)])
    list_price = DecimalField("List price ($/case)", places=2,
                              validators=[Optional(), NumberRange(min=0)])
    cost_price = DecimalField("Cost price ($/case)", places=2,
                              validators=[Optional(), NumberRange(min=0)])
    currency = StringField("Currency", default="USD", validators=[DataRequired(),
                                                                  Length(min=3, max=3)])
    submit = SubmitField("Save")

    def data_for_service(self) -> dict:
        data = {name: field.data for name, field in self._fields.items()
                if name not in ("submit", "csrf_token")}
        for name in ("weight", "list_price", "cost_price"):
            if data[name] is not None:
                data[name] = float(data[name])
        return data
