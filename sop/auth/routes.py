"""Sign in and out, forgotten passwords."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from sop.auth import services
from sop.auth.forms import ForgotPasswordForm, LoginForm, NewPasswordForm
from sop.extensions import client_ip, limiter

bp = Blueprint("auth", __name__)


def login_account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.netloc and not parts.scheme:
            return target
    return url_for("dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", key_func=client_ip, methods=["POST"])
@limiter.limit("10 per 15 minutes", key_func=login_account_key, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AuthError as exc:
            error = str(exc)
        else:
            session.clear()  # a fresh session on sign-in: nothing carried over
            login_user(user)
            return redirect(safe_next(form.next.data))
    status = 422 if error or form.errors else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    services.sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("5 per 15 minutes", key_func=client_ip, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        flash("If that address has an account, a reset link is on its way. It works for one "
              "hour, once.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", key_func=client_ip, methods=["POST"])
def reset_password(token: str):
    if services.user_for_reset_token(token) is None:
        flash("This reset link is invalid, used or expired. Ask for a new one.", "error")
        return redirect(url_for("auth.forgot_password"))
    form = NewPasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except services.AuthError as exc:
            error = str(exc)
        else:
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    status = 422 if error or form.errors else 200
    return render_template("auth/reset_password.html", form=form, error=error), status
