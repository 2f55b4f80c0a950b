"""The dashboard per role: a rep's deadline, status and missing months; a manager's summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sop.clock import now
from sop.dashboard.services import Countdown
from sop.submissions.services import approve_submission, reject_submission, submit_plan

FULL = [5.0] * 12


def test_countdown_in_days_and_hours_then_closed():
    deadline = datetime(2026, 11, 21, tzinfo=UTC)
    assert Countdown(deadline, deadline - timedelta(days=2, hours=5)).text == \
        "2 days 5 hours left"
    assert Countdown(deadline, deadline - timedelta(hours=1, minutes=30)).text == \
        "1 hour 30 min left"
    assert Countdown(deadline, deadline).text == "closed"
    assert Countdown(None, deadline).text == "no deadline set"


def test_rep_without_an_open_cycle_is_told_so(client, login_as):
    login_as("sales_rep")
    html = client.get("/").get_data(as_text=True)
    assert "No cycle is open right now" in html
    assert "Your customers" in html  # the master-data tiles stay


def test_rep_sees_deadline_status_missing_months_and_submits(app, client, login, make_user,
                                                            make_customer, make_product,
                                                            make_cycle, make_line):
    rep = make_user("sales_rep", full_name="Rita Rep")
    close = (now() + timedelta(days=3)).date()
    cycle = make_cycle("2026-11", close_date=close)
    acme = make_customer(rep, sop_name="ACME FOODS")
    bravo = make_customer(rep, sop_name="BRAVO MARKETS")
    garlic = make_product("110001", "Peeled Garlic")
    line = make_line(cycle, rep, acme, garlic, qty=[1.0] * 11)  # Oct 2027 (M12) blank
    make_line(cycle, rep, bravo, garlic, qty=FULL)
    login(rep)

    html = client.get("/").get_data(as_text=True)
    assert "Nov 2026 cycle" in html
    assert "3 days" in html and "left" in html  # the countdown (the exact hours move)
    assert "Not submitted" in html
    assert "Customers with missing months" in html
    assert f'href="/forecast?cycle={cycle.pk}&amp;customer={acme.pk}">ACME FOODS</a>' in html
    assert "110001 Peeled Garlic: Oct 2027" in html
    assert "BRAVO MARKETS" not in html  # complete customers are not listed
    assert "Submit my plan" in html

    line.qty = FULL
    line.save()
    response = client.htmx_post("/submissions/submit")
    assert response.status_code == 200
    panel = response.get_data(as_text=True)
    assert panel.lstrip().startswith('<section class="card plan-panel" id="plan-panel"')
    assert "Submitted" in panel and "See your submission" in panel
    assert "Submit my plan" not in panel


def test_rep_sees_the_reviewers_comment_after_a_rejection(app, client, login, make_user,
                                                         make_customer, make_product,
                                                         make_cycle, make_line):
    rep = make_user("sales_rep")
    manager = make_user("manager", full_name="Mona Manager")
    cycle = make_cycle("2026-11", close_date=date(2099, 1, 1))
    make_line(cycle, rep, make_customer(rep), make_product(), qty=FULL)
    with app.app_context():
        reject_submission(submit_plan(cycle, rep, rep), manager, "Add the Q3 promo volumes")
    login(rep)
    html = client.get("/").get_data(as_text=True)
    assert "Rejected" in html
    assert "Rejected by Mona Manager" in html and "Add the Q3 promo volumes" in html
    assert "Submit my plan" in html


def test_rep_after_approval_has_a_link_to_the_submission(app, client, login, make_user,
                                                        make_customer, make_product, make_cycle,
                                                        make_line):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    make_line(cycle, rep, make_customer(rep), make_product(), qty=FULL)
    with app.app_context():
        submission = approve_submission(submit_plan(cycle, rep, rep), make_user("admin"))
    login(rep)
    html = client.get("/").get_data(as_text=True)
    assert "Approved" in html and "Submit my plan" not in html
    assert f'href="/submissions/{submission.pk}"' in html


def test_manager_sees_counts_and_who_is_late_when_the_deadline_is_near(
        app, client, login_as, make_user, make_customer, make_product, make_cycle, make_line):
    cycle = make_cycle("2026-11", close_date=(now() + timedelta(days=1)).date())
    late = make_user("sales_rep", full_name="Larry Late")
    done = make_user("sales_rep", full_name="Dana Done")
    make_customer(late)
    make_line(cycle, done, make_customer(done), make_product(), qty=FULL)
    with app.app_context():
        submit_plan(cycle, done, done)
    login_as("manager")
    html = client.get("/").get_data(as_text=True)
    assert "Nov 2026 submissions" in html
    assert f'href="/submissions?cycle={cycle.pk}"' in html
    assert '<dt>Not submitted</dt><dd data-status="draft">1</dd>' in html
    assert '<dt>Waiting for review</dt><dd data-status="submitted">1</dd>' in html
    late_list = html.split('<ul class="late">')[1].split("</ul>")[0]
    assert "Larry Late" in late_list and "Dana Done" not in late_list


def test_nobody_is_late_while_the_deadline_is_far(app, client, login_as, make_user,
                                                 make_customer, make_cycle):
    make_cycle("2026-11", close_date=(now() + timedelta(days=20)).date())
    make_customer(make_user("sales_rep", full_name="Larry Later"))
    login_as("admin")
    html = client.get("/").get_data(as_text=True)
    assert "Nobody is late" in html
    assert "Manage users" in html  # the admin tiles stay


def test_a_passed_deadline_makes_every_unsubmitted_rep_late(app, client, login_as, make_user,
                                                            make_customer, make_cycle):
    make_cycle("2026-11", close_date=(now() - timedelta(days=1)).date())
    make_customer(make_user("sales_rep", full_name="Larry Late"))
    login_as("manager")
    html = client.get("/").get_data(as_text=True)
    assert "closed" in html and "the deadline has passed" in html
    assert "Larry Late" in html.split('<ul class="late">')[1]
