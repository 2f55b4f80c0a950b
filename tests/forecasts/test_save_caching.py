"""A cell save reads the cycle, customer, item, plan status, price matrix and catalog from
per-process copies kept until those collections are next written: whatever changes elsewhere
(a submit, a closed cycle, a customer handed to another rep, a new price) holds on the very
next save, never a cached moment later."""

from __future__ import annotations

from sop.models import AuditEntry, Customer, Cycle, ForecastLine, PriceEntry, Product, Submission
from tests.forecasts.test_grid import plan, save, sign_in  # noqa: F401 - the fixture


def row_dollars(html: str, product) -> str:
    start = html.index(f'id="td-{product.pk}"')
    return html[html.index(">", start) + 1:html.index("<", start)]


def test_a_submit_right_after_a_save_locks_the_next_save(client, plan):  # noqa: F811
    sign_in(client, plan["rep"])
    assert save(client, plan, plan["garlic"], 0, "11", "10").status_code == 200
    Submission(cycle=plan["cycle"], rep=plan["rep"], status="submitted").save()
    assert save(client, plan, plan["garlic"], 0, "12", "11").status_code == 403
    line = ForecastLine.objects.get(id=plan["line"].pk)
    assert line.qty[0] == 11 and line.version == 2  # refused before writing anything
    Submission.objects(cycle=plan["cycle"], rep=plan["rep"]).update_one(set__status="rejected")
    assert save(client, plan, plan["garlic"], 0, "12", "11").status_code == 200
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 12


def test_a_cycle_closed_right_after_a_save_locks_the_next_save(client, plan):  # noqa: F811
    sign_in(client, plan["rep"])
    assert save(client, plan, plan["garlic"], 0, "11", "10").status_code == 200
    Cycle.objects(id=plan["cycle"].pk).update_one(set__status="closed")
    assert save(client, plan, plan["garlic"], 0, "12", "11").status_code == 403
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 11


def test_a_customer_handed_to_another_rep_is_out_of_reach_at_once(client, plan,  # noqa: F811
                                                                   make_user):
    sign_in(client, plan["rep"])
    assert save(client, plan, plan["garlic"], 0, "11", "10").status_code == 200
    Customer.objects(id=plan["customer"].pk).update_one(set__sales_rep=make_user("sales_rep"))
    assert save(client, plan, plan["garlic"], 0, "12", "11").status_code == 404
    assert ForecastLine.objects.get(id=plan["line"].pk).qty[0] == 11


def test_new_prices_value_the_next_save(client, plan):  # noqa: F811
    """Shallots have no entered price and none in the matrix: the list price values them,
    until the matrix gets one."""
    sign_in(client, plan["rep"])
    shallot = plan["shallot"]
    assert row_dollars(save(client, plan, shallot, 0, "4", "").get_data(as_text=True),
                       shallot) == "$120"  # 4 x 30
    Product.objects(id=shallot.pk).update_one(set__list_price=35.0)
    assert row_dollars(save(client, plan, shallot, 0, "5", "4").get_data(as_text=True),
                       shallot) == "$175"  # 5 x 35
    PriceEntry.objects(customer=plan["customer"], product=shallot).update_one(set__price=20.0)
    assert row_dollars(save(client, plan, shallot, 0, "6", "5").get_data(as_text=True),
                       shallot) == "$120"  # 6 x 20
    assert AuditEntry.objects(action="forecast_line_updated").count() == 3
