"""The Accuracy page through the Flask test client on the golden company
(tests/accuracy/conftest.py; the figures are worked out in test_golden.py)."""

from __future__ import annotations

import re

import pytest


def cell_texts(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row of the table with `table_id`."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(
        r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in re.findall(
        r"<tr>(.*?)</tr>", body, re.S)]


def test_admin_sees_the_trend_worst_lists_and_fva_by_customer(golden, client, login):
    login(_admin())
    response = client.get("/accuracy")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'aria-current="page">Accuracy' in html
    assert '<svg viewBox' in html and "WMAPE per cycle, lag 1" in html
    # lag 1 overall: plan 120/520 = 23.1 %, bias -60/520 = -11.5 %, naive 190/520 = 36.5 %
    assert re.search(r'id="plan-wmape">23\.1%<', html)
    assert "-11.5%" in html and "36.5%" in html
    trend = cell_texts(html, "trend-table")
    # Jan 2026: plan 30/190 = 15.8 %, bias -5.3 %, baseline 10/140 = 7.1 %, naive 31.6 %
    assert trend[0] == ["Jan 2026", "Jan 2026 (M1)", "190", "15.8%", "-5.3%", "7.1%", "31.6%",
                        "+0.0 pp"]
    # Feb 2026: the plan (22.2 %) lost 5.6 points against the baseline (16.7 %)
    assert trend[1][3:] == ["22.2%", "-11.1%", "16.7%", "50.0%", "-5.6 pp"]
    fva = cell_texts(html, "fva-table")
    # C1: A 400, plan |A-F| 100 -> 25 %, F-A -60 -> bias -15 % (test_golden); C2's error
    # (20) is smaller, so it comes second. Worst item: P2, |A-F| 70 of A 90 = 77.8 %.
    assert fva[0][:7] == ["C1", "CUSTOMER ONE", "Rep A", "East", "400", "25.0%", "-15.0%"]
    assert [row[0] for row in fva] == ["C1", "C2"]
    worst_items = cell_texts(html, "worst-item-table")
    assert worst_items[0][:3] == ["110002 Shallot diced", "70", "77.8%"]


def _admin():
    from sop.users.services import create_user
    from tests.conftest import DEFAULT_PASSWORD
    return create_user(None, "boss@example.com", "Boss", "admin", DEFAULT_PASSWORD)


@pytest.mark.parametrize(("query", "first_row"), [
    # Grouped by item at lag 3: Mar 2026 (cycle Jan) and Apr 2026 (cycle Feb) measured:
    # P1 A 90+20+100+30 = 240, |A-F| 20+20+30+30 = 100 -> 41.7 %.
    ("lag=3&by=item", ["110001", "Garlic peeled", "Garlic", "240", "41.7%"]),
    ("by=rep", ["Rep A", "400", "25.0%"]),
    ("by=territory", ["East", "400", "25.0%"]),
    # Only the Feb 2026 cycle: Shallot A 0, error 10 -> no WMAPE; Garlic A 180 error 30.
    ("by=group&first=2026-02&last=2026-02", ["Garlic", "180", "16.7%"]),
])
def test_an_htmx_filter_change_answers_the_results_fragment(golden, client, login, query,
                                                            first_row):
    login(_admin())
    response = client.get(f"/accuracy?{query}", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="fva-table"' in html
    row = cell_texts(html, "fva-table")[0]
    assert row[:len(first_row)] == first_row


def test_a_rep_sees_own_customers_only(golden, client, login):
    login(golden["rep_b"])
    html = client.get("/accuracy?by=customer").get_data(as_text=True)
    assert [row[0] for row in cell_texts(html, "fva-table")] == ["C2"]
    assert "CUSTOMER ONE" not in html and "Rep A" not in html
    # Rep B: A 120, plan |A-F| 0 + 10 + 10 = 20 -> 16.7 %
    assert re.search(r'id="plan-wmape">16\.7%<', html)


def test_unknown_filters_fall_back_and_say_so(golden, client, login):
    login(golden["rep_a"])
    response = client.get("/accuracy?lag=7&by=<script>&first=1999-01")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Lag &#39;7&#39; is not offered" in html or "Lag '7' is not offered" in html
    assert "grouped by customer" in html and "not a closed cycle" in html
    assert "<script>" not in html.split("<main", 1)[1]


def test_no_closed_cycle_yet_says_what_accuracy_needs(client, login_as):
    login_as("manager")
    html = client.get("/accuracy").get_data(as_text=True)
    assert "No cycle is closed yet" in html


def test_signed_out_visitors_go_to_the_login_page(client):
    response = client.get("/accuracy")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
