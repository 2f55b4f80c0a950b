"""Deadline reminders: to reps whose plan is not handed in, in the days before the close date,
once a day, saying what is missing; "today" is the date in SCHEDULER_TIMEZONE."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from sop.extensions import redis_queues
from sop.models import Submission, User
from sop.settings import store_value

CLOSE = date(2026, 11, 27)  # a Friday; plans are due by its end (UTC)
FULL = [10, 10, 10]


def bodies(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart()}


@pytest.fixture
def scene(app, make_user, make_customer, make_product, make_cycle, make_line):
    """Three mandatory months; a rep in every state, one without customers, one inactive."""
    cycle = make_cycle("2026-11", close_date=CLOSE, mandatory_months=3)
    reps = {name: make_user("sales_rep", email=f"{name}@example.com",
                            full_name=f"{name.title()} Rep")
            for name in ("idle", "draft", "rejected", "submitted", "approved", "gone")}
    make_user("sales_rep", email="nocustomers@example.com")
    make_user("manager", email="boss@example.com")
    item_a, item_b = make_product(item_code="110001"), make_product(item_code="110002")
    customers = {name: make_customer(rep, sop_name=f"{name.upper()} FOODS")
                 for name, rep in reps.items()}
    half_done = make_customer(reps["draft"], sop_name="BRAVO MARKET", code="PATITO-BRAVO")
    make_line(cycle, reps["draft"], half_done, item_a, qty=[5, None, 5])
    make_line(cycle, reps["draft"], half_done, item_b, qty=[None])
    make_line(cycle, reps["draft"], customers["draft"], item_a, qty=FULL)
    for name in ("rejected", "submitted", "approved"):
        make_line(cycle, reps[name], customers[name], item_a, qty=FULL)
        with app.app_context():
            Submission(cycle=cycle, rep=reps[name], status=name).save()
    with app.app_context():
        User.objects(id=reps["gone"].pk).update_one(set__active=False)
    return {"cycle": cycle, "reps": reps, "bravo": half_done}


def remind(app, run_jobs, at: str, times: int = 1) -> list[str]:
    """Run the scheduled job at `at` (UTC) `times` times, then deliver; the jobs' results."""
    results = []
    with freeze_time(at):
        for _ in range(times):
            with app.app_context():
                job = redis_queues.queue("default").enqueue(
                    "sop.jobs.reminders.deadline_reminders")
            run_jobs("default")
            with app.app_context():
                results.append(job.latest_result().return_value)
    run_jobs("mail")
    return results


def recipients(mailbox) -> list[str]:
    return sorted(message["To"] for message in mailbox.messages())


def test_reps_with_unsubmitted_work_are_told_what_is_missing(app, scene, mailbox, run_jobs):
    [result] = remind(app, run_jobs, "2026-11-25 09:00:05")
    assert result == "queued 3 reminder(s) for Nov 2026, 2 day(s) left"
    assert recipients(mailbox) == ["draft@example.com", "idle@example.com",
                                   "rejected@example.com"]
    mails = {message["To"]: message for message in mailbox.messages()}
    draft = mails["draft@example.com"]
    assert draft["Subject"] == "2 days left to submit your Nov 2026 plan"
    text, html = bodies(draft)["text/plain"], bodies(draft)["text/html"]
    cycle_id, bravo_id = scene["cycle"].pk, scene["bravo"].pk
    assert "Hello Draft Rep" in text
    assert "end of Friday 27 November 2026 (UTC)" in text
    assert "2 lines of 1 customer still miss mandatory months (the first 3" in text
    assert "- BRAVO MARKET (PATITO-BRAVO): 2 lines" in text
    assert "DRAFT FOODS" not in text  # complete: nothing missing there
    assert f"http://portal.test/forecast?cycle={cycle_id}&customer={bravo_id}" in text
    assert f'href="http://portal.test/forecast?cycle={cycle_id}"' in html
    assert 'href="http://portal.test/"' in html  # the dashboard
    idle = bodies(mails["idle@example.com"])["text/plain"]
    assert "You have not entered any forecast lines yet." in idle
    rejected = bodies(mails["rejected@example.com"])["text/plain"]
    assert "Your plan was rejected" in rejected
    assert "Every mandatory month is filled" in rejected


