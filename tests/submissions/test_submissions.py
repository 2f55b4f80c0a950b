"""Submitting a plan, the review state machine, the e-mails it sends and who may see what."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from sop.models import AuditEntry, ForecastLine, Submission, User
from sop.submissions import services
from sop.submissions.services import (
    PlanIncomplete,
    ReviewForbidden,
    StateConflict,
    SubmissionError,
    approve_submission,
    plan_is_editable,
    reject_submission,
    submit_plan,
)

FULL = [10.0] * 12


@pytest.fixture
def plan(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    """An open cycle (Nov 2026) and a rep with two customers and three lines, all complete."""
    rep = make_user("sales_rep", email="rita@example.com", full_name="Rita Rep")
    cycle = make_cycle("2026-11", close_date=date(2099, 11, 20))
    acme = make_customer(rep, sop_name="ACME FOODS")
    bravo = make_customer(rep, sop_name="BRAVO MARKETS")
    garlic = make_product("110001", "Peeled Garlic", list_price=3.0)
    ginger = make_product("120002", "Ginger Paste", list_price=4.0)
    make_price(acme, garlic, 5.0)
    lines = [make_line(cycle, rep, acme, garlic, qty=FULL),
             make_line(cycle, rep, acme, ginger, qty=FULL),
             make_line(cycle, rep, bravo, garlic, qty=FULL)]
    return {"rep": rep, "cycle": cycle, "acme": acme, "bravo": bravo, "garlic": garlic,
            "ginger": ginger, "lines": lines}


def blank(line, *buckets: int) -> None:
    for bucket in buckets:
        line.qty[bucket - 1] = None
    line.save()


def submitted(plan, app) -> Submission:
    with app.app_context():
        return submit_plan(plan["cycle"], plan["rep"], plan["rep"])


# --- Submit -----------------------------------------------------------------------------------


def test_submit_is_refused_with_every_missing_month_named_and_linked(app, client, login, plan):
    acme_ginger, bravo_garlic = plan["lines"][1], plan["lines"][2]
    blank(acme_ginger, 1, 2, 3, 7)
    blank(bravo_garlic, 12)
    login(plan["rep"])

    response = client.htmx_post("/submissions/submit")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "2 lines still miss mandatory months" in html
    assert "ACME FOODS" in html and "BRAVO MARKETS" in html
    assert "120002 Ginger Paste: Nov 2026 to Jan 2027, May 2027" in html
    assert "110001 Peeled Garlic: Oct 2027" in html
    cycle_id, acme_id = plan["cycle"].pk, plan["acme"].pk
    assert f'href="/forecast?cycle={cycle_id}&amp;customer={acme_id}"' in html
    # Complete lines of ACME are not listed as missing.
    assert "110001 Peeled Garlic: Nov" not in html
    with app.app_context():
        assert Submission.objects(rep=plan["rep"]).first().status == "draft"
        assert plan_is_editable(plan["cycle"], plan["rep"])


def test_zero_is_a_value_and_months_past_the_mandatory_ones_may_stay_blank(app, plan):
    for line in plan["lines"]:
        line.qty = [0.0] * 12 + [None] * 4
        line.save()
    submission = submitted(plan, app)
    assert submission.status == "submitted"


def test_a_plan_without_lines_cannot_be_submitted(app, make_user, make_cycle):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    with app.app_context(), pytest.raises(PlanIncomplete, match="no lines"):
        submit_plan(cycle, rep, rep)


def test_a_huge_list_of_missing_lines_is_capped_with_a_count(app, plan, make_product, make_line):
    for number in range(80):
        product = make_product(f"{200000 + number}")
        make_line(plan["cycle"], plan["rep"], plan["acme"], product, qty=[1.0])
    with app.app_context(), pytest.raises(PlanIncomplete) as refused:
        submit_plan(plan["cycle"], plan["rep"], plan["rep"])
    report = refused.value.report
    assert report.line_count == 80
    [group] = report.customers
    assert len(group.lines) == services.MISSING_LINES_SHOWN
    assert group.hidden == 80 - services.MISSING_LINES_SHOWN
    assert group.lines[0].months == ["Dec 2026 to Oct 2027"]


def test_submit_locks_the_plan_and_freezes_totals_at_effective_prices(app, plan):
    acme_garlic = plan["lines"][0]
    acme_garlic.price = [6.0] + [None] * 15  # entered price carried forward: 6
    acme_garlic.qty = FULL + [99.0] * 4  # M13-M16 are not part of the totals
    acme_garlic.save()
    # acme_ginger: no price, no matrix entry -> list price 4; bravo_garlic: list price 3.
    submission = submitted(plan, app)

    assert submission.status == "submitted"
    assert submission.method == "portal"
    assert submission.submitted_by.pk == plan["rep"].pk
    assert submission.line_count == 3
    assert submission.totals["months"] == 12
    assert submission.totals["cases"] == pytest.approx(360.0)
    assert submission.totals["dollars"] == pytest.approx(120 * 6 + 120 * 4 + 120 * 3)
    assert [event.status for event in submission.history] == ["submitted"]
    with app.app_context():
        assert not plan_is_editable(plan["cycle"], plan["rep"])
        entry = AuditEntry.objects(action="submission_submitted").get()
        assert entry.entity_id == str(submission.pk)
        assert entry.changes["status"] == {"before": "draft", "after": "submitted"}


def test_a_submitted_plan_refuses_grid_saves_until_rejected(app, client, login, plan,
                                                            make_user):
    line = plan["lines"][0]
    cell = {"cycle": str(plan["cycle"].pk), "customer": str(plan["acme"].pk),
            "product": str(plan["garlic"].pk), "field": "qty", "bucket": "0", "was": "10"}
    submission = submitted(plan, app)
    login(plan["rep"])

    refused = client.htmx_post("/forecast/cell", {**cell, "value": "99"})
    assert refused.status_code == 403
    with app.app_context():
        assert ForecastLine.objects.get(id=line.pk).qty[0] == 10.0
        reject_submission(submission, make_user("manager"), "Raise ACME")
    saved = client.htmx_post("/forecast/cell", {**cell, "value": "99"})
    assert saved.status_code == 200
    with app.app_context():
        assert ForecastLine.objects.get(id=line.pk).qty[0] == 99.0


def test_the_workbook_import_submits_with_method_excel(app, plan):
    with app.app_context():
        submission = submit_plan(plan["cycle"], plan["rep"], plan["rep"], method="excel")
    assert submission.method == "excel"


def test_submitting_twice_is_refused_and_a_concurrent_double_submit_wins_once(app, plan):
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def submit_once() -> None:
        with app.app_context():
            barrier.wait()
            try:
                submit_plan(plan["cycle"], plan["rep"], plan["rep"])
                outcomes.append("submitted")
            except StateConflict:
                outcomes.append("refused")

    threads = [threading.Thread(target=submit_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "submitted"]
    with app.app_context():
        [submission] = Submission.objects(rep=plan["rep"])
        assert [event.status for event in submission.history] == ["submitted"]
        assert AuditEntry.objects(action="submission_submitted").count() == 1
        with pytest.raises(StateConflict, match="already submitted"):
            submit_plan(plan["cycle"], plan["rep"], plan["rep"])


def test_a_closed_cycle_takes_no_submission(app, plan):
    plan["cycle"].status = "closed"
    plan["cycle"].save()
    with app.app_context(), pytest.raises(StateConflict, match="closed"):
        submit_plan(plan["cycle"], plan["rep"], plan["rep"])


# --- Review state machine ---------------------------------------------------------------------


def test_review_state_machine(app, plan, make_user):
    manager = make_user("manager")
    rep, cycle = plan["rep"], plan["cycle"]
    with app.app_context():
        draft = services.submission_for(cycle, rep)
        with pytest.raises(StateConflict, match="Only submitted plans"):
            approve_submission(draft, manager)
        with pytest.raises(StateConflict, match="Only submitted plans"):
            reject_submission(draft, manager, "Too low")

        submission = submit_plan(cycle, rep, rep)
        with pytest.raises(SubmissionError, match="Write a comment"):
            reject_submission(submission, manager, "   ")
        assert Submission.objects.get(id=submission.pk).status == "submitted"

        rejected = reject_submission(submission, manager, "ACME volumes look low")
        assert rejected.status == "rejected"
        assert rejected.review_comment == "ACME volumes look low"
        assert plan_is_editable(cycle, rep)
        with pytest.raises(StateConflict):
            approve_submission(rejected, manager)

        resubmitted = submit_plan(cycle, rep, rep)
        assert resubmitted.status == "submitted"
        assert resubmitted.review_comment is None  # the old verdict no longer applies
        approved = approve_submission(resubmitted, manager)
        assert approved.status == "approved"
        assert not plan_is_editable(cycle, rep)
        with pytest.raises(StateConflict, match="already approved"):
            approve_submission(approved, manager)
        with pytest.raises(StateConflict, match="already approved"):
            reject_submission(approved, manager, "Changed my mind")
        with pytest.raises(StateConflict, match="approved"):
            submit_plan(cycle, rep, rep)

        history = Submission.objects.get(id=submission.pk).history
        assert [(e.status, e.by.pk, e.comment) for e in history] == [
            ("submitted", rep.pk, "Submitted via portal"),
            ("rejected", manager.pk, "ACME volumes look low"),
            ("submitted", rep.pk, "Submitted via portal"),
            ("approved", manager.pk, None)]
        assert AuditEntry.objects(action="submission_rejected").count() == 1
        assert AuditEntry.objects(action="submission_approved").count() == 1
        assert AuditEntry.objects(action="submission_submitted").count() == 2


def test_nobody_reviews_their_own_plan(app, make_user, make_customer, make_product, make_cycle,
                                       make_line):
    manager = make_user("manager")
    cycle = make_cycle("2026-11")
    make_line(cycle, manager, make_customer(manager), make_product(), qty=FULL)
    with app.app_context():
        submission = submit_plan(cycle, manager, manager)
        with pytest.raises(ReviewForbidden):
            approve_submission(submission, manager)
        with pytest.raises(ReviewForbidden):
            reject_submission(submission, manager, "no")
        assert Submission.objects.get(id=submission.pk).status == "submitted"


def test_approving_own_plan_on_the_web_is_403_and_audited(app, client, login, make_user,
                                                           make_customer, make_product,
                                                           make_cycle, make_line):
    manager = make_user("manager")
    cycle = make_cycle("2026-11")
    make_line(cycle, manager, make_customer(manager), make_product(), qty=FULL)
    with app.app_context():
        submission = submit_plan(cycle, manager, manager)
    login(manager)
    response = client.htmx_post(f"/submissions/{submission.pk}/approve", {"view": "board"})
    assert response.status_code == 403
    with app.app_context():
        assert AuditEntry.objects(action="access_denied").count() == 1
        assert Submission.objects.get(id=submission.pk).status == "submitted"


# --- Inline review on the board ---------------------------------------------------------------


def test_board_approve_swaps_the_row_in_place(app, client, login, plan, make_user):
    manager = make_user("manager", full_name="Mona Manager")
    submission = submitted(plan, app)
    login(manager)

    response = client.htmx_post(f"/submissions/{submission.pk}/approve", {"view": "board"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="board-rep-{plan["rep"].pk}"')
    assert "<html" not in html
    assert "Approved" in html and "Approved by Mona Manager" in html
    assert 'hx-post="/submissions/' not in html  # nothing left to review
    # The counts per status above the table follow, out of band.
    assert 'id="board-summary" hx-swap-oob="true"' in html
    assert '<dt>Approved</dt><dd data-status="approved">1</dd>' in html


def test_board_reject_without_comment_is_422_with_the_message_in_the_row(app, client, login,
                                                                         plan, make_user):
    submission = submitted(plan, app)
    login(make_user("manager"))

    response = client.htmx_post(f"/submissions/{submission.pk}/reject",
                                {"view": "board", "comment": " "})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<tr")
    assert "Write a comment: the rep needs to know what to fix." in html
    assert "Submitted" in html
    response = client.htmx_post(f"/submissions/{submission.pk}/reject",
                                {"view": "board", "comment": "Bravo is missing the promo"})
    assert response.status_code == 200
    assert "Rejected" in response.get_data(as_text=True)


def test_reviewing_a_plan_reviewed_meanwhile_is_409_with_the_fresh_row(app, client, login, plan,
                                                                      make_user):
    submission = submitted(plan, app)
    other = make_user("admin", full_name="Ada Admin")
    with app.app_context():
        approve_submission(submission, other)
    login(make_user("manager"))
    response = client.htmx_post(f"/submissions/{submission.pk}/reject",
                                {"view": "board", "comment": "too late"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Ada Admin already approved it" in html
    assert "Approved" in html


def test_detail_page_review_and_timeline(app, client, login, plan, make_user):
    submission = submitted(plan, app)
    login(make_user("manager", full_name="Mona Manager"))
    page = client.get(f"/submissions/{submission.pk}").get_data(as_text=True)
    assert "Rita Rep · Nov 2026 plan" in page
    assert "Approve" in page and "Reject" in page
    assert "360" in page  # cases M1-M12 as submitted

    response = client.htmx_post(f"/submissions/{submission.pk}/reject",
                                {"view": "detail", "comment": "Please add the Q3 promo"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="submission-panel">')
    assert "Rejected" in html and "Please add the Q3 promo" in html
    assert "Mona Manager" in html and "Rita Rep" in html  # who did what in the timeline
    assert 'name="comment"' not in html  # rejected: nothing to review any more


def test_plain_form_review_redirects_back_with_a_message(app, client, login, plan, make_user):
    submission = submitted(plan, app)
    login(make_user("admin"))
    response = client.post_form(f"/submissions/{submission.pk}/reject", {"comment": ""})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Write a comment" in page


# --- E-mail -----------------------------------------------------------------------------------


def recipients(message) -> set[str]:
    return {address.strip() for address in message["To"].split(",")}


def bodies(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart()}


def test_submit_mails_the_rep_and_every_active_approver(app, plan, make_user, mailbox, run_jobs):
    make_user("manager", email="mona@example.com")
    make_user("admin", email="ada@example.com")
    retired = make_user("manager", email="old@example.com")
    with app.app_context():
        User.objects(id=retired.pk).update_one(set__active=False)
    make_user("sales_rep", email="other.rep@example.com")
    submitted(plan, app)
    run_jobs("mail")

    sent = sorted((message["To"], message["Subject"]) for message in mailbox.messages())
    assert sent == [("ada@example.com", "Rita Rep submitted the Nov 2026 plan"),
                    ("mona@example.com", "Rita Rep submitted the Nov 2026 plan"),
                    ("rita@example.com", "Your Nov 2026 plan is submitted")]  # one each
    [to_approvers, *_] = [m for m in mailbox.messages() if m["To"] == "mona@example.com"]
    text = bodies(to_approvers)["text/plain"]
    assert "Lines: 3" in text and "Cases M1-M12: 360" in text
    assert "http://portal.test/submissions/" in text


def test_rejection_mail_carries_the_comment_and_approval_mails_the_rep(app, plan, make_user,
                                                                       mailbox, run_jobs):
    manager = make_user("manager", full_name="Mona Manager")
    submission = submitted(plan, app)
    run_jobs("mail")
    mailbox.clear()
    with app.app_context():
        reject_submission(submission, manager, "Bravo needs the summer promo volumes")
    run_jobs("mail")
    [rejection] = mailbox.messages()
    assert recipients(rejection) == {"rita@example.com"}
    assert rejection["Subject"] == "Your Nov 2026 plan is rejected"
    assert "Bravo needs the summer promo volumes" in bodies(rejection)["text/plain"]
    assert "Bravo needs the summer promo volumes" in bodies(rejection)["text/html"]

    with app.app_context():
        resubmitted = submit_plan(plan["cycle"], plan["rep"], plan["rep"])
    run_jobs("mail")
    mailbox.clear()
    with app.app_context():
        approve_submission(resubmitted, manager, "Thanks, well done")
    run_jobs("mail")
    [approval] = mailbox.messages()
    assert recipients(approval) == {"rita@example.com"}
    assert approval["Subject"] == "Your Nov 2026 plan is approved"
    assert "Thanks, well done" in bodies(approval)["text/plain"]


def test_submission_mails_obey_their_switch(app, plan, make_user, mailbox, run_jobs):
    from sop.settings import store_value

    make_user("manager")
    with app.app_context():
        store_value("notify_submission_received", False, "admin@example.com")
    submitted(plan, app)
    run_jobs("mail")
    assert mailbox.messages() == []


# --- Scoping ----------------------------------------------------------------------------------


def test_a_rep_sees_only_own_submission_and_never_the_board(app, client, login, plan, make_user,
                                                            make_customer, make_product,
                                                            make_line):
    other = make_user("sales_rep")
    make_line(plan["cycle"], other, make_customer(other), make_product(), qty=FULL)
    mine = submitted(plan, app)
    with app.app_context():
        theirs = submit_plan(plan["cycle"], other, other)
    login(plan["rep"])

    assert client.get(f"/submissions/{mine.pk}").status_code == 200
    assert client.get(f"/submissions/{theirs.pk}").status_code == 404
    assert client.get("/submissions").status_code == 403
    assert client.get(f"/submissions/changes?cycle={plan['cycle'].pk}&rep={other.pk}"
                      ).status_code == 403
    assert client.htmx_post(f"/submissions/{theirs.pk}/approve").status_code == 403
    with app.app_context():
        assert Submission.objects.get(id=theirs.pk).status == "submitted"
