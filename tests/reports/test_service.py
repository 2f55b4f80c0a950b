"""What every report builder relies on: the scoping of ReportContext (a rep only ever gets
their own rows), exact month ranges across years, and the checks on filters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sop.models import Report
from sop.reports.registry import REPORT_TYPES, ReportContext, ReportFilters, ReportType, register
from sop.reports.services import ReportRefused, progress_writer, request_report

pytestmark = pytest.mark.usefixtures("app_context")

RANGE_TYPE = ReportType(key="t", title="T", description="d",
                        filters=("month_from", "month_to", "rep", "cycle"),
                        required=("month_from", "month_to"), collections=(),
                        build=lambda ctx: None)


def context(viewer, **filters) -> ReportContext:
    return ReportContext(filters=ReportFilters(**filters), viewer=viewer, path=Path("x.xlsx"),
                         progress=lambda *args: None,
                         generated_at=datetime(2026, 11, 24, tzinfo=UTC))


@pytest.fixture
def company(make_user, make_customer, make_product):
    rep, other = make_user("sales_rep"), make_user("sales_rep")
    return {
        "rep": rep, "other": other, "manager": make_user("manager"),
        "north": make_customer(rep, territory="North"),
        "south": make_customer(rep, territory="South"),
        "theirs": make_customer(other, territory="North"),
        "garlic": make_product(group_description="Group 1-2"),
        "shallot": make_product(group_description="Group 3"),
    }


def test_a_manager_is_unrestricted_until_a_filter_narrows(company):
    manager, rep = company["manager"], company["rep"]
    everything = context(manager)
    assert everything.customer_ids() is None and everything.rep_ids() is None
    assert everything.product_ids() is None and everything.scope_label() == "all reps"
    by_rep = context(manager, rep=str(rep.pk))
    assert by_rep.rep_ids() == [rep.pk]
    assert set(by_rep.customer_ids()) == {company["north"].pk, company["south"].pk}
    north = context(manager, territory="North")
    assert set(north.customer_ids()) == {company["north"].pk, company["theirs"].pk}
    assert context(manager, group="Group 3").product_ids() == [company["shallot"].pk]


def test_a_rep_only_ever_gets_their_own_rows(company):
    rep, other = company["rep"], company["other"]
    own = context(rep)
    assert own.rep_ids() == [rep.pk]
    assert set(own.customer_ids()) == {company["north"].pk, company["south"].pk}
    assert own.scope_label() == rep.full_name
    assert context(rep, territory="North").customer_ids() == [company["north"].pk]
    # Naming someone else never widens the scope: nothing at all.
    nosy = context(rep, rep=str(other.pk))
    assert nosy.rep_ids() == [] and nosy.customer_ids() == []
    assert context(rep, customer=str(company["theirs"].pk)).customer_ids() == []
    assert context(rep, rep="not-an-id").customer_ids() == []


def test_a_month_range_is_exactly_those_months_across_the_year_end(company, make_cycle):
    months = context(company["manager"], month_from="2025-11", month_to="2026-02").months()
    assert months == ["2025-11", "2025-12", "2026-01", "2026-02"]
    cycle = make_cycle("2026-11", horizon_months=3)
    assert context(company["manager"], cycle=str(cycle.pk)).months() == [
        "2026-11", "2026-12", "2027-01"]
    assert context(company["manager"]).months() == []


@pytest.mark.parametrize(("filters", "message"), [
    ({}, "Choose from month."),
    ({"month_from": "2025-13", "month_to": "2026-01"}, "From month: '2025-13' is not a month"),
    ({"month_from": "2026-03", "month_to": "2026-01"}, "The range ends before it starts."),
    ({"month_from": "2023-01", "month_to": "2026-01"}, "The range covers 37 months; at most 36."),
    ({"month_from": "2026-01"}, "Choose to month."),
    ({"month_from": "2026-01", "month_to": "2026-02", "cycle": "123"},
     "The cycle is not one of the choices."),
    ({"month_from": "2026-01", "month_to": "2026-02", "cycle": "0" * 24},
     "That cycle does not exist."),
])
def test_filters_are_checked_with_a_sentence_per_problem(filters, message):
    assert any(error.startswith(message) for error in RANGE_TYPE.validate(
        ReportFilters(**filters))), RANGE_TYPE.validate(ReportFilters(**filters))


def test_a_request_is_refused_for_an_unknown_type_or_wrong_filters(company):
    with pytest.raises(ReportRefused, match="Choose a report type"):
        request_report(company["manager"], "no_such_report", ReportFilters())
    register(RANGE_TYPE)
    try:
        with pytest.raises(ReportRefused, match="The range ends before it starts"):
            request_report(company["manager"], "t", ReportFilters(month_from="2026-02",
                                                                  month_to="2026-01"))
    finally:
        REPORT_TYPES.pop("t")


def test_progress_is_written_at_once_for_a_new_stage_then_at_most_twice_a_second(company):
    report = Report(kind="t", scope="all", cache_key="k", requested_by=company["manager"]).save()
    progress = progress_writer(report.pk)
    for done in range(1, 5001):
        progress("Reading lines", done, 5000)
    report.reload()
    assert (report.stage, report.done, report.total) == ("Reading lines", 1, 5000)
    progress("Writing the workbook", 0, None)
    assert (report.reload().stage, report.done, report.total) == ("Writing the workbook", 0,
                                                                   None)
