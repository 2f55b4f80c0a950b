"""Items: the catalog everyone reads; admins edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from sop.downloads import send_xlsx
from sop.form_submission import saved
from sop.htmx import page_or_fragment, wants_fragment
from sop.models import Product
from sop.products import services
from sop.products.forms import ProductForm
from sop.security import get_scoped_or_404, role_required

bp = Blueprint("products", __name__, url_prefix="/items")


def _filters() -> services.ProductFilters:
    args = request.args
    return services.ProductFilters(
        text=args.get("q", "")[:100], group=args.get("group", ""),
        category=args.get("category", ""), location=args.get("location", ""),
        active=args.get("active", "yes"), sort=args.get("sort", "code"))


@bp.get("")
@login_required
def list_products():
    filters = _filters()
    context = {"page": services.search_products(filters, request.args.get("page", 1, type=int)),
               "filters": filters, "choices": services.filter_choices()}
    return page_or_fragment("products/list.html", "results", **context)


@bp.get("/export")
@login_required
def export_products():
    return send_xlsx(services.export_products(current_user, _filters()), "items")


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new_product():
    form = ProductForm()
    product = saved(form, lambda: services.create_product(current_user,
                                                          form.data_for_service()), "item_code")
    if product:
        flash(f"Item {product.item_code} created.", "success")
        return redirect(url_for("products.detail", product_id=product.pk))
    return render_template("products/form.html", form=form, product=None), (
        422 if form.errors else 200)


@bp.get("/<product_id>")
@login_required
def detail(product_id: str):
    product = get_scoped_or_404(Product, current_user, id=product_id)
    return render_template("products/detail.html", product=product,
                           **services.product_detail(current_user, product))


@bp.route("/<product_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_product(product_id: str):
    product = get_scoped_or_404(Product, current_user, id=product_id)
    form = ProductForm(obj=product)
    if saved(form, lambda: services.update_product(current_user, product,
                                                   form.data_for_service()), "item_code"):
        flash(f"Item {product.item_code} saved.", "success")
        return redirect(url_for("products.detail", product_id=product.pk))
    return render_template("products/form.html", form=form, product=product), (
        422 if form.errors else 200)


@bp.post("/<product_id>/<any(deactivate, reactivate):action>")
@role_required("admin")
def change_active(product_id: str, action: str):
    product = get_scoped_or_404(Product, current_user, id=product_id)
    services.set_product_active(current_user, product, action == "reactivate")
    if wants_fragment():
        return render_template("products/_row.html", product=product)
    flash(f"Item {product.item_code} {action}d.", "success")
    return redirect(url_for("products.detail", product_id=product.pk))
