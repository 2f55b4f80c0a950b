"""The statistical baseline in the grid: the read-only row under each line, "no baseline" for an
item without history, the customer's baseline totals, lines far from their baseline, and
"Fill from baseline" for a line, a customer and all blank lines (never over a typed number,
refused when the line changed, audited, CSRF-protected)."""

from __future__ import annotations

import re

import pytest

from sop.models import AuditEntry, BaselineLine, ForecastLine
from sop.plans import departure
from tests.forecasts.test_grid import cell_input, grid_url, save, sign_in


@pytest.fixture
def planned(plan, make_customer, make_product, make_price):
    """The grid's plan (garlic planned 10, 20, 30 for M1-M3; shallots in the matrix without a
    line) plus: a baseline for both, an onion item without history (no baseline), and a
    second customer of the rep with a blank line's worth of matrix item and a baseline."""
    cycle, customer = plan["cycle"], plan["customer"]
    onion = make_product("110003", "Onion Rings", list_price=20.0)
    make_price(customer, onion, 25.0)
    BaselineLine(cycle=cycle, customer=customer, product=plan["garlic"], qty=[10.0] * 16,
                 method="seasonal_naive", error=12.4).save()
    BaselineLine(cycle=cycle, customer=customer, product=plan["shallot"],
                 qty=[4.26] * 12 + [5.0] * 4, method="theta", error=None).save()
    other = make_customer(plan["rep"], sop_name="ZEBRA MARKETS")
    make_price(other, plan["shallot"], 31.0)
    BaselineLine(cycle=cycle, customer=other, product=plan["shallot"], qty=[0.0] * 16,
                 method="dead", state="dead").save()
    return {**plan, "onion": onion, "other": other}


def fill(client, plan, scope, product=None, version=None, customer=None):
    data = {"cycle": str(plan["cycle"].pk), "customer": str((customer or plan["customer"]).pk),
            "scope": scope}
    if product is not None:
        data["product"] = str(product.pk)
    if version is not None:
        data[f"version-{product.pk}"] = str(version)
    return client.htmx_post("/forecast/baseline-fill", data)


def qty_of(plan, product, customer=None):
    line = ForecastLine.objects(cycle=plan["cycle"], customer=customer or plan["customer"],
                                product=product).first()
    return None if line is None else line.qty


def baseline_row(page: str, product) -> str:
    match = re.search(rf'<tr id="b-{product.pk}" class="baseline-row">(.*?)</tr>', page, re.S)
    assert match, "no baseline row"
    return match.group(1)


def test_each_line_has_its_baseline_row_and_an_item_without_history_says_so(client, planned):
    sign_in(client, planned["rep"])
    page = client.get(grid_url(planned)).get_data(as_text=True)
    garlic = baseline_row(page, planned["garlic"])
    assert "seasonal naive" in garlic and "error 12 %" in garlic
    assert garlic.count('<td class="num">10</td>') == 16
    assert '<td class="num">120</td>' in garlic  # M1-M12 of the baseline
    shallot = baseline_row(page, planned["shallot"])
    assert "theta" in shallot and "error" not in shallot
    assert '<td class="num">4.3</td>' in shallot and '<td class="num">51.1</td>' in shallot
    onion = baseline_row(page, planned["onion"])
    assert "No baseline: this item has no sales history" in onion
    assert '<td class="num">0</td>' not in onion  # said, never shown as zeros
    # The customer's baseline per month under its plan totals: 10 + 4.26 for M1.
    foot = page[page.index('<tfoot id="grid-foot">'):]
    assert "Baseline, cases" in foot and "(2 of 3 items)" in foot
    assert '<td class="num">14.3</td>' in foot and '<td class="num">171.1</td>' in foot


def test_a_line_far_from_its_baseline_is_marked_in_words(client, planned, app):
    sign_in(client, planned["rep"])
    page = client.get(grid_url(planned)).get_data(as_text=True)
    # Garlic: 60 planned over M1-M3 against a baseline of 30 there: +100 %.
    garlic_row = re.search(rf'<tr id="r-{planned["garlic"].pk}"[^>]*>.*?</th>', page, re.S)[0]
    assert 'class="far-from-baseline"' in garlic_row
    assert "far from baseline: +100 % vs baseline" in garlic_row
    assert "1 line marked “far from baseline”" in page
    shallot_row = re.search(rf'<tr id="r-{planned["shallot"].pk}"[^>]*>.*?</th>', page, re.S)[0]
    assert "far from baseline" not in shallot_row  # nothing planned yet: not far
    with app.app_context():
        from sop.settings import store_value

        store_value("baseline_far_percent", 150, "test")
    page = client.get(grid_url(planned)).get_data(as_text=True)
    assert "far from baseline: +100" not in page


