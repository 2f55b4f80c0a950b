"""Customers: everyone sees what their role allows (reps: their own); admins edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sop.customers import services
from sop.customers.forms import CustomerForm, ReassignForm
from sop.downloads import send_xlsx
from sop.form_submission import saved
from sop.htmx import page_or_fragment, wants_fragment
from sop.models import Customer
from sop.security import get_scoped_or_404, role_required

bp = Blueprint("customers", __name__, url_prefix="/customers")


def _filters() -> services.CustomerFilters:
    args = request.args
    return services.CustomerFilters(
        text=args.get("q", "")[:100], rep=args.get("rep", ""), territory=args.get("territory", ""),
        group=args.get("group", ""), active=args.get("active", "yes"),
        sort=args.get("sort", "sop_name"))


def _rep_choices(form_field, include_blank: bool = True) -> None:
    choices = [("", "— no rep —")] if include_blank else []
    form_field.choices = choices + list(services.sales_rep_options())


@bp.get("")
@login_required
def list_customers():
    filters = _filters()
    page = services.search_customers(current_user, filters, request.args.get("page", 1, type=int))
    reassign = ReassignForm()
    _rep_choices(reassign.sales_rep, include_blank=False)
    context = {"page": page, "filters": filters, "choices": services.filter_choices(current_user),
               "reassign": reassign}
    return page_or_fragment("customers/list.html", "results", **context)


@bp.get("/export")
@login_required
def export_customers():
    data = services.export_customers(current_user, _filters())
    return send_xlsx(data, "customers")


@bp.get("/check-code")
@role_required("admin")
def check_code():
    problem = services.code_problem(request.args.get("code", ""), request.args.get("id"))
    return render_template("customers/_code_check.html", problem=problem)


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new_customer():
    form = CustomerForm()
    _rep_choices(form.sales_rep)
    customer = saved(form, lambda: services.create_customer(current_user,
                                                            form.data_for_service()), "code")
    if customer:
        flash(f"Customer {customer.code} created.", "success")
        return redirect(url_for("customers.detail", customer_id=customer.pk))
    return render_template("customers/form.html", form=form, customer=None), (
        422 if form.errors else 200)


@bp.get("/<customer_id>")
@login_required
def detail(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    return render_template("customers/detail.html", customer=customer,
                           **services.customer_detail(customer))


@bp.route("/<customer_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_customer(customer_id: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    form = CustomerForm(obj=customer)
    _rep_choices(form.sales_rep)
    if request.method == "GET":
        form.sales_rep.data = str(customer.sales_rep.pk) if customer.sales_rep else ""
        form.aliases.data = "\n".join(customer.aliases or [])
    if saved(form, lambda: services.update_customer(current_user, customer,
                                                    form.data_for_service()), "code"):
        flash(f"Customer {customer.code} saved.", "success")
        return redirect(url_for("customers.detail", customer_id=customer.pk))
    return render_template("customers/form.html", form=form, customer=customer), (
        422 if form.errors else 200)


@bp.post("/<customer_id>/<any(deactivate, reactivate):action>")
@role_required("admin")
def change_active(customer_id: str, action: str):
    customer = get_scoped_or_404(Customer, current_user, id=customer_id)
    services.set_customer_active(current_user, customer, action == "reactivate")
    if wants_fragment():
        return render_template("customers/_row.html", customer=customer)
    flash(f"Customer {customer.code} {action}d.", "success")
    return redirect(url_for("customers.detail", customer_id=customer.pk))


@bp.post("/reassign")
@role_required("admin")
def reassign():
    form = ReassignForm()
    _rep_choices(form.sales_rep, include_blank=False)
    if form.validate_on_submit():
        try:
            moved = services.reassign_customers(current_user, request.form.getlist("customer"),
                                                form.sales_rep.data)
        except services.CustomerError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{moved} customer{'s' if moved != 1 else ''} reassigned.", "success")
    return redirect(url_for("customers.list_customers", **request.args))
