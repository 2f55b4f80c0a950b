"""The submission board: figures per rep against budget and the previous cycle, checked by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sop.models import BudgetEntry, ForecastSnapshot
from sop.submissions.board import board_rows, customer_changes
from sop.submissions.services import submit_plan


@pytest.fixture
def company(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    """Nov 2026 open, Oct 2026 before it. Rita plans 10 cases a month of garlic at $5 for ACME
    (plus 50 in M13, outside M1-M12) and 2 a month of ginger for BRAVO at its list price $4.
    Last cycle (one month earlier) she planned 9 a month of garlic for ACME at $5."""
    rita = make_user("sales_rep", full_name="Rita Rep")
    sam = make_user("sales_rep", full_name="Sam Seller")  # has a customer, no lines yet
    make_user("sales_rep", full_name="Nora Nobody")  # no customer, no lines: not on the board
    acme = make_customer(rita, sop_name="ACME FOODS")
    bravo = make_customer(rita, sop_name="BRAVO MARKETS")
    make_customer(sam, sop_name="SAMS CLUB")
    garlic = make_product("110001", "Peeled Garlic", list_price=3.0)
    ginger = make_product("120002", "Ginger Paste", list_price=4.0)
    make_price(acme, garlic, 5.0)
    previous = make_cycle("2026-10", status="closed")
    cycle = make_cycle("2026-11", close_date=date(2099, 1, 31))
    make_line(cycle, rita, acme, garlic, qty=[10.0] * 12 + [50.0])
    make_line(cycle, rita, bravo, ginger, qty=[2.0] * 12)
    make_line(previous, rita, acme, garlic, qty=[9.0] * 16)
    for offset in range(13):  # Nov 2026 .. Nov 2027: the 13th month is outside M1-M12
        year, month = divmod(2026 * 12 + 10 + offset, 12)
        BudgetEntry(rep=rita, sop_name="ACME FOODS", sop_name_key="acme foods", customer=acme,
                    year=year, month=month + 1, cases=8.0 if offset < 12 else 1000.0,
                    sales=40.0 if offset < 12 else 5000.0).save()
    BudgetEntry(rep=sam, sop_name="SAMS CLUB", sop_name_key="sams club", year=2026, month=12,
                cases=30.0, sales=300.0).save()
    return {"rita": rita, "sam": sam, "cycle": cycle, "previous": previous, "acme": acme,
            "bravo": bravo, "garlic": garlic}


def test_board_rows_match_hand_computed_figures(app, company):
    with app.app_context():
        rita, sam = board_rows(company["cycle"])
    assert (rita.rep.full_name, sam.rep.full_name) == ("Rita Rep", "Sam Seller")
    assert rita.lines == 2
    assert rita.plan.cases == 10 * 12 + 2 * 12  # 144: M13 left out
    assert rita.plan.dollars == 10 * 12 * 5 + 2 * 12 * 4  # 696
    assert (rita.budget.cases, rita.budget.dollars) == (96.0, 480.0)
    assert (rita.last.cases, rita.last.dollars) == (108.0, 540.0)
    versus = rita.versus("budget", "cases")
    assert (versus.delta, versus.percent) == (48.0, 50.0)
    versus = rita.versus("last", "dollars")
    assert versus.delta == 156.0 and versus.percent == pytest.approx(156 / 540 * 100)
    assert (sam.lines, sam.plan.cases, sam.status) == (0, 0.0, "draft")
    assert (sam.budget.cases, sam.last.cases) == (30.0, 0.0)


def test_last_cycle_comes_from_its_snapshot_once_frozen(app, company):
    ForecastSnapshot(cycle=company["previous"], rep=company["rita"], customer=company["acme"],
                     product=company["garlic"], qty=[7.0] * 16,
                     effective_price=[6.0] * 16).save()
    with app.app_context():
        assert board_rows(company["cycle"])[0].last.cases == 108.0  # not frozen yet: live
        company["previous"].update(set__snapshot_at=datetime(2026, 10, 31, 23, 0))
        rita = board_rows(company["cycle"])[0]
    assert (rita.last.cases, rita.last.dollars) == (84.0, 504.0)


def test_the_board_page_shows_status_figures_and_deltas(app, client, login, company, make_user):
    with app.app_context():
        submit_plan(company["cycle"], company["rita"], company["rita"])
    login(make_user("manager"))
    html = client.get("/submissions").get_data(as_text=True)
    assert "Submissions · Nov 2026" in html
    assert html.count('id="board-summary"') == 1
    assert '<dt>Submitted</dt><dd data-status="submitted">1</dd>' in html
    assert '<dt>Not submitted</dt><dd data-status="draft">1</dd>' in html
    rita_row = html.split(f'id="board-rep-{company["rita"].pk}"')[1].split("</tr>")[0]
    assert "Submitted" in rita_row
    assert ">144<" in rita_row and ">$696<" in rita_row
    assert "+48</span> <span class=\"pct\">(+50.0%)" in rita_row  # cases vs budget
    assert "+36</span> <span class=\"pct\">(+33.3%)" in rita_row  # cases vs last cycle (108)
    assert "+$156</span>" in rita_row
    assert "Approve" in rita_row and "Reject" in rita_row
    sam_row = html.split(f'id="board-rep-{company["sam"].pk}"')[1].split("</tr>")[0]
    assert "Not submitted" in sam_row and "Approve" not in sam_row
    assert "Nora Nobody" not in html


def test_the_board_of_another_cycle_is_asked_by_id(app, client, login, company, make_user):
    login(make_user("admin"))
    html = client.get(f"/submissions?cycle={company['previous'].pk}").get_data(as_text=True)
    assert "Submissions · Oct 2026" in html
    assert client.get("/submissions?cycle=nonsense").status_code == 404


def test_expanding_a_row_shows_the_change_per_customer(app, client, login, company, make_user):
    with app.app_context():
        bravo, acme = customer_changes(company["cycle"], company["rita"])  # biggest $ change first
    assert (acme.name, acme.plan.cases, acme.last.cases) == ("ACME FOODS", 120.0, 108.0)
    assert (bravo.name, bravo.plan.dollars, bravo.last.dollars) == ("BRAVO MARKETS", 96.0, 0.0)
    assert bravo.versus("dollars").percent is None  # nothing last cycle: no percentage

    login(make_user("manager"))
    response = client.get(f"/submissions/changes?cycle={company['cycle'].pk}"
                          f"&rep={company['rita'].pk}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith("<td")
    assert "ACME FOODS" in html and "+12</span> <span class=\"pct\">(+11.1%)" in html
    assert "BRAVO MARKETS" in html and "+$96</span>" in html


def test_without_an_open_cycle_the_board_shows_the_latest_one(app, client, login, make_user,
                                                             make_cycle):
    make_cycle("2026-09", status="closed")
    make_cycle("2026-10", status="closed")
    make_cycle("2026-12", status="draft")  # never opened: nothing to review there yet
    login(make_user("manager"))
    assert "Submissions · Oct 2026" in client.get("/submissions").get_data(as_text=True)


def test_the_board_follows_a_cell_save_and_a_price_change(app, company):
    """The whole board's plan figures are kept between views until lines or prices change."""
    from sop.forecasts.cells import save_cell
    from sop.models import PriceEntry

    with app.app_context():
        assert board_rows(company["cycle"])[0].plan.cases == 144.0
        save_cell(company["rita"], company["cycle"], company["acme"], company["garlic"], "qty",
                  0, "40", "10")
        rita = board_rows(company["cycle"])[0]
        assert (rita.plan.cases, rita.plan.dollars) == (174.0, 174.0 * 5 - 24 * 5 + 24 * 4)
        PriceEntry.objects(customer=company["acme"]).update(set__price=6.0)
        assert board_rows(company["cycle"])[0].plan.dollars == (174 - 24) * 6.0 + 24 * 4
