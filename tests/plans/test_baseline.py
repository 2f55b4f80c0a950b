"""sop.plans.baseline_for: the baseline of the pairs asked for in one cycle, for one customer
or many; a pair without a document has none."""

from __future__ import annotations

import pytest

from sop.models import BaselineLine
from sop.plans import Baseline, baseline_for
from sop.plans.prices import SHORT_LIST

pytestmark = pytest.mark.usefixtures("app_context")


def baseline(cycle, customer, product, qty, **fields) -> BaselineLine:
    return BaselineLine(cycle=cycle, customer=customer, product=product, qty=qty,
                        method=fields.pop("method", "theta"), **fields).save()


def test_the_pairs_asked_for_and_only_those(make_cycle, make_customer, make_product):
    cycle, other_cycle = make_cycle("2026-11"), make_cycle("2026-10", status="closed")
    acme, bayou = make_customer(), make_customer()
    garlic, ginger = make_product(), make_product()
    baseline(cycle, acme, garlic, [8.0] * 16, error=12.5)
    baseline(cycle, bayou, ginger, [0.0] * 16, method="dead", state="dead")
    baseline(cycle, acme, ginger, [3.0] * 16)  # not asked for
    baseline(other_cycle, bayou, garlic, [9.0] * 16)  # another cycle's

    found = baseline_for(cycle.pk, [(acme.pk, garlic.pk), (bayou.pk, ginger.pk),
                                    (bayou.pk, garlic.pk)])

    assert found == {(acme.pk, garlic.pk): Baseline((8.0,) * 16, "theta", "forecast", 12.5),
                     (bayou.pk, ginger.pk): Baseline((0.0,) * 16, "dead", "dead", None)}
    assert found[(acme.pk, garlic.pk)].total == 128
    assert (bayou.pk, garlic.pk) not in found  # no baseline: absent, never 0
    assert baseline_for(cycle.pk, []) == {}


def test_many_customers_read_the_same_as_a_few(make_cycle, make_customer, make_product):
    cycle = make_cycle("2026-11")
    item = make_product()
    customers = [make_customer() for _ in range(SHORT_LIST + 1)]
    for number, customer in enumerate(customers):
        baseline(cycle, customer, item, [float(number)] * 16)
    pairs = [(customer.pk, item.pk) for customer in customers]

    many = baseline_for(cycle.pk, pairs)
    few = {}
    for pair in pairs:
        few.update(baseline_for(cycle.pk, [pair]))
    assert many == few and len(many) == len(customers)
    assert many[pairs[-1]].qty == (float(SHORT_LIST),) * 16
