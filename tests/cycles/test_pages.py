"""The cycle pages: list and create (admins), detail with buckets, progress and totals
(admins and managers), transitions as htmx fragments with refusals explained (422)."""

from __future__ import annotations

import re
from datetime import date

from sop.models import BudgetEntry, Cycle, Submission


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_reps_are_refused_the_cycle_pages(client, login_as, make_cycle):
    cycle = make_cycle("2025-11")
    login_as("sales_rep")
    assert client.get("/cycles").status_code == 403
    assert client.get(f"/cycles/{cycle.pk}").status_code == 403
    assert "Cycles</a>" not in client.get("/").get_data(as_text=True)


def test_admin_lists_cycles_with_status_and_actions(client, login_as, make_cycle):
    make_cycle("2025-10", status="closed")
    make_cycle("2025-11", status="open")
    make_cycle("2025-12", status="draft")
    login_as("admin")
    page = text_of(client.get("/cycles"))
    assert page.index("Dec 2025") < page.index("Nov 2025") < page.index("Oct 2025")
    assert 'class="badge ok">Open' in page and ">Draft</span>" in page
    assert ">Closed</span>" in page
    assert page.count(">Close</button>") == 1 and page.count(">Open</button>") == 1
    assert page.count(">Delete</button>") == 1 and "New cycle" in page


def test_managers_read_but_do_not_act(client, login_as, make_cycle):
    cycle = make_cycle("2025-11", status="draft")
    login_as("manager")
    page = text_of(client.get("/cycles"))
    assert "Nov 2025" in page and "<button" not in page.split("<main")[1].split("</main>")[0]
    assert client.get(f"/cycles/{cycle.pk}").status_code == 200
    assert client.htmx_post(f"/cycles/{cycle.pk}/open").status_code == 403
    assert Cycle.objects.get(id=cycle.pk).status == "draft"


def test_create_with_defaults_then_a_duplicate_is_a_field_error(app, client, login_as):
    login_as("admin")
    response = client.post_form("/cycles/new", {"month": "2025-11",
                                                 "close_date": "2025-11-20"})
    assert response.status_code == 302
    with app.app_context():
        cycle = Cycle.objects.get(year=2025, month=11)
    assert response.location == f"/cycles/{cycle.pk}"
    assert (cycle.name, cycle.planning_start, cycle.status) == (
        "Nov 2025", date(2025, 11, 1), "draft")
    again = client.post_form("/cycles/new", {"month": "2025-11"})
    assert again.status_code == 422
    assert "There is already a cycle for Nov 2025." in again.get_data(as_text=True)
    bad = client.post_form("/cycles/new", {"month": "November"})
    assert bad.status_code == 422 and "write it as YYYY-MM" in bad.get_data(as_text=True)


def test_edit_an_open_cycle_moves_only_the_close_date(app, client, login_as, make_cycle):
    cycle = make_cycle("2025-11", status="open", close_date=date(2025, 11, 20))
    login_as("admin")
    form = client.get(f"/cycles/{cycle.pk}/edit").get_data(as_text=True)
    [planning_start] = re.findall(r'<input[^>]*id="planning_start"[^>]*>', form)
    assert " disabled " in planning_start
    response = client.post_form(f"/cycles/{cycle.pk}/edit", {
        "planning_start": "2026-01", "close_date": "2025-11-25"})
    assert response.status_code == 302
    with app.app_context():
        stored = Cycle.objects.get(id=cycle.pk)
    assert (stored.planning_start, stored.close_date) == (date(2025, 11, 1), date(2025, 11, 25))


def test_detail_shows_buckets_progress_and_totals(app, client, login_as, make_user,
                                                  make_customer, make_product, make_cycle,
                                                  make_line):
    reps = [make_user("sales_rep") for _ in range(5)]
    customers = [make_customer(rep) for rep in reps]
    product = make_product(list_price=10.0)
    previous = make_cycle("2025-10", status="closed")
    cycle = make_cycle("2025-11", status="open", mandatory_months=12)
    make_line(cycle, reps[0], customers[0], product, qty=[100, 50], price=[2.0])
    make_line(previous, reps[0], customers[0], product, qty=[1, 40, 60])  # Oct, Nov, Dec
    with app.app_context():
        from sop.cycles.snapshot import freeze_snapshot

        freeze_snapshot(previous, previous.created_at)  # as its close did
        previous.update(set__snapshot_at=previous.created_at)
        for rep, status in zip(reps, ("submitted", "approved", "rejected", "missed"),
                               strict=False):
            Submission(cycle=cycle, rep=rep, status=status).save()
        BudgetEntry(rep=reps[0], sop_name="X", sop_name_key="x", year=2025, month=11,
                    cases=90, sales=1000).save()
    login_as("manager")
    page = text_of(client.get(f"/cycles/{cycle.pk}"))
    buckets = re.search(r'<table class="buckets">(.*?)</table>', page).group(1)
    assert re.findall(r"<th[^>]*>(M\d+)</th>", buckets) == [f"M{i}" for i in range(1, 17)]
    months = re.findall(r"<td>(\w+ \d{4})<br>", buckets)
    assert (months[0], months[-1], len(months)) == ("Nov 2025", "Feb 2027", 16)
    assert page.count(">required</span>") == 12
    assert "5 reps with customers" in page
    assert "<dt>Submitted</dt><dd>1</dd>" in page and "<dt>Approved</dt><dd>1</dd>" in page
    assert "<dt>Pending</dt><dd>2 " in page and "<dt>Missed</dt><dd>1</dd>" in page
    # M1 Nov: 100 cases x $2 vs budget 90 / $1,000 and Oct's cycle 40 cases x list price $10
    nov = re.search(r"M1 Nov 2025</th>(.*?)</tr>", page).group(1)
    assert re.findall(r'class="num">([^<]*)<', nov) == [
        "100", "200.00", "90", "1,000.00", "-800.00", "40", "400.00", "-200.00"]
    dec = re.search(r"M2 Dec 2025</th>(.*?)</tr>", page).group(1)
    assert re.findall(r'class="num">([^<]*)<', dec)[:2] == ["50", "100.00"]  # last price $2
    assert "Oct 2025 as frozen when it closed" in page


