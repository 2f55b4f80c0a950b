"""Plans over the API: a rep's token sees only the rep's lines; a cell save is the grid's
compare-and-set (409 with the value held now); submit and review go through the services."""

from __future__ import annotations

from sop.models import AuditEntry, ForecastLine, Submission


def _setup(make_user, make_customer, make_product, make_price, make_cycle, make_line):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    cycle = make_cycle("2026-11")
    mine = make_customer(rep, code="PATITO-000001", territory="South")
    theirs = make_customer(other, code="PATITO-000002", territory="North")
    product = make_product(item_code="110001", group_code="1-2")
    make_price(mine, product, 5.0)
    make_line(cycle, rep, mine, product, qty=[10] * 12, price=[6.0])
    make_line(cycle, other, theirs, product, qty=[20] * 12)
    return rep, other, cycle


def test_a_reps_token_pulls_only_the_reps_lines(app, make_user, make_customer, make_product,
                                                make_price, make_cycle, make_line, token_for):
    rep, other, _cycle = _setup(make_user, make_customer, make_product, make_price, make_cycle,
                                make_line)
    page = token_for(rep).get("/api/v1/cycles/2026-11/lines").get_json()
    assert [line["customer"] for line in page["lines"]] == ["PATITO-000001"]
    line = page["lines"][0]
    assert line["qty"][:12] == [10] * 12 and line["qty"][12] is None
    assert line["effective_price"][:2] == [6.0, 6.0]  # last positive price carried on
    assert line["rep"] == rep.email and page["next_cursor"] is None
    api = token_for(rep)
    assert api.get("/api/v1/cycles/2026-11/lines?customer=PATITO-000002").status_code == 404
    assert api.get(f"/api/v1/cycles/2026-11/lines?rep={other.email}").status_code == 404


def test_a_manager_filters_the_whole_plan(app, make_user, make_customer, make_product,
                                          make_price, make_cycle, make_line, token_for):
    _setup(make_user, make_customer, make_product, make_price, make_cycle, make_line)
    api = token_for(make_user("manager"))
    everything = api.get("/api/v1/cycles/2026-11/lines?limit=1").get_json()
    assert len(everything["lines"]) == 1 and everything["next_cursor"]
    rest = api.get(f"/api/v1/cycles/2026-11/lines?cursor={everything['next_cursor']}"
                   ).get_json()
    assert len(rest["lines"]) == 1 and rest["next_cursor"] is None
    north = api.get("/api/v1/cycles/2026-11/lines?territory=North").get_json()
    assert [line["customer"] for line in north["lines"]] == ["PATITO-000002"]
    group = api.get("/api/v1/cycles/2026-11/lines?group=1-2&item=110001").get_json()
    assert len(group["lines"]) == 2


def test_a_cell_save_is_a_compare_and_set(app, make_user, make_customer, make_product,
                                          make_price, make_cycle, make_line, token_for):
    rep, _other, _cycle = _setup(make_user, make_customer, make_product, make_price,
                                 make_cycle, make_line)
    api = token_for(rep)
    cell = {"customer": "PATITO-000001", "item": "110001", "field": "qty", "bucket": 1}
    saved = api.put("/api/v1/cycles/2026-11/cells", json={**cell, "value": 12, "loaded": 10})
    assert saved.status_code == 200, saved.get_json()
    stale = api.put("/api/v1/cycles/2026-11/cells", json={**cell, "value": 15, "loaded": 10})
    assert stale.status_code == 409
    assert stale.get_json()["current"]["value"] == 12
    assert ForecastLine.objects.get(rep=rep).qty[0] == 12
    assert AuditEntry.objects(action="forecast_line_updated").count() == 1
    theirs = api.put("/api/v1/cycles/2026-11/cells", json={
        **cell, "customer": "PATITO-000002", "value": 1, "loaded": 20})
    assert theirs.status_code == 404
    manager = token_for(make_user("manager"))
    assert manager.put("/api/v1/cycles/2026-11/cells", json={**cell, "value": 1, "loaded": 12}
                       ).status_code == 403


