from wtforms import (
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional

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
