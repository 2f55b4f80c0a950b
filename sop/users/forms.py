from wtforms import (
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from sop.models import API_SCOPES
from sop.models.user import ROLE_LABELS
from sop.user_input import PortalForm

ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]
PASSWORD_CHOICES = [SelectChoice("generate", "Generate a password (shown once)"),
                    SelectChoice("typed", "Type a password")]


class EditUserForm(PortalForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail (sign-in)", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    submit = SubmitField("Save")


class NewUserForm(EditUserForm):
    role = SelectField("Role", choices=ROLE_CHOICES, default="sales_rep")
    password_mode = RadioField("Password", choices=PASSWORD_CHOICES, default="generate")
    password = PasswordField("Typed password", validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Create user")


class SetPasswordForm(PortalForm):
    password_mode = RadioField("New password", choices=PASSWORD_CHOICES, default="generate")
    password = PasswordField("Typed password", validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")


class ApiTokenForm(PortalForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=80)],
                       render_kw={"placeholder": "e.g. ERP nightly push"})
    scopes = SelectMultipleField("Scopes", choices=[SelectChoice(scope, scope)
                                                   for scope in API_SCOPES], default=["read"],
                                 widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput())
    days = IntegerField("Expires after (days)", default=90,
                        validators=[Optional(), NumberRange(1, 3650)])
    owner_email = EmailField("For the account (admins; blank: yours)",
                             validators=[Optional(), Length(max=254)])
    submit = SubmitField("Create token")
