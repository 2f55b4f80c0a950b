"""User administration (admins) and everyone's own profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from sop.api.tokens import TokenError, create_token, revoke_token, tokens_of
from sop.auth import services as auth_services
from sop.auth.forms import ChangePasswordForm
from sop.downloads import send_xlsx
from sop.form_submission import saved
from sop.htmx import page_or_fragment, wants_fragment
from sop.models import ApiToken, User
from sop.security import get_scoped_or_404, role_required
from sop.users import services
from sop.users.forms import ApiTokenForm, EditUserForm, NewUserForm, SetPasswordForm

bp = Blueprint("users", __name__)


def _filters() -> dict[str, str]:
    return {key: request.args.get(key, "").strip()[:100] for key in ("q", "role", "active")}


def _page_number() -> int:
    return request.args.get("page", 1, type=int) or 1


def _chosen_password(form: NewUserForm | SetPasswordForm) -> tuple[str, bool]:
    """(password, generated?) from the form's radio choice."""
    if form.password_mode.data == "typed":
        return form.password.data or "", False
    return auth_services.generate_password(), True


@bp.get("/users")
@role_required("admin")
def list_users():
    filters = _filters()
    page = services.search_users(current_user, filters["q"], filters["role"], filters["active"],
                                 _page_number())
    context = {"page": page, "filters": filters}
    return page_or_fragment("users/list.html", "results", **context)


@bp.get("/users/export")
@role_required("admin")
def export_users():
    filters = _filters()
    return send_xlsx(services.export_users(current_user, filters["q"], filters["role"],
                                           filters["active"]), "users")


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    form = NewUserForm()
    password, generated = _chosen_password(form)
    user = saved(form, lambda: services.create_user(
        current_user, form.email.data, form.full_name.data, form.role.data, password), "email")
    if user:
        # Shown in this response only: never stored in the session or a flash cookie.
        return render_template("users/created.html", user=user,
                               password=password if generated else None)
    return render_template("users/form.html", form=form, user=None), 422 if form.errors else 200


@bp.route("/users/<user_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: str):
    user = get_scoped_or_404(User, current_user, id=user_id)
    form = EditUserForm(obj=user)
    password_form = SetPasswordForm(prefix="pw")
    if form.submit.data and saved(form, lambda: services.update_user(
            current_user, user, form.email.data, form.full_name.data, form.role.data), "email"):
        flash(f"Saved {user.full_name}.", "success")
        return redirect(url_for("users.edit_user", user_id=user.pk))
    status = 422 if form.errors else 200
    return render_template("users/form.html", form=form, password_form=password_form,
                           user=user, activity=services.recent_activity(user)), status


@bp.post("/users/<user_id>/password")
@role_required("admin")
def set_user_password(user_id: str):
    user = get_scoped_or_404(User, current_user, id=user_id)
    password_form = SetPasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        password, generated = _chosen_password(password_form)
        try:
            services.admin_reset_password(current_user, user, password)
        except services.UserError as exc:
            password_form.password.errors.append(str(exc))
        else:
            return render_template("users/created.html", user=user,
                                   password=password if generated else None, reset=True)
    return render_template("users/form.html", form=EditUserForm(obj=user),
                           password_form=password_form, user=user,
                           activity=services.recent_activity(user)), 422


@bp.post("/users/<user_id>/<action>")
@role_required("admin")
def change_user_state(user_id: str, action: str):
    """Deactivate, reactivate or unlock; htmx swaps the row, plain forms go back to the list."""
    user = get_scoped_or_404(User, current_user, id=user_id)
    operations = {
        "deactivate": lambda: services.set_user_active(current_user, user, False),
        "reactivate": lambda: services.set_user_active(current_user, user, True),
        "unlock": lambda: services.unlock_user(current_user, user),
    }
    if action not in operations:
        return render_template("errors/_message.html", status=404, title="Not found",
                               message="Unknown action."), 404
    error = None
    try:
        operations[action]()
    except services.UserError as exc:
        error = str(exc)
    if wants_fragment():
        return render_template("users/_row.html", user=user, error=error), 422 if error else 200
    flash(error or f"{user.full_name}: done.", "error" if error else "success")
    return redirect(url_for("users.list_users"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            auth_services.change_password(current_user._get_current_object(),
                                          form.current_password.data, form.password.data)
        except auth_services.AuthError as exc:
            form.password.errors.append(str(exc))
        else:
            # The password change ended every session; keep this one signed in on a new id.
            login_user(User.objects.get(id=current_user.pk))
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("users.profile"))
    return render_template("users/profile.html", form=form, token_form=ApiTokenForm(),
                           tokens=tokens_of(current_user), created=None,
                           activity=services.recent_activity(current_user)), (
        422 if form.errors else 200)


def _tokens_fragment(form: ApiTokenForm, created: Any = None, status: int = 200):
    return render_template("users/_tokens.html", token_form=form, created=created,
                           tokens=tokens_of(current_user)), status


@bp.post("/profile/tokens")
@login_required
def create_api_token():
    """A new API token; its secret is in this response only (never stored, never flashed)."""
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _tokens_fragment(form, status=422)
    owner = current_user._get_current_object()
    if form.owner_email.data:
        owner = User.objects(email=form.owner_email.data.strip().lower()).first()
        if owner is None:
            form.owner_email.errors.append("No account has this e-mail.")
            return _tokens_fragment(form, status=422)
    try:
        created = create_token(current_user._get_current_object(), owner, form.name.data,
                               form.scopes.data or [], form.days.data)
    except TokenError as exc:
        getattr(form, exc.field or "name", form.name).errors.append(str(exc))
        return _tokens_fragment(form, status=422)
    return _tokens_fragment(ApiTokenForm(formdata=None), created)


@bp.post("/profile/tokens/<token_id>/revoke")
@login_required
def revoke_api_token(token_id: str):
    token = get_scoped_or_404(ApiToken, current_user, within=tokens_of(current_user),
                              id=token_id)
    revoke_token(current_user._get_current_object(), token)
    return _tokens_fragment(ApiTokenForm(formdata=None))