def test_reminders_go_only_within_the_days_before_the_close_date(app, scene, mailbox,
                                                                 run_jobs):
    [early] = remind(app, run_jobs, "2026-11-23 23:59:00")  # 4 days before: not yet
    assert early == "Nov 2026: not within the reminder days before its close date"
    assert mailbox.messages() == []
    [last] = remind(app, run_jobs, "2026-11-27 23:59:00")
    assert last == "queued 3 reminder(s) for Nov 2026, 0 day(s) left"
    assert {m["Subject"] for m in mailbox.messages()} == {"Last day to submit your Nov 2026 plan"}
    assert "Today is the last day" in bodies(mailbox.messages()[0])["text/plain"]
    mailbox.clear()
    [late] = remind(app, run_jobs, "2026-11-28 09:00:00")  # the deadline has passed
    assert late.startswith("Nov 2026: not within") and mailbox.messages() == []
    with app.app_context():
        store_value("reminder_days_before_close", 5, "admin@example.com")
    remind(app, run_jobs, "2026-11-22 09:00:00")  # 5 days before, now inside the window
    assert len(mailbox.messages()) == 3
    mailbox.clear()
    with app.app_context():
        scene["cycle"].update(set__status="closed")
    [closed] = remind(app, run_jobs, "2026-11-26 09:00:00")
    assert closed == "no cycle is open" and mailbox.messages() == []


def test_twice_the_same_day_is_once_and_the_next_day_again_to_who_still_owes(
        app, scene, mailbox, run_jobs):
    first, second = remind(app, run_jobs, "2026-11-25 09:00:00", times=2)
    assert first.startswith("queued 3") and second.startswith("queued 0")
    remind(app, run_jobs, "2026-11-25 17:00:00")  # "run now" later the same day
    assert len(mailbox.messages()) == 3
    mailbox.clear()
    with app.app_context():
        Submission.objects(rep=scene["reps"]["rejected"].pk).update_one(set__status="submitted")
    remind(app, run_jobs, "2026-11-26 09:00:00")
    assert recipients(mailbox) == ["draft@example.com", "idle@example.com"]
    assert {m["Subject"] for m in mailbox.messages()} == {
        "1 day left to submit your Nov 2026 plan"}


@pytest.mark.parametrize("switch", ["notify_deadline_reminder", "notification_email_enabled"])
def test_reminders_obey_their_switches(app, scene, mailbox, run_jobs, switch):
    with app.app_context():
        store_value(switch, False, "admin@example.com")
    [result] = remind(app, run_jobs, "2026-11-25 09:00:00")
    assert result == "deadline reminders are switched off"
    assert mailbox.messages() == []


def test_today_is_the_date_in_the_scheduler_time_zone(app, scene, mailbox, run_jobs):
    with app.app_context():
        store_value("reminder_days_before_close", 2, "admin@example.com")
    # 20:00 UTC on the 24th: three days before the close date in UTC, too early...
    [utc] = remind(app, run_jobs, "2026-11-24 20:00:30")
    assert utc.startswith("Nov 2026: not within") and mailbox.messages() == []
    app.config["SCHEDULER_TIMEZONE"] = "Pacific/Auckland"  # UTC+13 in November
    try:
        # ... but 09:00 on the 25th in Auckland: two days before, reminders are due.
        [local] = remind(app, run_jobs, "2026-11-24 20:00:30")
        assert local == "queued 3 reminder(s) for Nov 2026, 2 day(s) left"
        assert len(mailbox.messages()) == 3
        # The same local day (still the 24th in UTC, already the 25th there): no second one.
        [again] = remind(app, run_jobs, "2026-11-25 10:59:00")
        assert again.startswith("queued 0")
    finally:
        app.config["SCHEDULER_TIMEZONE"] = "UTC"
