from wtforms import (
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from sop.user_input import AmountField, PortalForm


class CustomerForm(PortalForm):
    code = StringField("Customer code", validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "off"})
    name = StringField("Legal name", validators=[DataRequired(), Length(max=200)])
    sop_name = StringField("S&OP name (workbook sheet name)", validators=[Optional(),
                                                                            Length(max=31)])
    sales_rep = SelectField("Sales rep", choices=[], validate_choice=False)
    territory = StringField("Territory", validators=[Optional(), Length(max=80)])
    corporate_group = StringField("Corporate group", validators=[Optional(), Length(max=120)])
    address = StringField("Address", validators=[Optional(), Length(max=200)])
    city = StringField("City", validators=[Optional(), Length(max=80)])
    state = StringField("State", validators=[Optional(), Length(max=80)])
    postal_code = StringField("Postal code", validators=[Optional(), Length(max=20)])
    country = StringField("Country", validators=[Optional(), Length(max=80)])
    contact_name = StringField("Contact name", validators=[Optional(), Length(max=120)])
    contact_email = EmailField("Contact e-mail", validators=[Optional(), Length(max=254)])
    contact_phone = StringField("Contact phone", validators=[Optional(), Length(max=40)])
    payment_terms = StringField("Payment terms", validators=[Optional(), Length(max=60)])
    credit_limit = AmountField("Credit limit ($)", places=2, validators=[Optional()])
    aliases = TextAreaField("Aliases (other spellings seen in files, one per line)",
                            validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Save")


class ReassignForm(PortalForm):
    sales_rep = SelectField("Move the selected customers to", choices=[],
                            validate_choice=False)
    submit = SubmitField("Reassign")
