"""`flask create-cycle YYYY-MM [--planning-start YYYY-MM] [--open]`: the same services as the
web, with clear refusals."""

from __future__ import annotations

from datetime import date

from sop.models import AuditEntry, Cycle


def test_create_a_draft_planning_from_its_own_month(app):
    result = app.test_cli_runner().invoke(args=["create-cycle", "2025-11"])
    assert result.exit_code == 0, result.output
    assert "Created cycle Nov 2025 (2025-11), planning from Nov 2025, as a draft." in (
        result.output)
    with app.app_context():
        cycle = Cycle.objects.get(year=2025, month=11)
        assert (cycle.status, cycle.planning_start) == ("draft", date(2025, 11, 1))
        assert AuditEntry.objects.get(action="cycle_created").actor_email is None


def test_create_and_open_with_a_planning_start(app, make_user, make_customer, mailbox,
                                               run_jobs):
    make_customer(make_user("sales_rep", email="rep@example.com"))
    result = app.test_cli_runner().invoke(
        args=["create-cycle", "2025-11", "--planning-start", "2025-12", "--open"])
    assert result.exit_code == 0, result.output
    assert "Opened Nov 2025: 16 months, 12 mandatory" in result.output
    with app.app_context():
        cycle = Cycle.objects.get(year=2025, month=11)
        assert (cycle.status, cycle.planning_start) == ("open", date(2025, 12, 1))
    run_jobs("mail")
    assert [m["To"] for m in mailbox.messages()] == ["rep@example.com"]


def test_duplicates_second_open_cycles_and_bad_months_are_refused(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-cycle", "2025-11", "--open"]).exit_code == 0
    duplicate = runner.invoke(args=["create-cycle", "2025-11"])
    assert duplicate.exit_code == 1
    assert "There is already a cycle for Nov 2025." in duplicate.output
    second = runner.invoke(args=["create-cycle", "2025-12", "--open"])
    assert second.exit_code == 1
    assert "Created cycle Dec 2025" in second.output  # kept as a draft
    assert "Cycle Nov 2025 is open: close it before opening another." in second.output
    bad = runner.invoke(args=["create-cycle", "Nov-2025x"])
    assert bad.exit_code == 2 and "write it as YYYY-MM" in bad.output
    with app.app_context():
        assert [c.status for c in Cycle.objects.order_by("month")] == ["open", "draft"]
