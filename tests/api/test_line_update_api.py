"""A whole line saved over the API: the line's version is the compare-and-set (409 with the
line as it is now), the grid's rules apply (a rep's own line only, none once submitted),
and every changed month is audited like a cell saved in the grid."""

from __future__ import annotations

from sop.models import AuditEntry, ForecastLine, Submission


def _line(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    customer = make_customer(rep, code="PATITO-000001")
    product = make_product(item_code="110001")
    make_price(customer, product, 5.0)
    return rep, cycle, make_line(cycle, rep, customer, product, qty=[10, 10, 10])


def test_a_rep_saves_the_line_at_the_version_read(app, make_user, make_customer,
                                                  make_product, make_price, make_cycle,
                                                  make_line, token_for):
    rep, _cycle, line = _line(make_user, make_customer, make_product, make_price, make_cycle,
                              make_line)
    api = token_for(rep)
    saved = api.patch(f"/api/v1/cycles/2026-11/lines/{line.pk}",
                      json={"version": 1, "qty": [12, 10, None], "probability": 2})
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert body["version"] == 2 and body["qty"][:4] == [12, 10, None, None]
    assert body["probability"] == 2 and body["effective_price"][0] == 5.0
    assert body["customer"] == "PATITO-000001" and body["rep"] == rep.email
    stored = ForecastLine.objects.get(pk=line.pk)
    assert stored.qty[:3] == [12, 10, None] and stored.version == 2
    entry = AuditEntry.objects.get(action="forecast_line_updated")
    assert entry.changes == {"M1 qty": {"before": 10, "after": 12},
                             "M3 qty": {"before": 10, "after": None},
                             "probability": {"before": None, "after": 2}}
    listed = api.get("/api/v1/cycles/2026-11/lines").get_json()["lines"][0]
    assert listed == body

    stale = api.patch(f"/api/v1/cycles/2026-11/lines/{line.pk}",
                      json={"version": 1, "qty": [1]})
    assert stale.status_code == 409
    assert stale.headers["Content-Type"] == "application/problem+json"
    current = stale.get_json()["current"]
    assert current["version"] == 2 and current["qty"][:2] == [12, 10]
    assert current["by"] == rep.full_name
    assert ForecastLine.objects.get(pk=line.pk).qty[0] == 12


def test_only_the_reps_own_open_line(app, make_user, make_customer, make_product,
                                     make_price, make_cycle, make_line, token_for):
    rep, cycle, line = _line(make_user, make_customer, make_product, make_price, make_cycle,
                             make_line)
    path = f"/api/v1/cycles/2026-11/lines/{line.pk}"
    other = token_for(make_user("sales_rep"))
    assert other.patch(path, json={"version": 1, "qty": [1]}).status_code == 404
    assert token_for(make_user("manager")).patch(path, json={"version": 1, "qty": [1]}
                                                 ).status_code == 403
    api = token_for(rep)
    assert api.patch("/api/v1/cycles/2026-11/lines/nope", json={"version": 1, "qty": [1]}
                     ).status_code == 404
    Submission(cycle=cycle, rep=rep, status="submitted", submitted_by=rep).save()
    locked = api.patch(path, json={"version": 1, "qty": [1]})
    assert locked.status_code == 423
    assert ForecastLine.objects.get(pk=line.pk).qty[0] == 10
    assert AuditEntry.objects(action="forecast_line_updated").count() == 0


def test_refused_input_names_what_to_fix(app, make_user, make_customer, make_product,
                                         make_price, make_cycle, make_line, token_for):
    rep, _cycle, line = _line(make_user, make_customer, make_product, make_price, make_cycle,
                              make_line)
    api = token_for(rep)
    path = f"/api/v1/cycles/2026-11/lines/{line.pk}"
    too_long = api.patch(path, json={"version": 1, "qty": [1] * 17})
    assert too_long.status_code == 422 and "16 months" in too_long.get_json()["detail"]
    nothing = api.patch(path, json={"version": 1})
    assert nothing.status_code == 422
    negative = api.patch(path, json={"version": 1, "price": [-1]})
    assert negative.status_code == 422
    assert negative.get_json()["errors"][0]["field"] == "price.0"
    assert api.patch(path, json={"version": 1, "qty": [1], "rep": "x"}).status_code == 422
    assert ForecastLine.objects.get(pk=line.pk).version == 1


def test_a_line_saved_while_the_plan_is_submitted_is_taken_back(
        app, make_user, make_customer, make_product, make_price, make_cycle, make_line,
        token_for, monkeypatch):
    """The submit lands between the editable check and the write (forced here by submitting
    just before the write): the submitted plan must not change under its frozen totals."""
    from sop.forecasts import cells
    from sop.submissions.services import submit_plan

    rep, cycle, line = _line(make_user, make_customer, make_product, make_price, make_cycle,
                             make_line)
    ForecastLine.objects(pk=line.pk).update_one(set__qty=[10] * 12)  # complete: submittable
    write = cells.retry_write_conflicts

    def submitted_first(operation):
        submit_plan(cycle, rep, rep)
        return write(operation)

    monkeypatch.setattr(cells, "retry_write_conflicts", submitted_first)
    answer = token_for(rep).patch(f"/api/v1/cycles/2026-11/lines/{line.pk}",
                                  json={"version": 1, "qty": []})
    assert answer.status_code == 423
    assert "submitted while this was being saved" in answer.get_json()["detail"]
    assert Submission.objects.get(cycle=cycle, rep=rep).status == "submitted"
    assert ForecastLine.objects.get(pk=line.pk).qty[:12] == [10] * 12
    assert not AuditEntry.objects(action="forecast_line_updated")
