"""Opening e-mails the reps with customers; closing freezes a snapshot and marks plans not
handed in as missed; the hourly auto-close job obeys its setting and the deadline and is
safe to run twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from sop.cycles.services import CycleError, create_cycle
from sop.cycles.states import close_cycle, open_cycle
from sop.jobs.cycles import auto_close_cycles
from sop.models import (
    AuditEntry,
    Cycle,
    ForecastLine,
    ForecastSnapshot,
    Submission,
    SubmissionEvent,
)
from sop.plans import valued_plan_lines
from sop.settings import store_value

GRID_LINK = "http://portal.test/forecast?cycle={cycle}"
WORKBOOKS_LINK = "http://portal.test/workbooks"


def bodies(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk() if not part.is_multipart()}


def test_opening_emails_each_rep_with_customers_once(app, make_user, make_customer, mailbox,
                                                     run_jobs):
    admin = make_user("admin")
    planner = make_user("sales_rep", email="ana@example.com", full_name="Ana Planner")
    other = make_user("sales_rep", email="bo@example.com")
    make_customer(planner)
    make_customer(planner)
    make_customer(other)
    make_user("sales_rep", email="nocustomers@example.com")
    lapsed = make_user("sales_rep", email="lapsed@example.com")
    make_customer(lapsed, active=False)  # only inactive customers: nothing to plan
    make_user("manager", email="boss@example.com")
    with app.app_context():
        cycle = create_cycle(admin, date(2025, 11, 1), close_date=date(2025, 11, 21))
        open_cycle(admin, cycle)
    assert mailbox.messages() == []  # sent by the worker, not the request
    run_jobs("mail")
    messages = mailbox.messages()
    assert sorted(m["To"] for m in messages) == ["ana@example.com", "bo@example.com"]
    [mail] = [m for m in messages if m["To"] == "ana@example.com"]
    assert mail["Subject"] == "Nov 2025 S&OP cycle is open"
    parts = bodies(mail)
    assert "Hello Ana Planner" in parts["text/plain"]
    assert "Friday 21 November 2025" in parts["text/plain"]
    assert GRID_LINK.format(cycle=cycle.pk) in parts["text/plain"]
    assert WORKBOOKS_LINK in parts["text/plain"]
    assert f'href="{GRID_LINK.format(cycle=cycle.pk)}"' in parts["text/html"]


def test_opening_mail_obeys_its_switch(app, make_user, make_customer, mailbox, run_jobs):
    admin = make_user("admin")
    make_customer(make_user("sales_rep"))
    with app.app_context():
        store_value("notify_cycle_opened", False, admin.email)
        open_cycle(admin, create_cycle(admin, date(2025, 11, 1)))
    run_jobs("mail")
    assert mailbox.messages() == []


@pytest.fixture
def closing_scene(app, make_user, make_customer, make_product, make_price, make_line):
    """An open cycle: four reps with customers in every state, and a rep who lost their
    customers but still has lines."""
    admin = make_user("admin")
    reps = {name: make_user("sales_rep", email=f"{name}@example.com")
            for name in ("submitted", "approved", "draft", "rejected", "idle", "moved")}
    customers = {name: make_customer(rep) for name, rep in reps.items() if name != "moved"}
    product = make_product(list_price=5.0)
    with app.app_context():
        cycle = create_cycle(admin, date(2025, 11, 1), close_date=date(2025, 11, 20))
        open_cycle(admin, cycle)
    make_price(customers["draft"], product, 12.0)
    line = make_line(cycle, reps["draft"], customers["draft"], product, qty=[10, 20, 0, None],
                     price=[None, 15.0, None, 0.0], probability=2)
    make_line(cycle, reps["submitted"], customers["submitted"], product, qty=[1] * 12)
    make_line(cycle, reps["moved"], customers["idle"], product, qty=[3])
    with app.app_context():
        for name in ("submitted", "approved", "draft", "rejected"):
            Submission(cycle=cycle, rep=reps[name], status=name,
                       history=[SubmissionEvent(status=name)]).save()
    return {"admin": admin, "reps": reps, "cycle": cycle, "line": line}


def test_close_freezes_every_line_with_effective_prices(app_context, closing_scene):
    close_cycle(closing_scene["admin"], closing_scene["cycle"])
    assert ForecastSnapshot.objects(cycle=closing_scene["cycle"]).count() == 3
    frozen = ForecastSnapshot.objects.get(line_id=closing_scene["line"].pk)
    assert frozen.qty[:4] == [10, 20, 0, None]
    assert frozen.price[:4] == [None, 15.0, None, 0.0]
    # matrix price 12 until a price is entered, then the last entered price carries on
    assert frozen.effective_price[:5] == [12.0, 15.0, 15.0, 15.0, 15.0]
    assert len(frozen.effective_price) == 16
    assert frozen.probability == 2
    assert frozen.rep.email == "draft@example.com"
    lapsed = ForecastSnapshot.objects.get(rep=closing_scene["reps"]["submitted"])
    assert lapsed.effective_price[0] == 5.0  # no matrix price: the list price


def test_close_marks_every_plan_not_handed_in_as_missed(app_context, closing_scene):
    cycle = closing_scene["cycle"]
    close_cycle(closing_scene["admin"], cycle)
    status = {s.rep.email.split("@")[0]: s for s in Submission.objects(cycle=cycle)}
    assert {name: s.status for name, s in status.items()} == {
        "submitted": "submitted", "approved": "approved", "draft": "missed",
        "rejected": "missed", "idle": "missed", "moved": "missed"}
    assert [e.status for e in status["rejected"].history] == ["rejected", "missed"]
    assert [e.status for e in status["idle"].history] == ["missed"]  # never started
    assert Cycle.objects.get(id=cycle.pk).status == "closed"
    [entry] = AuditEntry.objects(action="cycle_closed")
    assert "3 lines frozen, 4 plans missed" in entry.message
    assert entry.actor_email == closing_scene["admin"].email


def test_closing_twice_has_the_effect_of_once(app_context, closing_scene):
    cycle = closing_scene["cycle"]
    close_cycle(closing_scene["admin"], cycle)
    with pytest.raises(CycleError, match="Only an open cycle can be closed"):
        close_cycle(closing_scene["admin"], Cycle.objects.get(id=cycle.pk))
    assert ForecastSnapshot.objects.count() == 3
    assert AuditEntry.objects(action="cycle_closed").count() == 1
    idle = Submission.objects.get(rep=closing_scene["reps"]["idle"])
    assert len(idle.history) == 1


def test_auto_close_waits_for_the_end_of_the_close_date(app_context, closing_scene):
    cycle = closing_scene["cycle"]  # closes 2025-11-20: the deadline is 21 Nov 00:00 UTC
    with freeze_time(datetime(2025, 11, 20, 23, 59)):
        assert auto_close_cycles() == "closed 0 cycle(s)"
    assert Cycle.objects.get(id=cycle.pk).status == "open"
    with freeze_time(datetime(2025, 11, 21, 0, 0, 1)):
        assert auto_close_cycles() == "closed 1 cycle(s): 2025-11"
        assert auto_close_cycles() == "closed 0 cycle(s)"  # a second run changes nothing
    closed = Cycle.objects.get(id=cycle.pk)
    assert closed.status == "closed"
    assert ForecastSnapshot.objects.count() == 3
    assert Submission.objects(status="missed").count() == 4
    [entry] = AuditEntry.objects(action="cycle_closed")
    assert entry.actor_email is None and "automatically" in entry.message


def test_auto_close_obeys_its_setting(app_context, closing_scene):
    store_value("auto_close_cycles", False, closing_scene["admin"].email)
    with freeze_time(datetime(2025, 12, 31)):
        assert auto_close_cycles() == "closed 0 cycle(s)"
    assert Cycle.objects.get(id=closing_scene["cycle"].pk).status == "open"


def test_auto_close_leaves_cycles_without_a_close_date(app_context, make_user):
    admin = make_user("admin")
    cycle = create_cycle(admin, date(2025, 11, 1))
    open_cycle(admin, cycle)
    with freeze_time(datetime.now() + timedelta(days=400)):
        assert auto_close_cycles() == "closed 0 cycle(s)"


def test_the_scheduled_job_runs_in_the_worker(app, closing_scene, run_jobs):
    from sop.extensions import redis_queues

    with app.app_context():
        Cycle.objects(id=closing_scene["cycle"].pk).update(set__close_date=date(2020, 1, 1))
        redis_queues.queue("default").enqueue("sop.jobs.cycles.auto_close_cycles")
        redis_queues.queue("default").enqueue("sop.jobs.cycles.auto_close_cycles")
    run_jobs("default")
    with app.app_context():
        assert Cycle.objects.get(id=closing_scene["cycle"].pk).status == "closed"
        assert AuditEntry.objects(action="cycle_closed").count() == 1
        assert ForecastSnapshot.objects.count() == 3


def test_once_closed_the_plan_is_read_from_the_snapshot_not_the_live_lines(app_context,
                                                                         closing_scene):
    cycle = closing_scene["cycle"]
    line = closing_scene["line"]

    def planned() -> list[float]:  # the line's effective $/case in M2
        return [valued.prices[1] for valued in valued_plan_lines(cycle.pk, {"rep": line.rep.pk},
                                                                 ())]

    assert planned() == [15.0]  # open: the live line
    close_cycle(closing_scene["admin"], cycle)
    assert Cycle.objects.get(id=cycle.pk).snapshot_at is not None
    ForecastLine.objects(id=line.pk).update_one(set__price__1=99.0)  # the live line moves
    assert planned() == [15.0]  # as frozen at close


def test_a_close_cut_short_is_finished_by_the_hourly_job(app_context, closing_scene):
    cycle, admin = closing_scene["cycle"], closing_scene["admin"]
    store_value("auto_close_cycles", False, admin.email)  # finishing is not auto-closing
    with freeze_time(datetime(2025, 11, 25, 10, 0)):
        close_cycle(admin, cycle)
    # As if the process had died while freezing: one line frozen, no plan marked missed yet.
    ForecastSnapshot.objects(line_id__ne=closing_scene["line"].pk).delete()
    Submission.objects(status="missed").delete()
    Cycle.objects(id=cycle.pk).update_one(unset__snapshot_at=True)
    assert len(list(valued_plan_lines(cycle.pk, {}, ()))) == 3  # meanwhile: the live lines

    with freeze_time(datetime(2025, 11, 25, 10, 10)):  # may still be freezing: left alone
        assert auto_close_cycles() == "closed 0 cycle(s)"
    assert ForecastSnapshot.objects.count() == 1
    with freeze_time(datetime(2025, 11, 25, 11, 0)):
        assert auto_close_cycles() == "closed 0 cycle(s); finished closing 2025-11"
        assert auto_close_cycles() == "closed 0 cycle(s)"  # a second run changes nothing
    finished = Cycle.objects.get(id=cycle.pk)
    closed_at = datetime(2025, 11, 25, 10, 0, tzinfo=UTC)
    assert finished.snapshot_at == finished.closed_at == closed_at
    assert ForecastSnapshot.objects.count() == 3
    assert {s.frozen_at for s in ForecastSnapshot.objects} == {closed_at}
    assert Submission.objects(status="missed").count() == 4
    [entry] = AuditEntry.objects(action="cycle_close_finished")
    assert "2 more lines frozen, 4 more plans missed" in entry.message
