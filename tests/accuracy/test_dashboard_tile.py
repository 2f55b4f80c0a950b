"""The dashboard's accuracy tile on the golden company (tests/accuracy/conftest.py): the same
figures as the Accuracy page's default view, scoped, with its trend chart and a link."""

from __future__ import annotations

import re

from tests.accuracy.test_page import _admin


def test_the_admin_tile_sums_up_the_accuracy_page(golden, client, login):
    login(_admin())
    html = client.get("/dashboard/accuracy").get_data(as_text=True)
    tile = html[html.index('id="accuracy-tile"'):]
    tile = tile[:tile.index("</section>")]
    # lag 1 overall (test_page): plan 120/520 = 23.1 %, naive 190/520 = 36.5 %
    assert ("Lag 1 over 3 closed cycles: plan WMAPE <strong>23.1 %</strong>" in tile
            and "naive 36.5 %" in tile)
    assert 'href="/accuracy"' in tile
    assert re.search(r'<th scope="row">Jan 2026</th><td class="num">15.8 %</td>', tile)


def test_a_rep_tile_is_their_own(golden, client, login):
    login(golden["rep_a"])
    html = client.get("/dashboard/accuracy").get_data(as_text=True)
    tile = html[html.index('id="accuracy-tile"'):]
    assert "your customers: plan WMAPE <strong>25.0 %</strong>" in tile  # C1 only: 100/400


def test_without_a_closed_cycle_the_tile_says_so(client, login_as):
    login_as("manager")
    html = client.get("/dashboard/accuracy").get_data(as_text=True)
    assert "No closed cycle can be measured yet" in html