def test_transitions_swap_the_status_panel_and_refusals_explain(app, client, login_as,
                                                                make_cycle, make_user):
    cycle = make_cycle("2025-11", status="draft")
    login_as("admin")
    opened = client.htmx_post(f"/cycles/{cycle.pk}/open")
    assert opened.status_code == 200
    assert 'id="cycle-status"' in opened.get_data(as_text=True)
    assert ">Open</span>" in opened.get_data(as_text=True)
    other = make_cycle("2025-12", status="draft")
    refused = client.htmx_post(f"/cycles/{other.pk}/open")
    assert refused.status_code == 422
    assert "Nov 2025 is open: close it before opening another." in refused.get_data(
        as_text=True)
    with app.app_context():
        Submission(cycle=cycle, rep=make_user("sales_rep"), status="submitted").save()
    back = client.htmx_post(f"/cycles/{cycle.pk}/draft")
    assert back.status_code == 422 and "cannot go back to draft" in back.get_data(as_text=True)
    closed = client.htmx_post(f"/cycles/{cycle.pk}/close?view=row")
    assert closed.status_code == 200 and closed.get_data(as_text=True).lstrip().startswith(
        "<tr") and ">Closed</span>" in closed.get_data(as_text=True)
    again = client.htmx_post(f"/cycles/{cycle.pk}/close?view=row")
    assert again.status_code == 422 and "this one is closed" in again.get_data(as_text=True)
    unknown = client.htmx_post(f"/cycles/{cycle.pk}/explode")
    assert unknown.status_code == 422


def test_delete_a_draft_from_the_list_and_from_its_page(app, client, login_as, make_cycle):
    row_cycle = make_cycle("2025-11", status="draft")
    page_cycle = make_cycle("2025-12", status="draft")
    login_as("admin")
    gone = client.htmx_post(f"/cycles/{row_cycle.pk}/delete?view=row")
    assert gone.status_code == 200 and gone.get_data(as_text=True) == ""
    redirected = client.htmx_post(f"/cycles/{page_cycle.pk}/delete")
    assert redirected.headers["HX-Redirect"] == "/cycles"
    with app.app_context():
        assert Cycle.objects.count() == 0


def test_without_htmx_a_transition_redirects_with_a_message(client, login_as, make_cycle):
    cycle = make_cycle("2025-11", status="closed")
    login_as("admin")
    response = client.post_form(f"/cycles/{cycle.pk}/open", follow_redirects=True)
    assert "Only a draft cycle can be opened; this one is closed." in response.get_data(
        as_text=True)


def test_closing_from_its_page_refreshes_the_progress_too(app, client, login_as, make_cycle,
                                                           make_user, make_customer):
    make_customer(make_user("sales_rep"))
    cycle = make_cycle("2025-11", status="open")
    login_as("admin")
    before = text_of(client.get(f"/cycles/{cycle.pk}"))
    assert "<dt>Pending</dt><dd>1 " in before and "<dt>Missed</dt><dd>0</dd>" in before
    closed = text_of(client.htmx_post(f"/cycles/{cycle.pk}/close"))
    assert 'id="cycle-status"' in closed and ">Closed</span>" in closed
    assert 'id="cycle-progress" hx-swap-oob="true"' in closed
    assert "<dt>Missed</dt><dd>1</dd>" in closed
    assert "<dt>Snapshot</dt><dd>every line frozen" in closed


def test_a_close_cut_short_says_so_on_its_page(client, login_as, make_cycle):
    cycle = make_cycle("2025-10", status="closed")  # closed, its snapshot never completed
    login_as("admin")
    page = text_of(client.get(f"/cycles/{cycle.pk}"))
    assert '<dt>Snapshot</dt><dd><span class="badge warn">unfinished</span>' in page
    assert "the hourly cycle job freezes the remaining lines" in page
