"""Redis goes away (the server is stopped) while reps save grid cells and open pages, then
comes back on its data (RDB written at shutdown, as a Redis with persistence does). The
outage here lasts a few seconds, not 30: the app's behaviour does not depend on its length
(every Redis call fails at once while the port is closed, and reconnects on the next call).

What a user must see: a save is either stored and acknowledged, or refused with a sentence
(never acknowledged and lost); pages render; once Redis is back everything works without
restarting anything, and no report is served from a cache that predates the outage's writes.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from sop.dev.stack import free_port, start_redis, stop_process
from sop.models import ForecastLine, Report
from tests.conftest import DEFAULT_PASSWORD
from tests.faults.processes import WorkerProcess, service_env, wait_for
from tests.faults.web import Browser, Gunicorn

pytestmark = pytest.mark.faults


class OwnRedis:
    """A Redis for this test alone, stopped and started again on the same port and data."""

    def __init__(self, directory, log) -> None:
        self.directory, self.log, self.port = directory, log, free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        self.process, _ = start_redis(self.port, self.directory, self.log)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)  # SIGTERM: Redis writes its RDB file, then exits


@pytest.fixture
def own_redis(tmp_path):
    with (tmp_path / "redis.log").open("w") as log:
        redis = OwnRedis(tmp_path / "redis", log).start()
        yield redis
        redis.stop()


@pytest.fixture
def scene(app_context, make_user, make_customer, make_product, make_price, make_cycle,
          make_line):
    rep, manager = make_user(), make_user("manager")
    customer = make_customer(rep)
    product = make_product()
    make_price(customer, product)
    cycle = make_cycle()
    line = make_line(cycle, rep, customer, product, qty=[5.0] * 16)
    return {"rep": rep, "manager": manager, "customer": customer, "product": product,
            "cycle": cycle, "line": line}


def cell(scene, bucket: int, value: float, was: float) -> dict[str, str]:
    return {"cycle": str(scene["cycle"].pk), "customer": str(scene["customer"].pk),
            "product": str(scene["product"].pk), "line": str(scene["line"].pk),
            "field": "qty", "bucket": str(bucket), "value": f"{value:g}", "was": f"{was:g}"}


def stored(scene, bucket: int) -> float:
    return ForecastLine.objects.get(id=scene["line"].pk).qty[bucket]


def request_consolidated(manager: Browser, scene) -> Report:
    status, body = manager.htmx_post("/reports", {"kind": "consolidated",
                                                  "cycle": str(scene["cycle"].pk)})
    assert status == 200, body[:2000]
    return Report.objects.order_by("-created_at").first()


def visible_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_redis_down_saves_are_kept_or_refused_pages_render_and_caches_are_not_stale(
        scene, services, own_redis, tmp_path):
    env = service_env(services, REDIS_URL=own_redis.url)
    web = Gunicorn(env, tmp_path / "web.log", workers=2).start()
    worker = WorkerProcess(env, tmp_path / "worker.log", "reports").start()
    try:
        rep = Browser(web.url).sign_in(scene["rep"].email, DEFAULT_PASSWORD)
        manager = Browser(web.url).sign_in(scene["manager"].email, DEFAULT_PASSWORD)
        grid = f"/forecast?cycle={scene['cycle'].pk}&customer={scene['customer'].pk}"
        pages = [(rep, grid), (rep, "/"), (rep, "/customers"), (manager, "/reports"),
                 (manager, f"/cycles/{scene['cycle'].pk}"), (manager, "/submissions")]
        assert rep.htmx_post("/forecast/cell", cell(scene, 0, 6, 5))[0] == 200
        first = request_consolidated(manager, scene)
        wait_for(lambda: Report.objects(id=first.pk, status="done").first(), 60,
                 "the first report", interval=0.1, explain=worker.output)
        assert request_consolidated(manager, scene).cached  # the same data: the stored file

        own_redis.stop()
        outcomes = []
        for bucket in range(1, 9):
            status, body = rep.htmx_post("/forecast/cell", cell(scene, bucket, 100 + bucket, 5))
            outcomes.append((bucket, status, visible_text(body)))
        for bucket, status, text in outcomes:
            assert status != 500, text + web.output()[-3000:]
            if status == 200:  # acknowledged: stored
                assert stored(scene, bucket) == 100 + bucket
            else:  # refused in words, nothing stored
                assert stored(scene, bucket) == 5 and "try again" in text.lower(), text
        down_pages = {path: who.get(path)[0] for who, path in pages}
        assert set(down_pages.values()) == {200}, down_pages
        status, body = manager.htmx_post("/reports", {"kind": "consolidated",
                                                      "cycle": str(scene["cycle"].pk)})
        assert status != 500 and (status == 200 or "try again" in visible_text(body).lower())

        own_redis.start()  # the same port and data; nothing else is restarted
        assert worker.process.poll() is None  # the worker waited for Redis
        acknowledged = [bucket for bucket, status, _ in outcomes if status == 200]
        after = request_consolidated(manager, scene)
        assert not after.cached or not acknowledged  # built again on the outage's saves
        wait_for(lambda: Report.objects(id=after.pk, status="done").first(), 60,
                 "the report after the outage", interval=0.1,
                 explain=lambda: worker.output()[-5000:])
        assert rep.htmx_post("/forecast/cell", cell(scene, 10, 7, 5))[0] == 200
        assert stored(scene, 10) == 7
        back_pages = {path: who.get(path)[0] for who, path in pages}
        assert set(back_pages.values()) == {200}, back_pages
        assert " 500 " not in web.output()
    finally:
        worker.stop()
        web.stop()


def test_import_workbook_from_the_command_line_with_redis_down_says_by_its_exit_code(
        app, app_context, company, services, tmp_path):
    """`flask import-workbook` in a process whose Redis does not answer (nothing listens on
    its port): it either applies the whole file and exits 0, or changes nothing and exits
    non-zero with a sentence."""
    import json

    from sop import PROJECT_ROOT

    path = tmp_path / "Consolidated Master File SOP_Nov26 - JR.xlsx"
    exported = app.test_cli_runner().invoke(args=[
        "export-workbook", "--rep", "jane@example.com", "--cycle", "2026-11", str(path)])
    assert exported.exit_code == 0, exported.output
    lines = ForecastLine.objects(rep=company.rep)
    expected = sorted((str(line.customer.pk), str(line.product.pk), line.qty) for line in lines)
    lines.delete()  # the file puts them back

    env = service_env(services, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                      FLASK_APP="wsgi")
    done = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "import-workbook",
                           str(path), "--rep", "jane@example.com", "--cycle", "2026-11",
                           "--json"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    now_there = sorted((str(line.customer.pk), str(line.product.pk), line.qty)
                       for line in ForecastLine.objects(rep=company.rep))
    if done.returncode == 0:
        assert json.loads(done.stdout)["applied"] and now_there == expected
    else:
        assert now_there == [] and "Traceback" not in done.stderr, done.stderr[-2000:]
        assert done.stderr.strip(), "a refusal says why"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
