from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from sop.user_input import PortalForm, ValidEmailAddress


class LoginForm(PortalForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("Sign in")


class ForgotPasswordForm(PortalForm):
    email = EmailField("E-mail", validators=[DataRequired(), ValidEmailAddress(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    submit = SubmitField("Send me a reset link")


class NewPasswordForm(PortalForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password",
                                                                "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Change password")