def test_submit_then_review_with_a_comment(app, make_user, make_customer, make_product,
                                           make_price, make_cycle, make_line, token_for):
    rep, _other, _cycle = _setup(make_user, make_customer, make_product, make_price,
                                 make_cycle, make_line)
    api = token_for(rep)
    submitted = api.post("/api/v1/cycles/2026-11/submissions", json={})
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["status"] == "submitted"
    again = api.post("/api/v1/cycles/2026-11/submissions", json={})
    assert again.status_code == 409
    locked = api.put("/api/v1/cycles/2026-11/cells", json={
        "customer": "PATITO-000001", "item": "110001", "field": "qty", "bucket": 1,
        "value": 3, "loaded": 10})
    assert locked.status_code == 423
    submission_id = submitted.get_json()["id"]
    assert api.post(f"/api/v1/submissions/{submission_id}/review",
                    json={"decision": "approve"}).status_code == 403
    manager = token_for(make_user("manager"))
    no_comment = manager.post(f"/api/v1/submissions/{submission_id}/review",
                              json={"decision": "reject"})
    assert no_comment.status_code == 422
    assert no_comment.get_json()["errors"][0]["field"] == "comment"
    rejected = manager.post(f"/api/v1/submissions/{submission_id}/review",
                            json={"decision": "reject", "comment": "M3 looks low"})
    assert rejected.get_json()["status"] == "rejected"
    assert Submission.objects.get().review_comment == "M3 looks low"
    board = manager.get("/api/v1/cycles/2026-11/board").get_json()
    row = next(r for r in board["rows"] if r["rep"] == rep.email)
    assert row["status"] == "rejected" and row["lines"] == 1 and row["cases"] == 120
    assert api.get("/api/v1/cycles/2026-11/board").status_code == 403


def test_an_incomplete_plan_is_refused_naming_the_months(app, make_user, make_customer,
                                                         make_product, make_cycle, make_line,
                                                         token_for):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    customer = make_customer(rep, code="PATITO-000001")
    make_line(cycle, rep, customer, make_product(item_code="110001"), qty=[1] * 5)
    refused = token_for(rep).post("/api/v1/cycles/2026-11/submissions", json={})
    assert refused.status_code == 422
    error = refused.get_json()["errors"][0]
    assert error["field"] == "PATITO-000001/110001" and "Apr 2027" in error["message"]


def test_the_approved_plans_only(app, make_user, make_customer, make_product, make_price,
                                 make_cycle, make_line, token_for):
    rep, other, cycle = _setup(make_user, make_customer, make_product, make_price, make_cycle,
                               make_line)
    Submission(cycle=cycle, rep=other, status="approved").save()
    api = token_for(make_user("manager"))
    approved = api.get("/api/v1/cycles/2026-11/lines?status=approved").get_json()
    assert [line["rep"] for line in approved["lines"]] == [other.email]
    none = api.get(f"/api/v1/cycles/2026-11/lines?status=approved&rep={rep.email}").get_json()
    assert none["lines"] == []


def test_draft_plans_include_reps_who_never_submitted(app, make_user, make_customer,
                                                    make_product, make_price, make_cycle,
                                                    make_line, token_for):
    rep, other, cycle = _setup(make_user, make_customer, make_product, make_price, make_cycle,
                               make_line)
    api = token_for(make_user("manager"))
    board = api.get("/api/v1/cycles/2026-11/board").get_json()
    assert {row["status"] for row in board["rows"]} == {"draft"}
    drafts = api.get("/api/v1/cycles/2026-11/lines?status=draft").get_json()["lines"]
    assert sorted(line["rep"] for line in drafts) == sorted([rep.email, other.email])
    Submission(cycle=cycle, rep=other, status="submitted").save()
    drafts = api.get("/api/v1/cycles/2026-11/lines?status=draft").get_json()["lines"]
    assert [line["rep"] for line in drafts] == [rep.email]


def test_an_item_outside_the_group_asked_for_gives_no_lines(
        app, make_user, make_customer, make_product, make_price, make_cycle, make_line,
        token_for):
    _setup(make_user, make_customer, make_product, make_price, make_cycle, make_line)
    make_product(item_code="110002", group_code="9-9")
    api = token_for(make_user("manager"))
    assert api.get("/api/v1/cycles/2026-11/lines?item=110001&group=1-2").get_json()["lines"]
    assert api.get("/api/v1/cycles/2026-11/lines?item=110002&group=1-2"
                   ).get_json()["lines"] == []
    assert api.get("/api/v1/cycles/2026-11/lines?item=110001&group=9-9"
                   ).get_json()["lines"] == []


