"""Issue 13, finding 1: a rep cannot read other reps' customer or user names through the filter
labels of a report (the page, the recent list, the sheets' title blocks)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from sop.models import Report

HX = {"HX-Request": "true"}


@pytest.fixture
def world(make_user, make_customer):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    admin = make_user("admin", full_name="Avery Admin")
    mine = make_customer(rep, code="PATITO-000001", name="Bayou Foods", territory="South")
    theirs = make_customer(other, code="PATITO-000058", name="Desert Sun Distributors LLC",
                           sop_name="DESERT SUN DISTRIBUTORS", territory="West")
    return {"rep": rep, "admin": admin, "mine": mine, "theirs": theirs}


def summary(**fields: str) -> dict[str, str]:
    return {"kind": "sales_summary", "month_from": "2025-01", "month_to": "2025-03", **fields}


@pytest.mark.parametrize("field, target, name", [
    ("customer", "theirs", "DESERT SUN"),
    ("rep", "admin", "Avery Admin"),
])
def test_a_filter_naming_what_a_rep_may_not_see_is_refused_without_the_name(
        client, login, world, field, target, name):
    login(world["rep"])
    response = client.htmx_post("/reports", summary(**{field: str(world[target].pk)}))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "not one of yours; choose one from the list" in text
    assert name not in text and "PATITO-000058" not in text
    assert Report.objects.count() == 0

    # Without htmx: back to the form with the sentence, and the name nowhere on the page.
    refused = client.post_form("/reports", summary(**{field: str(world[target].pk)}))
    assert refused.status_code == 302
    page = client.get(refused.location).get_data(as_text=True)
    assert "not one of yours" in page and name not in page
    assert Report.objects.count() == 0


def test_another_reps_territory_is_refused_and_own_filters_are_accepted(client, login, world):
    login(world["rep"])
    refused = client.htmx_post("/reports", summary(territory="West"))
    assert refused.status_code == 422
    assert "no customer of yours is in it" in refused.get_data(as_text=True)
    accepted = client.htmx_post("/reports", summary(customer=str(world["mine"].pk),
                                                    rep=str(world["rep"].pk),
                                                    territory="South"))
    assert accepted.status_code == 200
    assert Report.objects.count() == 1


def test_an_admin_may_filter_on_any_customer(client, login, world):
    login(world["admin"])
    response = client.htmx_post("/reports", summary(customer=str(world["theirs"].pk)))
    assert response.status_code == 200
    [report] = Report.objects
    assert "PATITO-000058" in client.get(f"/reports/{report.pk}").get_data(as_text=True)


def test_a_stored_foreign_filter_is_never_resolved_to_a_name(client, login, world, run_jobs):
    """A report stored with another rep's customer (e.g. requested before the check existed):
    the detail page, the recent list and every sheet's title block say "not yours"."""
    from sop.extensions import redis_queues

    rep = world["rep"]
    report = Report(kind="sales_summary", requested_by=rep, scope=str(rep.pk), cache_key="x",
                    filters={"month_from": "2025-01", "month_to": "2025-01",
                             "customer": str(world["theirs"].pk)},
                    stage="Waiting for a worker").save()
    redis_queues.queue("reports").enqueue("sop.jobs.reports.build_report", str(report.pk))
    run_jobs("reports")
    assert report.reload().status == "done"
    login(rep)
    for path in (f"/reports/{report.pk}", "/reports"):
        page = client.get(path).get_data(as_text=True)
        assert "not found or not yours" in page
        assert "DESERT SUN" not in page and "PATITO-000058" not in page
    book = load_workbook(io.BytesIO(client.get(f"/reports/{report.pk}/download").data),
                         read_only=True)
    for sheet in book.worksheets:
        cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v]
        assert any("not found or not yours" in cell for cell in cells), sheet.title
        assert not any("DESERT SUN" in cell or "PATITO-000058" in cell for cell in cells)
