"""The `forecasting` job stores one BaselineLine per active customer x item with history for
the cycle's 16 buckets; re-running changes nothing; a closed cycle's baseline is frozen."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date

import pytest
from rq.job import Job

from sop import PROJECT_ROOT
from sop.extensions import redis_queues
from sop.jobs.baseline import queue_baseline
from sop.models import BaselineLine, Cycle, SalesHistory
from sop.models.sales import SalesMonth
from sop.months import add_months

SEASON = [10, 12, 15, 20, 30, 45, 50, 42, 30, 20, 14, 11]  # Jan..Dec
FIRST = date(2024, 11, 1)  # 24 months of history before the Nov 2026 cycle


def history(customer, product, quantities, first=FIRST):
    SalesHistory(customer=customer, product=product, months=[
        SalesMonth(month=add_months(first, i).strftime("%Y-%m"), quantity=q, sales=q * 10)
        for i, q in enumerate(quantities)]).save()


@pytest.fixture
def company(app_context, make_customer, make_product, make_cycle, make_price):
    active, gone = make_customer(), make_customer(active=False)
    seasonal, lumpy, old, new = (make_product() for _ in range(4))
    history(active, seasonal, [SEASON[add_months(FIRST, i).month - 1] for i in range(24)])
    history(active, lumpy, [0, 0, 6, 0, 0, 0, 5, 0, 0, 7, 0, 0] * 2)
    history(active, old, [8.0] * 6)  # Nov 2024 - Apr 2025, nothing since
    history(gone, seasonal, [5.0] * 24)
    make_price(active, new)  # in the price matrix, never sold: no baseline
    return {"cycle": make_cycle("2026-11"), "active": active, "gone": gone,
            "seasonal": seasonal, "lumpy": lumpy, "old": old, "new": new}


def lines(cycle) -> dict:
    return {line.product.pk: line for line in BaselineLine.objects(cycle=cycle)}


def run_baseline(run_jobs, cycle) -> Job:
    assert queue_baseline(cycle, "test")
    job_id = redis_queues.queue("forecasting").job_ids[0]
    run_jobs("forecasting")
    return Job.fetch(job_id, connection=redis_queues.redis)


def test_the_job_stores_a_baseline_per_pair_with_history(company, run_jobs):
    cycle = company["cycle"]
    job = run_baseline(run_jobs, cycle)
    assert job.is_finished, job.latest_result().exc_string
    assert job.meta["progress"] == "3 of 3 lines fitted"
    stored = lines(cycle)
    assert set(stored) == {company["seasonal"].pk, company["lumpy"].pk, company["old"].pk}
    seasonal = stored[company["seasonal"].pk]
    assert len(seasonal.qty) == cycle.horizon_months == 16
    assert seasonal.history_to == "2026-10" and seasonal.state == "forecast"
    expected = [SEASON[m.month - 1] for m in cycle.bucket_months]
    assert [round(q) for q in seasonal.qty] == expected  # M1 is November
    assert "seasonal_naive" in seasonal.method and seasonal.error is not None
    lumpy = stored[company["lumpy"].pk]
    assert {"croston", "croston_sba", "tsb"} & set(lumpy.method.split("+"))
    old = stored[company["old"].pk]
    assert (old.state, old.method, old.qty) == ("dead", "dead", [0.0] * 16)
    assert all(q >= 0 for line in stored.values() for q in line.qty)


def test_running_again_changes_nothing_and_fits_only_changed_histories(company, run_jobs):
    cycle = company["cycle"]
    run_baseline(run_jobs, cycle)
    before = {p: (line.pk, line.computed_at, line.qty) for p, line in lines(cycle).items()}
    again = run_baseline(run_jobs, cycle)
    assert "fitted 0, unchanged 3" in again.return_value()
    assert {p: (line.pk, line.computed_at, line.qty) for p, line in lines(cycle).items()} == before
    SalesHistory.objects(customer=company["active"], product=company["old"]).delete()
    history(company["active"], company["old"], [8.0] * 24)  # sold again every month
    changed = run_baseline(run_jobs, cycle)
    assert "fitted 1, unchanged 2" in changed.return_value()
    now_stored = lines(cycle)
    assert now_stored[company["old"].pk].state == "forecast"
    assert round(now_stored[company["old"].pk].qty[0]) == 8
    assert BaselineLine.objects(cycle=cycle).count() == 3


def test_a_pair_that_stops_qualifying_loses_its_line(company, run_jobs):
    cycle = company["cycle"]
    run_baseline(run_jobs, cycle)
    company["lumpy"].update(set__active=False)
    assert "removed 1" in run_baseline(run_jobs, cycle).return_value()
    assert company["lumpy"].pk not in lines(cycle)


def test_a_closed_cycle_keeps_its_baseline_frozen(company, run_jobs):
    cycle = company["cycle"]
    run_baseline(run_jobs, cycle)
    before = {p: (line.computed_at, line.qty) for p, line in lines(cycle).items()}
    Cycle.objects(id=cycle.pk).update_one(set__status="closed")
    SalesHistory.objects(customer=company["active"]).delete()
    history(company["active"], company["seasonal"], [500.0] * 24)
    job = run_baseline(run_jobs, cycle)
    assert "frozen" in job.return_value()
    assert {p: (line.computed_at, line.qty) for p, line in lines(cycle).items()} == before


def test_opening_a_cycle_queues_its_baseline(app_context, make_cycle):
    from sop.cycles.states import open_cycle

    open_cycle(None, make_cycle("2026-12", status="draft"))
    [job] = redis_queues.queue("forecasting").jobs
    assert job.func_name == "sop.jobs.baseline.compute_baseline"


WORKER_RUN = textwrap.dedent("""
    import sys
    from sop import create_app
    from sop.extensions import redis_queues
    from sop.jobs.runner import AppWorker

    app = create_app({"SOP_ENV": "test", "MONGODB_URI": sys.argv[1], "REDIS_URL": sys.argv[2]})
    with app.app_context():
        queue = redis_queues.queue("forecasting")
        job = queue.enqueue("sop.jobs.baseline.compute_baseline")
        worker = AppWorker([queue], connection=redis_queues.redis)
        worker.app = app
        worker.work(burst=True)
        print(job.return_value())
