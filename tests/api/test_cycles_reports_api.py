"""Cycle administration and reports over the API, through the pages' services."""

from __future__ import annotations

from sop.models import AuditEntry, Cycle


def test_an_admin_creates_opens_and_closes_a_cycle(app, api_as, mailbox):
    api = api_as("admin")
    created = api.post("/api/v1/cycles", json={"month": "2026-11", "close_date": "2026-11-20"})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["status"] == "draft"
    assert created.get_json()["buckets"][0] == "2026-11"
    twice = api.post("/api/v1/cycles", json={"month": "2026-11"})
    assert twice.status_code == 422 and twice.get_json()["errors"][0]["field"] == "month"
    renamed = api.patch("/api/v1/cycles/2026-11", json={"name": "November plan"})
    assert renamed.get_json()["name"] == "November plan"
    opened = api.post("/api/v1/cycles/2026-11/transitions", json={"action": "open"})
    assert opened.get_json()["status"] == "open"
    assert api.post("/api/v1/cycles/2026-11/transitions", json={"action": "open"}
                    ).status_code == 409
    closed = api.post("/api/v1/cycles/2026-11/transitions", json={"action": "close"})
    assert closed.get_json()["status"] == "closed"
    assert Cycle.objects.get().snapshot_at is not None
    assert {"cycle_created", "cycle_opened", "cycle_closed"} <= set(
        AuditEntry.objects.distinct("action"))


def test_reps_and_managers_cannot_administer_cycles(app, api_as):
    for role in ("manager", "sales_rep"):
        assert api_as(role).post("/api/v1/cycles", json={"month": "2026-11"}
                                 ).status_code == 403


def test_a_report_is_requested_polled_downloaded_and_emailed(app, make_user, make_customer,
                                                             make_product, make_cycle,
                                                             make_line, token_for, run_jobs,
                                                             mailbox):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    customer = make_customer(rep, code="PATITO-000001")
    make_line(cycle, rep, customer, make_product(item_code="110001"), qty=[3] * 12)
    api = token_for(rep)
    requested = api.post("/api/v1/reports", json={"kind": "consolidated", "cycle": "2026-11"})
    assert requested.status_code == 202, requested.get_json()
    report_id = requested.get_json()["id"]
    run_jobs("reports")
    status = api.get(f"/api/v1/reports/{report_id}").get_json()
    assert status["status"] == "done", status
    download = api.get(f"/api/v1/reports/{report_id}/file")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    emailed = api.post(f"/api/v1/reports/{report_id}/email",
                       json={"addresses": ["boss@example.com"]})
    assert emailed.status_code == 202 and emailed.get_json()["attached"] is True
    reader = token_for(rep, scopes=["read"])  # may build and pull reports, not mail them out
    assert reader.post("/api/v1/reports", json={"kind": "consolidated", "cycle": "2026-11"}
                       ).status_code == 202
    assert reader.post(f"/api/v1/reports/{report_id}/email",
                       json={"addresses": ["outside@example.org"]}).status_code == 403
    other = token_for(make_user("sales_rep"))
    assert other.get(f"/api/v1/reports/{report_id}").status_code == 404
    bad = api.post("/api/v1/reports", json={"kind": "consolidated", "rep": "x@example.com"})
    assert bad.status_code in (404, 422)