def test_a_manager_cannot_submit_a_reps_plan(app, make_user, make_customer, make_product,
                                             make_price, make_cycle, make_line, token_for):
    rep, _other, cycle = _setup(make_user, make_customer, make_product, make_price,
                                make_cycle, make_line)
    manager = token_for(make_user("manager"))
    refused = manager.post("/api/v1/cycles/2026-11/submissions", json={"rep": rep.email})
    assert refused.status_code == 403
    assert not Submission.objects(cycle=cycle, rep=rep, status="submitted")
    admin = token_for(make_user("admin"))
    done = admin.post("/api/v1/cycles/2026-11/submissions", json={"rep": rep.email})
    assert done.status_code == 200 and done.get_json()["status"] == "submitted"


def test_pages_walk_every_line_once_in_rep_customer_item_order(
        app, make_user, make_customer, make_product, make_cycle, make_line, token_for):
    cycle = make_cycle("2026-11")
    products = [make_product(item_code=f"11000{n}") for n in range(1, 4)]
    expected = []
    for _ in range(2):
        rep = make_user("sales_rep")
        for customer in (make_customer(rep), make_customer(rep)):
            for product in products:
                make_line(cycle, rep, customer, product, qty=[1])
                expected.append((rep.email, customer.code, product.item_code))
    api = token_for(make_user("admin"))

    def pulled(query: str) -> list[tuple[str, str, str]]:
        seen, cursor = [], None
        while True:
            page = api.get(f"/api/v1/cycles/2026-11/lines?{query}" + (
                f"&cursor={cursor}" if cursor else "")).get_json()
            seen += [(line["rep"], line["customer"], line["item"]) for line in page["lines"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return seen

    seen = pulled("limit=5")  # pages end inside a customer's items and inside a rep's lines
    assert sorted(seen) == sorted(expected) and len(seen) == 12
    by_rep = [key for key in seen if key[0] == seen[0][0]]
    assert by_rep == sorted(by_rep)  # customer, then item, within a rep
    one_customer = [key for key in expected if key[1] == expected[0][1]]
    assert pulled(f"limit=2&customer={expected[0][1]}") == one_customer
    assert pulled(f"limit=1&item={products[1].item_code}") == sorted(
        key for key in expected if key[2] == products[1].item_code)


def test_lines_without_their_own_price_are_valued_at_the_matrix_price(
        app, make_user, make_customer, make_product, make_price, make_cycle, make_line,
        token_for):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    customer = make_customer(rep)
    priced, blank = make_product(list_price=9.0), make_product(list_price=9.0)
    make_price(customer, blank, 4.0)
    make_line(cycle, rep, customer, priced, qty=[1, 1], price=[7.0])
    make_line(cycle, rep, customer, blank, qty=[1, 1], price=[None, 5.0])
    lines = token_for(rep).get("/api/v1/cycles/2026-11/lines").get_json()["lines"]
    prices = {line["item"]: line["effective_price"][:3] for line in lines}
    assert prices == {priced.item_code: [7.0, 7.0, 7.0], blank.item_code: [4.0, 5.0, 5.0]}


def test_no_new_line_on_an_inactive_item_or_customer(app, make_user, make_customer,
                                                     make_product, make_cycle, make_line,
                                                     token_for):
    rep = make_user("sales_rep")
    cycle = make_cycle("2026-11")
    active = make_customer(rep, code="PATITO-000001")
    closed = make_customer(rep, code="PATITO-000002", active=False)
    make_product(item_code="110001", active=False)
    make_product(item_code="110002")
    api = token_for(rep)

    def first_save(customer: str, item: str):
        return api.put("/api/v1/cycles/2026-11/cells", json={
            "customer": customer, "item": item, "field": "qty", "bucket": 1, "value": 5,
            "loaded": None})

    inactive_item = first_save("PATITO-000001", "110001")
    assert inactive_item.status_code == 422
    assert "110001 is inactive" in str(inactive_item.get_json()["errors"])
    assert first_save("PATITO-000002", "110002").status_code == 422
    assert not ForecastLine.objects(cycle=cycle)
    assert first_save("PATITO-000001", "110002").status_code == 200
    assert ForecastLine.objects.get(cycle=cycle, customer=active).qty[0] == 5
    assert not ForecastLine.objects(customer=closed)