""")


def test_the_production_worker_computes_the_open_cycle_in_its_work_horse(company, services):
    done = subprocess.run([sys.executable, "-c", WORKER_RUN, services["mongo_uri"],
                           services["redis_url"]], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].startswith("2026-11: 3 baseline lines")
    assert len(lines(company["cycle"])) == 3


def test_the_jobs_page_shows_a_running_baseline_s_progress(app, login_as, client):
    from rq.executions import Execution

    with app.app_context():
        queue = redis_queues.queue("forecasting")
        job = queue.enqueue("sop.jobs.baseline.compute_baseline",
                            description="Statistical baseline of Nov 2026")
        job.meta["progress"] = "4,000 of 20,000 lines fitted"
        job.save_meta()
        with redis_queues.redis.pipeline() as pipeline:  # as a worker starting it does
            Execution.create(job, 60, pipeline)
            pipeline.execute()
    login_as("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "Statistical baseline of Nov 2026: 4,000 of 20,000 lines fitted" in page


def test_a_sales_import_refreshes_the_open_cycle_s_baseline(app, client, login_as,
                                                           make_customer, make_product,
                                                           make_cycle, run_jobs):
    from tests.excel.builders import workbook_bytes
    from tests.imports.test_imports import validate_and_apply

    login_as("admin")
    customer, product = make_customer(code="PATITO-000001"), make_product(item_code="110001")
    cycle = make_cycle("2026-03")
    rows = [["Customer Code", "Item Code", "Year", "Month", "Quantity", "Unit Price", "Sales"]]
    rows += [["PATITO-000001", 110001, 2025 + (m >= 12), m % 12 + 1, 20, 38, 760]
             for m in range(2, 14)]  # Mar 2025 - Feb 2026
    record = validate_and_apply(client, run_jobs, "sales", workbook_bytes(("Sales", rows)))
    assert record.status == "applied"
    with app.app_context():
        assert redis_queues.queue("forecasting").count == 1
    run_jobs("forecasting")
    with app.app_context():
        [line] = BaselineLine.objects(cycle=cycle, customer=customer, product=product)
    assert line.history_to == "2026-02" and [round(q) for q in line.qty] == [20] * 16