def test_departure_compares_only_the_months_planned():
    assert departure([None] * 4, [5.0] * 4) is None
    assert departure([15.0, None, 0.0, None], [10.0, 99.0, 10.0, 99.0]) == pytest.approx(-0.25)
    assert departure([1.0], [0.0]) == float("inf")
    assert departure([0.0], [0.0]) == 0.0


def test_fill_one_line_fills_its_blank_months_only_and_is_audited(client, planned):
    sign_in(client, planned["rep"])
    garlic = planned["garlic"]
    response = fill(client, planned, "line", garlic, version=1)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "13 month(s) of 1 line(s) filled from the baseline." in html
    assert qty_of(planned, garlic) == [10, 20, 30] + [10.0] * 13  # typed months kept
    assert 'value="10"' in cell_input(html, "110001", 3)  # the grid came back, refreshed
    entry = AuditEntry.objects(action="forecast_line_updated").get()
    assert "filled from the baseline (seasonal_naive), 13 month(s)" in entry.message
    assert entry.changes["M4 qty"] == {"before": None, "after": 10.0}
    assert "M1 qty" not in entry.changes
    assert ForecastLine.objects(product=garlic).get().version == 2


def test_fill_one_line_refuses_when_the_line_changed_since_the_page(client, planned):
    sign_in(client, planned["rep"])
    ForecastLine.objects(product=planned["garlic"]).update(inc__version=1)  # another tab
    response = fill(client, planned, "line", planned["garlic"], version=1)
    assert response.status_code == 409
    assert "changed since the page was loaded: nothing was filled" in response.get_data(
        as_text=True)
    assert qty_of(planned, planned["garlic"]) == [10, 20, 30] + [None] * 13
    assert AuditEntry.objects(action="forecast_line_updated").count() == 0


def test_a_cell_save_hands_the_page_the_version_fill_compares_with(client, planned):
    sign_in(client, planned["rep"])
    answer = save(client, planned, planned["garlic"], 3, "7", "").get_data(as_text=True)
    assert f'id="bv-{planned["garlic"].pk}" value="2"' in answer and "hx-swap-oob" in answer
    assert f'name="version-{planned["garlic"].pk}"' in answer
    assert fill(client, planned, "line", planned["garlic"], version=2).status_code == 200
    assert qty_of(planned, planned["garlic"])[3] == 7  # the typed month is kept


def test_fill_a_customer_creates_lines_for_matrix_items_and_skips_items_without(client,
                                                                                planned):
    sign_in(client, planned["rep"])
    response = fill(client, planned, "customer")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("29 month(s) of 2 line(s) filled from the baseline. 1 item(s) have no baseline "
            "(no sales history): left blank.") in html
    assert qty_of(planned, planned["shallot"]) == [4.3] * 12 + [5.0] * 4
    assert qty_of(planned, planned["onion"]) is None
    assert qty_of(planned, planned["shallot"], planned["other"]) is None  # another customer
    assert AuditEntry.objects(action="forecast_line_updated").count() == 2


def test_fill_all_blank_lines_covers_every_customer_and_leaves_planned_lines(client, planned):
    sign_in(client, planned["rep"])
    response = fill(client, planned, "blank")
    assert "32 month(s) of 2 line(s) filled" in response.get_data(as_text=True)
    assert qty_of(planned, planned["garlic"]) == [10, 20, 30] + [None] * 13  # not blank
    assert qty_of(planned, planned["shallot"]) == [4.3] * 12 + [5.0] * 4
    assert qty_of(planned, planned["shallot"], planned["other"]) == [0.0] * 16  # dead: 0s


def test_fill_from_baseline_needs_the_csrf_token_and_an_open_plan(client, planned):
    sign_in(client, planned["rep"])
    data = {"cycle": str(planned["cycle"].pk), "customer": str(planned["customer"].pk),
            "scope": "customer"}
    assert client.post("/forecast/baseline-fill", data=data,
                       headers={"HX-Request": "true"}).status_code == 400
    planned["cycle"].update(status="closed")
    assert fill(client, planned, "customer").status_code == 403
    assert qty_of(planned, planned["shallot"]) is None


def test_only_the_rep_fills_their_plan(client, planned, make_user):
    sign_in(client, make_user("manager"))
    assert fill(client, planned, "customer").status_code == 403
    assert qty_of(planned, planned["shallot"]) is None


def test_a_rep_cannot_fill_another_reps_customer(client, planned, make_user, make_customer):
    stranger = make_user("sales_rep", full_name="Sam Other")
    sign_in(client, stranger)
    assert fill(client, planned, "customer").status_code == 404
    assert qty_of(planned, planned["shallot"]) is None


def test_the_read_only_grid_shows_the_baseline_without_fill_buttons(client, planned,
                                                                    make_user):
    sign_in(client, make_user("manager"))
    page = client.get(grid_url(planned, rep=planned["rep"].pk)).get_data(as_text=True)
    assert "seasonal naive" in baseline_row(page, planned["garlic"])
    assert "Fill from baseline" not in page and "baseline-fill" not in page
