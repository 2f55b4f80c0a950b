"""The arithmetic of a forecast line: what a rep sees as $ and what "rolled forward" means."""

from sop.plans import effective_prices, missing_months, revenue, roll_forward, total


def test_effective_price_carries_the_last_entered_price_forward():
    assert effective_prices([None, 12.0, 0, None, 11.5], 9.0, 8.0) == [9.0, 12.0, 12.0, 12.0, 11.5]


def test_effective_price_falls_back_to_matrix_then_list_price_then_zero():
    assert effective_prices([None, 0], None, 8.0) == [8.0, 8.0]
    assert effective_prices([None], 0, None) == [0.0]
    assert effective_prices([None], 7.5, 8.0) == [7.5]


def test_revenue_and_totals_count_blanks_as_nothing():
    assert revenue([2, None, 1.5], [10.0, 10.0, 4.0]) == [20.0, 0.0, 6.0]
    assert total([1, None, 2, 5], 3) == 3.0
    assert total([1, None, 2, 5]) == 8.0


def test_roll_forward_moves_every_month_and_leaves_the_new_last_month_blank():
    assert roll_forward([1, 2, 3, 4], 1, 4) == [2, 3, 4, None]
    assert roll_forward([1, 2, 3, 4], 0, 4) == [1, 2, 3, 4]
    assert roll_forward([1, 2], -1, 3) == [None, 1, 2]


def test_missing_months_treats_zero_as_a_value():
    assert missing_months([0, None, 3, None], 3) == [2]
    assert missing_months([1], 3) == [2, 3]


def test_plan_totals_value_blank_prices_at_the_matrix_then_list_price(
        app_context, make_user, make_customer, make_product, make_price, make_cycle, make_line):
    from sop.plans import plan_totals, totals_by

    rep = make_user("sales_rep")
    customer = make_customer(rep)
    in_matrix = make_product(list_price=5.0)
    listed_only = make_product(list_price=4.0)
    make_price(customer, in_matrix, price=10.0)
    cycle = make_cycle()
    make_line(cycle, rep, customer, in_matrix, qty=[1, 2], price=[None, 12.0])
    make_line(cycle, rep, customer, listed_only, qty=[3, None])

    totals = plan_totals({"cycle": cycle.pk}, cycle.horizon_months)
    assert totals.lines == 2
    assert totals.cases[:2] == [4.0, 2.0]
    assert totals.dollars[:2] == [1 * 10.0 + 3 * 4.0, 2 * 12.0]
    assert totals.cases_through(12) == 6.0
    assert totals_by({"cycle": cycle.pk}, 16, "rep")[rep.pk].dollars_through(2) == 46.0


def test_a_long_list_of_customers_reads_the_whole_matrix_with_the_same_prices(
        app_context, make_user, make_customer, make_product, make_price, make_cycle, make_line):
    from sop.plans import fallback_prices
    from sop.plans.prices import SHORT_LIST

    rep = make_user("sales_rep")
    product = make_product(list_price=5.0)
    customers = [make_customer(rep) for _ in range(SHORT_LIST + 2)]
    for number, customer in enumerate(customers):
        make_price(customer, product, price=float(number) or None)
    pairs = [(c.pk, product.pk) for c in customers]
    by_id = {pair: fallback_prices([pair])[pair] for pair in pairs}  # short look-ups
    assert fallback_prices(pairs) == by_id  # one pass over the whole matrix
    assert by_id[pairs[0]] == 5.0 and by_id[pairs[3]] == 3.0
