"""The cycle state machine: draft → open → closed, open → draft while nothing is handed in,
delete only in draft, one open cycle at a time, planning start frozen once open."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from sop.cycles.services import CycleError, create_cycle, delete_cycle, update_cycle
from sop.cycles.states import back_to_draft, close_cycle, open_cycle
from sop.models import AuditEntry, Cycle, ForecastLine, Submission
from sop.settings import store_value


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def test_create_defaults_name_and_planning_start_to_the_cycles_month(app_context, admin):
    cycle = create_cycle(admin, date(2025, 11, 1), close_date=date(2025, 11, 20))
    assert (cycle.name, cycle.label, cycle.planning_start, cycle.status) == (
        "Nov 2025", "2025-11", date(2025, 11, 1), "draft")
    other = create_cycle(admin, date(2025, 12, 1), name="Xmas plan",
                         planning_start=date(2026, 1, 1))
    assert other.name == "Xmas plan"
    assert other.bucket_months[0] == date(2026, 1, 1)
    assert other.bucket_months[-1] == date(2027, 4, 1)
    entry = AuditEntry.objects.get(action="cycle_created", entity_id=str(cycle.pk))
    assert entry.changes["close_date"]["after"] is not None


def test_a_second_cycle_for_the_same_month_is_a_field_error(app_context, admin):
    create_cycle(admin, date(2025, 11, 1))
    with pytest.raises(CycleError) as refused:
        create_cycle(admin, date(2025, 11, 15))
    assert refused.value.field == "month"
    assert "already a cycle for Nov 2025" in str(refused.value)
    assert Cycle.objects.count() == 1


def test_close_date_before_open_date_is_refused(app_context, admin):
    with pytest.raises(CycleError, match="close date cannot be before"):
        create_cycle(admin, date(2025, 11, 1), open_date=date(2025, 11, 10),
                     close_date=date(2025, 11, 5))


def test_open_freezes_the_settings_and_planning_start(app_context, admin):
    cycle = create_cycle(admin, date(2025, 11, 1))
    store_value("max_forecast_months", 14, admin.email)
    store_value("min_forecast_months_required", 10, admin.email)
    open_cycle(admin, cycle)
    assert (cycle.status, cycle.horizon_months, cycle.mandatory_months) == ("open", 14, 10)
    assert cycle.opened_at is not None
    store_value("max_forecast_months", 16, admin.email)  # later changes do not reach it
    assert Cycle.objects.get(id=cycle.pk).horizon_months == 14
    with pytest.raises(CycleError, match="only its close date") as refused:
        update_cycle(admin, cycle, planning_start=date(2025, 12, 1),
                     close_date=cycle.close_date)
    assert refused.value.field == "planning_start"
    assert Cycle.objects.get(id=cycle.pk).planning_start == date(2025, 11, 1)
    # The close date still moves while open.
    update_cycle(admin, cycle, close_date=date(2025, 11, 28))
    assert Cycle.objects.get(id=cycle.pk).close_date == date(2025, 11, 28)
    assert AuditEntry.objects(action="cycle_updated").count() == 1
    assert AuditEntry.objects(action="cycle_opened").count() == 1


def test_a_draft_is_editable(app_context, admin):
    cycle = create_cycle(admin, date(2025, 11, 1))
    update_cycle(admin, cycle, planning_start=date(2025, 12, 1), open_date=date(2025, 11, 3),
                 close_date=date(2025, 11, 20))
    stored = Cycle.objects.get(id=cycle.pk)
    assert (stored.planning_start, stored.open_date, stored.close_date) == (
        date(2025, 12, 1), date(2025, 11, 3), date(2025, 11, 20))
    entry = AuditEntry.objects.get(action="cycle_updated")
    assert set(entry.changes) == {"planning_start", "open_date", "close_date"}


def test_only_one_cycle_is_open(app_context, admin):
    first = create_cycle(admin, date(2025, 10, 1))
    second = create_cycle(admin, date(2025, 11, 1))
    open_cycle(admin, first)
    with pytest.raises(CycleError, match="Oct 2025 is open"):
        open_cycle(admin, second)
    assert Cycle.objects.get(id=second.pk).status == "draft"
    close_cycle(admin, first)
    open_cycle(admin, second)
    assert Cycle.objects(status="open").count() == 1


def test_concurrent_opens_cannot_both_win(app, admin):
    with app.app_context():
        cycles = [create_cycle(admin, date(2025, month, 1)) for month in range(1, 9)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(cycles))

    def try_open(cycle: Cycle) -> None:
        with app.app_context():
            barrier.wait()
            try:
                open_cycle(admin, cycle)
                outcomes.append("opened")
            except CycleError:
                outcomes.append("refused")

    threads = [threading.Thread(target=try_open, args=(c,)) for c in cycles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["opened"] + ["refused"] * (len(cycles) - 1)
    with app.app_context():
        assert Cycle.objects(status="open").count() == 1


def test_open_back_to_draft_while_nothing_is_handed_in(app_context, admin, make_user):
    cycle = create_cycle(admin, date(2025, 11, 1))
    open_cycle(admin, cycle)
    rep = make_user("sales_rep")
    Submission(cycle=cycle, rep=rep, status="draft").save()  # a draft is not handed in
    back_to_draft(admin, cycle)
    assert cycle.status == "draft" and cycle.opened_at is None
    assert AuditEntry.objects(action="cycle_reopened").count() == 1


@pytest.mark.parametrize("status", ["submitted", "approved", "rejected"])
def test_open_stays_open_once_a_plan_is_handed_in(app_context, admin, make_user, status):
    cycle = create_cycle(admin, date(2025, 11, 1))
    open_cycle(admin, cycle)
    Submission(cycle=cycle, rep=make_user("sales_rep"), status=status).save()
    with pytest.raises(CycleError, match="1 plan has been submitted"):
        back_to_draft(admin, cycle)
    assert Cycle.objects.get(id=cycle.pk).status == "open"


def test_refused_transitions(app_context, admin):
    cycle = create_cycle(admin, date(2025, 11, 1))
    with pytest.raises(CycleError, match="Only an open cycle can be closed"):
        close_cycle(admin, cycle)
    with pytest.raises(CycleError, match="Only an open cycle can go back"):
        back_to_draft(admin, cycle)
    open_cycle(admin, cycle)
    with pytest.raises(CycleError, match="Only a draft cycle can be opened"):
        open_cycle(admin, cycle)
    with pytest.raises(CycleError, match="Only a draft cycle can be deleted"):
        delete_cycle(admin, cycle)
    close_cycle(admin, cycle)
    for refused in (open_cycle, back_to_draft, delete_cycle, close_cycle):
        with pytest.raises(CycleError):
            refused(admin, cycle)
    with pytest.raises(CycleError, match="closed: it can no longer change"):
        update_cycle(admin, cycle, close_date=date(2026, 1, 1))
    assert Cycle.objects.get(id=cycle.pk).status == "closed"


def test_delete_a_draft_with_what_hangs_off_it(app_context, admin, make_user, make_customer,
                                               make_product, make_line):
    cycle = create_cycle(admin, date(2025, 11, 1))
    open_cycle(admin, cycle)
    rep = make_user("sales_rep")
    make_line(cycle, rep, make_customer(rep), make_product(), qty=[1])
    back_to_draft(admin, cycle)
    delete_cycle(admin, cycle)
    assert Cycle.objects.count() == 0 and ForecastLine.objects.count() == 0
    assert AuditEntry.objects(action="cycle_deleted").count() == 1
