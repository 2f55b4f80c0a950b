"""The database server is killed (SIGKILL) and started again on its data: the web app and the
workers reconnect by themselves, nothing else is restarted, and every write the app
acknowledged is there. The test runs its own embedded server with its data on disk (the
suite's is in memory), its own Redis, gunicorn and a worker.

It found that the embedded server, as `make run` started it on disk, came back from a kill
without the writes of the last seconds, though it had acknowledged them: it now syncs its
log on every commit (sop.dev.stack.start_embedded_mongo). Real MongoDB does not need this
(its journal), given a replica set and the default write concern."""

from __future__ import annotations

import re
import signal
import subprocess

import pytest
from pymongo import MongoClient

from sop import PROJECT_ROOT
from sop.dev.stack import free_port, start_embedded_mongo, start_redis, stop_process
from tests.faults.processes import WorkerProcess, service_env, wait_for
from tests.faults.web import FORM_TOKEN, Browser, Gunicorn

pytestmark = pytest.mark.faults

PASSWORD = "Plan-ahead-2026"


def create_customer(admin: Browser, code: str) -> tuple[int, str]:
    status, page = admin.get("/customers/new")
    if status != 200:
        return status, page
    return admin.post("/customers/new", {"csrf_token": FORM_TOKEN.search(page).group(1),
                                         "code": code, "name": f"{code} LLC",
                                         "sop_name": code, "sales_rep": ""})


def test_the_database_killed_and_restarted_loses_no_acknowledged_write(services, tmp_path):
    log = (tmp_path / "services.log").open("w")
    db_port, storage = free_port(), str(tmp_path / "db")
    mongo, mongo_uri = start_embedded_mongo(storage, db_port, log)
    redis, redis_url = start_redis(free_port(), tmp_path / "redis", log)
    env = service_env({**services, "mongo_uri": mongo_uri, "redis_url": redis_url},
                      FLASK_APP="wsgi")
    created = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "create-user",
                              "--email", "admin@example.com", "--password", PASSWORD,
                              "--role", "admin", "--name", "Avery Admin"],
                             cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                             check=False)
    assert created.returncode == 0, created.stderr
    web = Gunicorn(env, tmp_path / "web.log", workers=2).start()
    worker = WorkerProcess(env, tmp_path / "worker.log", "reports").start()
    try:
        admin = Browser(web.url).sign_in("admin@example.com", PASSWORD)
        acknowledged, refused = [], []

        def write(code: str) -> None:
            status, page = create_customer(admin, code)
            assert status != 500, page[-2000:]
            (acknowledged if status == 200 and code in page else refused).append(code)

        for number in range(5):
            write(f"BEFORE-{number}")
        assert len(acknowledged) == 5

        mongo.send_signal(signal.SIGKILL)
        mongo.wait(timeout=10)
        status, page = create_customer(admin, "DURING-0")
        assert status == 503 and "database does not answer" in page, page[-2000:]
        mongo, _ = start_embedded_mongo(storage, db_port, log)  # same data, same port

        for number in range(5):
            write(f"AFTER-{number}")
        assert acknowledged[5:] == [f"AFTER-{n}" for n in range(5)], refused
        status, body = admin.htmx_post("/reports", {"kind": "sales_summary",
                                                    "month_from": "2026-01",
                                                    "month_to": "2026-03"})
        assert status == 200, body[-2000:]
        with MongoClient(mongo_uri) as client:
            database = client.get_default_database()
            report = wait_for(lambda: database.reports.find_one({"status": "done"}), 60,
                              "the worker to build a report after the restart",
                              interval=0.2, explain=lambda: worker.output()[-3000:])
            codes = set(database.customers.distinct("code"))
        assert report["file_id"] is not None
        assert set(acknowledged) <= codes  # every acknowledged write survived the kill
        assert "DURING-0" not in codes
        assert web.process.poll() is None and worker.process.poll() is None
        assert not re.search(r"Traceback", web.output()), web.output()[-3000:]
    finally:
        worker.stop()
        web.stop()
        for process in (redis, mongo):
            stop_process(process)
        log.close()
