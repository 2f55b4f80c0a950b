from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from sop.models import CATEGORIES
from sop.user_input import AmountField, PortalForm


class ProductForm(PortalForm):
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
    weight = AmountField("Weight", validators=[Optional()])
    uom = StringField("Unit of measure", default="CS", validators=[DataRequired(),
                                                                   Length(max=10)])
    list_price = AmountField("List price ($/case)", places=2, validators=[Optional()])
    cost_price = AmountField("Cost price ($/case)", places=2, validators=[Optional()])
    currency = StringField("Currency", default="USD", validators=[DataRequired(),
                                                                  Length(min=3, max=3)])
    submit = SubmitField("Save")
