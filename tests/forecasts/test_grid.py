"""The forecast grid: what each role sees, inline cell saves with compare-and-set, scoping,
locking, row and bulk actions, and the audited history of a line."""

from __future__ import annotations

import re
import threading
from datetime import date

import pytest

from sop.forecasts import cells
from sop.forecasts.grid import customers_missing_months, load_grid
from sop.forecasts.values import PlanLocked
from sop.models import (
    AuditEntry,
    BudgetEntry,
    ForecastLine,
    PriceEntry,
    SalesHistory,
    SalesMonth,
    Submission,
)
from tests.conftest import DEFAULT_PASSWORD


@pytest.fixture
def plan(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    """A rep with one customer (garlic and shallots in the matrix, garlic already planned),
    an open cycle from Nov 2026, sales history and budget for that customer."""
    rep = make_user("sales_rep", full_name="Rita Rep")
    customer = make_customer(rep, sop_name="LONE STAR FOODS")
    garlic = make_product("110001", "Peeled Garlic", list_price=50.0)
    shallot = make_product("110002", "Diced Shallots", list_price=30.0)
    make_price(customer, garlic, 40.0)
    make_price(customer, shallot, None)
    cycle = make_cycle("2026-11")
    line = make_line(cycle, rep, customer, garlic, qty=[10, 20, 30], price=[45.0])
    SalesHistory(customer=customer, product=garlic, months=[
        SalesMonth(month="2025-11", quantity=7), SalesMonth(month="2026-08", quantity=11),
        SalesMonth(month="2026-09", quantity=12), SalesMonth(month="2026-10", quantity=13),
    ]).save()
    BudgetEntry(rep=rep, sop_name="LONE STAR FOODS", sop_name_key="lone star foods",
                customer=customer, year=2026, month=11, cases=99, sales=4000).save()
    return {"rep": rep, "customer": customer, "garlic": garlic, "shallot": shallot,
            "cycle": cycle, "line": line}


def grid_url(plan, **extra) -> str:
    args = {"cycle": plan["cycle"].pk, "customer": plan["customer"].pk, **extra}
    return "/forecast?" + "&".join(f"{k}={v}" for k, v in args.items())


def sign_in(client, user):
    client.post_form("/login", {"email": user.email, "password": DEFAULT_PASSWORD},
                     token_from="/login")


def save(client, plan, product, bucket, value, was, what="qty"):
    return client.htmx_post("/forecast/cell", {
        "cycle": str(plan["cycle"].pk), "customer": str(plan["customer"].pk),
        "product": str(product.pk), "field": what, "bucket": str(bucket), "value": value,
        "was": was})


def cell_input(html: str, code: str, bucket: int, what: str = "cases") -> str:
    match = re.search(rf'<input [^>]*aria-label="{code} M{bucket + 1} {what}"[^>]*>', html)
    assert match, f"no input for {code} M{bucket + 1}"
    return match.group(0)


def test_the_rep_sees_matrix_items_and_lines_with_actuals_budget_and_totals(client, plan):
    sign_in(client, plan["rep"])
    page = client.get(grid_url(plan)).get_data(as_text=True)
    assert "LONE STAR FOODS" in page
    assert "110001" in page and "110002" in page  # the line and the matrix item without one
    assert 'value="20"' in cell_input(page, "110001", 1)
    assert 'value=""' in cell_input(page, "110002", 0)
    assert 'class="price-row" hidden></tr>' in page  # prices load when opened
    prices = client.get(f"/forecast/prices?cycle={plan['cycle'].pk}&customer="
                        f"{plan['customer'].pk}&product={plan['garlic'].pk}").get_data(
        as_text=True)
    assert 'value="45"' in cell_input(prices, "110001", 0, "price")
    assert 'placeholder="45.00"' in cell_input(prices, "110001", 5, "price")  # effective
    every = client.get(f"/forecast/prices?cycle={plan['cycle'].pk}&customer="
                       f"{plan['customer'].pk}").get_data(as_text=True)
    assert every.count('hx-swap-oob="true"') == 2  # "Show prices": every row at once
    # the shallot has no matrix price: its list price is what an empty month is worth
    assert 'placeholder="30.00"' in cell_input(every, "110002", 0, "price")
    # actuals of Aug, Sep, Oct 2026 and their average; Nov 2025 is last year's M1
    assert re.search(r">11</td>\s*<td class=\"num ref\">12</td>\s*<td class=\"num ref\">13<",
                     page)
    assert re.search(r"small class=\"ref\">7 · \u2013<", page)
    assert "Budget cases" in page and ">99<" in page
    # totals: 60 cases; $ at effective price: 45 for every month entered → 2,700
    assert "60 cases" in page and "$2,700" in page and "at effective price" in page
    assert "Read-only" not in page


def test_a_manager_reads_any_reps_grid_read_only(client, plan, login_as):
    login_as("manager")
    page = client.get(grid_url(plan, rep=plan["rep"].pk)).get_data(as_text=True)
    assert "Read-only: this is Rita Rep" in page
    assert "110001" in page and 'name="value"' not in page
    assert "Rita Rep" in page  # the rep select


def test_a_rep_cannot_read_or_write_another_reps_lines(client, plan, make_user,
                                                        make_customer):
    intruder = make_user("sales_rep")
    own = make_customer(intruder)
    sign_in(client, intruder)
    assert client.get(grid_url(plan)).status_code == 404
    # the rep argument is ignored: the intruder sees their own (empty) plan
    page = client.get(f"/forecast?rep={plan['rep'].pk}&customer={own.pk}")
    assert page.status_code == 200 and "110001" not in page.get_data(as_text=True)
    refused = save(client, plan, plan["garlic"], 0, "999", "10")
    assert refused.status_code == 404
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 10
    history = client.get(f"/forecast/history?cycle={plan['cycle'].pk}&customer="
                         f"{plan['customer'].pk}&product={plan['garlic'].pk}")
    assert history.status_code == 404


def test_a_cell_save_updates_the_value_and_the_totals(client, plan):
    sign_in(client, plan["rep"])
    saved = save(client, plan, plan["garlic"], 1, "25.5", "20")
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert 'value="25.5"' in html and '"was":"25.5"' in html  # the next save compares to it
    assert f'id="tq-{plan["garlic"].pk}" hx-swap-oob="true">65.5<' in html
    assert 'id="ft-cases"' in html and 'id="grid-summary"' in html
    assert "65.5 cases" in html
    line = ForecastLine.objects.get(id=plan["line"].pk)
    assert line.qty[:3] == [10, 25.5, 30] and line.version == 2
    assert line.updated_by == plan["rep"]

    # a new line is created for a matrix item on its first value
    created = save(client, plan, plan["shallot"], 0, "4", "")
    assert created.status_code == 200
    new = ForecastLine.objects.get(customer=plan["customer"], product=plan["shallot"])
    assert new.qty[0] == 4 and new.qty[1] is None and not new.new_item
    # blank clears to "not entered"
    save(client, plan, plan["shallot"], 0, " ", "4")
    assert ForecastLine.objects.get(id=new.pk).qty[0] is None


def line_links(html: str, product) -> str:
    match = re.search(rf'<span id="ll-{product.pk}"[^>]*>(.*?)</span>', html, re.S)
    assert match, "no line links"
    return match.group(0)


def test_the_line_links_follow_the_line_without_a_reload(client, plan):
    sign_in(client, plan["rep"])
    shallot = plan["shallot"]
    links = line_links(client.get(grid_url(plan)).get_data(as_text=True), shallot)
    assert "History" not in links and "Remove" not in links  # a matrix item, no line yet

    created = line_links(save(client, plan, shallot, 0, "4", "").get_data(as_text=True),
                         shallot)
    assert 'hx-swap-oob="true"' in created
    assert f"product={shallot.pk}" in created and ">History</a>" in created
    assert "Remove" not in created  # it holds a number

    cleared = line_links(save(client, plan, shallot, 0, "", "4").get_data(as_text=True),
                         shallot)
    assert ">History</a>" in cleared and ">Remove</button>" in cleared
    reloaded = line_links(client.get(grid_url(plan)).get_data(as_text=True), shallot)
    # as a reload shows it; a CSRF token is signed with the second it was made in
    assert without_csrf(cleared.replace(' hx-swap-oob="true"', "")) == without_csrf(reloaded)


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_a_line_id_from_the_page_saves_directly_and_cannot_reach_another_reps_line(
        client, plan, make_user, make_customer, make_line):
    sign_in(client, plan["rep"])
    data = {"cycle": str(plan["cycle"].pk), "customer": str(plan["customer"].pk),
            "product": str(plan["garlic"].pk), "field": "qty", "bucket": "0"}
    saved = client.htmx_post("/forecast/cell", {**data, "value": "14", "was": "10",
                                                "line": str(plan["line"].pk)})
    assert saved.status_code == 200
    stale = client.htmx_post("/forecast/cell", {**data, "value": "15", "was": "10",
                                                "line": str(plan["line"].pk)})
    assert stale.status_code == 409 and 'value="14"' in stale.get_data(as_text=True)
    other = make_user("sales_rep")
    theirs = make_line(plan["cycle"], other, make_customer(other), plan["garlic"], qty=[5])
    forged = client.htmx_post("/forecast/cell", {**data, "value": "16", "was": "14",
                                                 "line": str(theirs.pk)})
    assert forged.status_code == 200  # saved on the rep's own line, not on the other one
    assert ForecastLine.objects.get(id=theirs.pk).qty[0] == 5
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 16


def test_price_save_changes_the_dollars_at_effective_price(client, plan):
    sign_in(client, plan["rep"])
    saved = save(client, plan, plan["garlic"], 1, "50", "", what="price")
    assert saved.status_code == 200
    # 10*45 + 20*50 + 30*50 (M3 inherits the last positive price)
    assert "$2,950" in saved.get_data(as_text=True)
    cleared = save(client, plan, plan["garlic"], 1, "", "50", what="price")
    assert 'placeholder="45.00"' in cell_input(cleared.get_data(as_text=True), "110001", 1,
                                               "price")  # back to the effective price
    save(client, plan, plan["garlic"], 1, "50", "", what="price")
    assert ForecastLine.objects.get(id=plan["line"].pk).price[:2] == [45.0, 50.0]


@pytest.mark.parametrize("value, message", [("-1", "cannot be negative"),
                                            ("abc", "Enter a number")])
def test_invalid_values_are_refused_inline(client, plan, value, message):
    sign_in(client, plan["rep"])
    refused = save(client, plan, plan["garlic"], 0, value, "10")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html and '"was":"10"' in html
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 10
    price = save(client, plan, plan["garlic"], 0, "-5", "45", what="price")
    assert price.status_code == 422 and "cannot be negative" in price.get_data(as_text=True)


def test_two_clients_saving_the_same_cell_one_wins_the_other_sees_who(app, client, plan):
    sign_in(client, plan["rep"])
    other = app.test_client()
    sign_in(other, plan["rep"])
    first = save(client, plan, plan["garlic"], 2, "31", "30")
    second = save(other, plan, plan["garlic"], 2, "35", "30")
    assert first.status_code == 200
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert 'value="31"' in html and "Changed by Rita Rep" in html
    assert "your 35 was not saved" in html
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[2] == 31
    # different cells of the same line both land
    assert save(other, plan, plan["garlic"], 3, "1", "").status_code == 200
    assert save(client, plan, plan["garlic"], 4, "2", "").status_code == 200
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[2:5] == [31, 1, 2]


def test_twenty_clients_saving_different_cells_are_all_persisted(app, plan, make_product,
                                                                 make_price):
    items = [make_product(f"12{n:04d}", f"Item {n}") for n in range(4)]
    for item in items:
        make_price(plan["customer"], item, 10.0)
    first = app.test_client()
    sign_in(first, plan["rep"])  # one sign-in (the login limit), its session in 20 clients
    session = first.get_cookie("session")
    clients = []
    for _ in range(20):
        c = app.test_client()
        c.set_cookie("session", session.value, domain=session.domain)
        c.token = c.csrf_token("/profile")
        clients.append(c)
    results = []

    def work(index: int) -> None:
        item, bucket = items[index % 4], index // 4  # 4 items x 5 buckets: 5 saves per line at once
        response = clients[index].post("/forecast/cell", data={
            "cycle": str(plan["cycle"].pk), "customer": str(plan["customer"].pk),
            "product": str(item.pk), "field": "qty", "bucket": str(bucket),
            "value": str(index + 1), "was": ""},
            headers={"HX-Request": "true", "X-CSRFToken": clients[index].token})
        results.append(response.status_code)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 20
    for index in range(20):
        line = ForecastLine.objects.get(customer=plan["customer"], product=items[index % 4])
        assert line.qty[index // 4] == index + 1
    assert ForecastLine.objects(product__in=items).count() == 4
    assert AuditEntry.objects(action="forecast_line_updated").count() == 20


def test_cell_saves_are_not_throttled_by_the_global_limit(client, plan):
    sign_in(client, plan["rep"])
    token = client.csrf_token("/profile")
    data = {"cycle": str(plan["cycle"].pk), "customer": str(plan["customer"].pk),
            "product": str(plan["garlic"].pk), "field": "qty", "bucket": "5"}
    was = ""
    for n in range(70):  # the global limit is 60 per minute per address
        response = client.post("/forecast/cell", data={**data, "value": str(n), "was": was},
                               headers={"HX-Request": "true", "X-CSRFToken": token})
        assert response.status_code == 200, n
        was = str(n)


def test_a_submitted_plan_refuses_edits(client, plan):
    Submission(cycle=plan["cycle"], rep=plan["rep"], status="submitted").save()
    sign_in(client, plan["rep"])
    page = client.get(grid_url(plan)).get_data(as_text=True)
    assert "Read-only: your plan is submitted" in page and 'name="value"' not in page
    refused = save(client, plan, plan["garlic"], 0, "11", "10")
    assert refused.status_code == 403
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 10
    assert AuditEntry.objects(action="access_denied").count() == 1


def test_a_save_that_lands_after_a_submit_is_taken_back(app_context, plan):
    """The race the editable check alone cannot close: the plan is submitted between the
    check and the write. The save notices after writing and restores the cell."""
    line_id = plan["line"].pk
    ForecastLine.objects(id=line_id).update_one(set__qty__0=11)  # the late write landed
    Submission(cycle=plan["cycle"], rep=plan["rep"], status="submitted").save()
    with pytest.raises(PlanLocked, match="submitted while this was being saved"):
        cells.take_back_if_locked_meanwhile(plan["rep"], plan["cycle"],
                                            {"_id": line_id, "qty.0": 11.0}, {"qty.0": 10.0})
    assert ForecastLine.objects.get(id=line_id).qty[0] == 10


def test_managers_cannot_save_cells(client, plan, login_as):
    login_as("manager")
    assert save(client, plan, plan["garlic"], 0, "11", "10").status_code == 403


def test_probability_is_saved_and_audited(client, plan):
    sign_in(client, plan["rep"])
    response = client.htmx_post("/forecast/probability", {
        "cycle": str(plan["cycle"].pk), "customer": str(plan["customer"].pk),
        "product": str(plan["garlic"].pk), "probability": "2", "was": ""})
    assert response.status_code == 200 and "selected" in response.get_data(as_text=True)
    assert ForecastLine.objects.get(id=plan["line"].pk).probability == 2
    stale = client.htmx_post("/forecast/probability", {
        "cycle": str(plan["cycle"].pk), "customer": str(plan["customer"].pk),
        "product": str(plan["garlic"].pk), "probability": "3", "was": ""})
    assert stale.status_code == 409


def post_action(client, plan, path, **data):
    return client.post_form(path, {"cycle": str(plan["cycle"].pk),
                                   "customer": str(plan["customer"].pk), **data},
                            follow_redirects=True)


def test_add_an_item_flagged_new_and_remove_an_empty_line(client, plan, make_product):
    ginger = make_product("110009", "Ginger Paste")
    sign_in(client, plan["rep"])
    suggestions = client.get(f"/forecast/items/suggest?cycle={plan['cycle'].pk}&customer="
                             f"{plan['customer'].pk}&item_code=1100").get_data(as_text=True)
    assert "110009" in suggestions and "110001" not in suggestions  # already in the grid
    page = post_action(client, plan, "/forecast/items", item_code="110009").get_data(
        as_text=True)
    assert "new item: not in the price matrix" in page
    line = ForecastLine.objects.get(customer=plan["customer"], product=ginger)
    assert line.new_item and "110009" in page and "new item</span>" in page
    refused = post_action(client, plan, "/forecast/remove", product=str(plan["garlic"].pk))
    assert "has quantities or prices" in refused.get_data(as_text=True)
    removed = post_action(client, plan, "/forecast/remove", product=str(ginger.pk))
    assert "Empty line 110009 removed" in removed.get_data(as_text=True)
    assert not ForecastLine.objects(id=line.pk).first()
    assert AuditEntry.objects(action="forecast_line_removed", entity_id=str(line.pk)).count()


def test_copy_last_cycle_rolls_forward_without_overwriting(client, plan, make_cycle,
                                                           make_line, make_customer):
    rep = plan["rep"]
    last = make_cycle("2026-10", status="closed")
    make_line(last, rep, plan["customer"], plan["garlic"], qty=[1, 2, 3], price=[9.0])
    make_line(last, rep, plan["customer"], plan["shallot"], qty=[5, 6, 7, 8], price=[None, 3.0],
              probability=1)
    second = make_customer(rep, sop_name="PRAIRIE GROCERS")
    make_line(last, rep, second, plan["shallot"], qty=[0, 4])
    sign_in(client, rep)
    page = post_action(client, plan, "/forecast/copy", scope="customer").get_data(as_text=True)
    assert "1 line(s) copied from Oct 2026" in page and "1 line(s) that already had" in page
    shallot = ForecastLine.objects.get(cycle=plan["cycle"], customer=plan["customer"],
                                       product=plan["shallot"])
    assert shallot.qty[:4] == [6, 7, 8, None] and shallot.price[:2] == [3.0, None]
    assert shallot.source == "copy" and shallot.probability == 1
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[:3] == [10, 20, 30]  # kept
    entry = AuditEntry.objects.get(action="forecast_line_updated", entity_id=str(shallot.pk))
    assert entry.changes["M1 qty"] == {"before": None, "after": 6}
    assert not ForecastLine.objects(cycle=plan["cycle"], customer=second).count()
    post_action(client, plan, "/forecast/copy", scope="all")
    assert ForecastLine.objects.get(cycle=plan["cycle"], customer=second).qty[0] == 4


def test_fill_a_row_and_read_its_history(client, plan):
    sign_in(client, plan["rep"])
    page = post_action(client, plan, "/forecast/fill", product=str(plan["shallot"].pk),
                       value="5", scope="mandatory").get_data(as_text=True)
    assert "12 month(s) filled" in page
    line = ForecastLine.objects.get(customer=plan["customer"], product=plan["shallot"])
    assert line.qty == [5.0] * 12 + [None] * 4
    post_action(client, plan, "/forecast/fill", product=str(plan["garlic"].pk), value="7",
                scope="all")
    assert ForecastLine.objects.get(id=plan["line"].pk).qty == [7.0] * 16
    save(client, plan, plan["garlic"], 2, "8", "7")
    history = client.get(
        f"/forecast/history?cycle={plan['cycle'].pk}&customer={plan['customer'].pk}"
        f"&product={plan['garlic'].pk}", headers={"HX-Request": "true"})
    html = history.get_data(as_text=True)
    assert history.status_code == 200 and "<html" not in html
    assert "M3 qty: 7.0 → 8.0" in html and "M1 qty: 10.0 → 7.0" in html
    assert "filled with 7 cases (16 month(s))" in html


def test_next_customer_with_missing_months(client, plan, make_customer, make_line):
    rep = plan["rep"]
    complete = make_customer(rep, sop_name="AAA COMPLETE")
    make_line(plan["cycle"], rep, complete, plan["garlic"], qty=[1] * 12)
    sign_in(client, rep)
    response = client.get(f"/forecast/next-missing?cycle={plan['cycle'].pk}&after={complete.pk}")
    assert response.status_code == 302
    assert str(plan["customer"].pk) in response.location
    assert customers_missing_months(plan["cycle"], rep) == {plan["customer"].pk}


def test_customer_search_lists_only_own_customers(client, plan, make_user, make_customer):
    make_customer(make_user("sales_rep"), sop_name="LONE STAR OTHER")
    sign_in(client, plan["rep"])
    html = client.get("/forecast/customers?q=lone").get_data(as_text=True)
    assert "LONE STAR FOODS" in html and "LONE STAR OTHER" not in html


def test_last_cycle_values_are_aligned_by_calendar_month(app, plan, make_cycle, make_line):
    last = make_cycle("2026-09", status="closed")
    make_line(last, plan["rep"], plan["customer"], plan["garlic"], qty=[1, 2, 3, 4])
    with app.app_context():
        grid = load_grid(plan["cycle"], plan["rep"], plan["customer"], plan["rep"])
    garlic = next(r for r in grid.rows if r.item_code == "110001")
    assert grid.last_cycle.pk == last.pk
    assert garlic.last_cycle[:3] == [3, 4, None]  # Sep M3 = Nov 2026 = this cycle's M1
    assert garlic.actuals == [11, 12, 13] and garlic.last_year[0] == 7
    assert grid.budget_cases[0] == 99 and grid.months[0] == date(2026, 11, 1)
    assert PriceEntry.objects.count() == 2
