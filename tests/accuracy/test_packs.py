"""Closed cycles packed per customer for accuracy (sop.accuracy.packs) on the golden company
(tests/accuracy/conftest.py, figures from test_golden.py)."""

from __future__ import annotations

import pytest

from sop.accuracy.packs import ensure_packed, pack_cycle
from sop.accuracy.service import closed_cycles, measure_accuracy

approx = pytest.approx


def packs(cycle):
    from sop.models import FrozenPlanPack

    return FrozenPlanPack.objects(cycle=cycle)


def test_a_cycle_is_packed_once_and_a_build_cut_short_is_completed(golden, make_user):
    admin = make_user("admin")
    january = golden["cycles"]["2026-01"]
    first = measure_accuracy(admin, 1, closed_cycles())
    assert packs(january).count() == 3  # C1 and C2, and the marker without a customer
    assert pack_cycle(january) == 0  # nothing missing: nothing written twice
    # a build cut short: one customer's pack and the marker are gone
    packs(january).filter(customer=golden["customers"]["C2"]).delete()
    packs(january).filter(customer=None).delete()
    ensure_packed([january])
    assert packs(january).count() == 3
    again = measure_accuracy(admin, 1, closed_cycles())
    assert again.total.plan.wmape == approx(first.total.plan.wmape) == approx(120 / 520)


def test_a_rep_never_counts_another_reps_plan_line_of_a_customer_now_theirs(golden,
                                                                            make_user):
    # Rep B had planned 25 cases of P2 for C1 in Jan 2026 before C1 went to Rep A.
    # Admin: Jan 2026's C1 P2 plan = 30 (Rep A) + 25 = 55 against A 50: |A-F| 5 instead of
    # 20, so the total error is 120 - 15 = 105 of 520. Rep A: own line only, as before (100).
    from sop.models import ForecastSnapshot

    january = golden["cycles"]["2026-01"]
    ForecastSnapshot(cycle=january, rep=golden["rep_b"], customer=golden["customers"]["C1"],
                     product=golden["products"]["P2"], qty=[25.0] + [None] * 15).save()
    admin = make_user("admin")
    assert measure_accuracy(admin, 1, closed_cycles()).total.plan.abs_error == approx(105)
    assert measure_accuracy(golden["rep_a"], 1, closed_cycles()).total.plan.abs_error == \
        approx(100)
    rep_b = measure_accuracy(golden["rep_b"], 1, closed_cycles())
    assert [row.labels[0] for row in rep_b.rows["customer"]] == ["C2"]  # C1 is not Rep B's
