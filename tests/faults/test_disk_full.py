"""An upload meets a database that refuses to store it (its disk is full): a clear message,
nothing half-stored, and the next upload works once space is back.

How "disk full" is provoked: this test's own embedded server runs with test commands on, and
its real `failCommand` fail point makes the server answer the second `insert` command with
error 14031 (OutOfDiskSpace), as MongoDB does when its disk is full: what the upload
wrote before is removed. (A truly full file system makes the
embedded server's storage engine panic and stop answering at all, which is the "database
down" case of test_database_restart.py.)"""

from __future__ import annotations

import secrets
import subprocess

import pytest
from pymongo import MongoClient

from sop import PROJECT_ROOT
from sop.dev.stack import free_port, start_embedded_mongo, start_redis, stop_process
from tests.excel.builders import workbook_bytes
from tests.faults.processes import service_env
from tests.faults.web import FORM_TOKEN, Browser, Gunicorn

pytestmark = pytest.mark.faults

PASSWORD = "Plan-ahead-2026"


def test_an_upload_refused_by_a_full_disk_says_so_and_keeps_nothing(services, tmp_path):
    log = (tmp_path / "services.log").open("w")
    mongo, mongo_uri = start_embedded_mongo(":memory:", free_port(), log,
                                            extra_args=("--enable-test-commands",))
    redis, redis_url = start_redis(free_port(), tmp_path / "redis", log)
    env = service_env({**services, "mongo_uri": mongo_uri, "redis_url": redis_url},
                      FLASK_APP="wsgi")
    flask = str(PROJECT_ROOT / ".venv" / "bin" / "flask")
    for command in (["create-user", "--email", "admin@example.com", "--password", PASSWORD,
                     "--role", "admin"],
                    ["create-user", "--email", "jane@example.com", "--password", PASSWORD,
                     "--role", "sales_rep", "--name", "Jane Roe"],
                    ["create-cycle", "2026-11", "--open"]):
        subprocess.run([flask, *command], cwd=PROJECT_ROOT, env=env, check=True,
                       capture_output=True)
    web = Gunicorn(env, tmp_path / "web.log", workers=1).start()
    rows = [["Item Code*", "Description*"]] + [[f"{100000 + n}", secrets.token_urlsafe(120)]
                                              for n in range(8000)]
    data = workbook_bytes(("Items", rows))
    assert len(data) > 3 * 255 * 1024  # more than three GridFS chunks
    client = MongoClient(mongo_uri)
    database = client.get_default_database()
    try:
        admin = Browser(web.url).sign_in("admin@example.com", PASSWORD)

        def upload() -> tuple[int, str]:
            token = FORM_TOKEN.search(admin.get("/imports")[1]).group(1)
            return admin.upload("/imports", {"csrf_token": token, "kind": "products"},
                                "items.xlsx", data)

        client.admin.command({"configureFailPoint": "failCommand",
                              "mode": {"skip": 1, "times": 1},
                              "data": {"failCommands": ["insert"], "errorCode": 14031}})
        status, page = upload()
        assert status == 200 and "could not be stored" in page and "out of disk space" in page, \
            web.output()[-3000:]
        assert database["uploads.chunks"].count_documents({}) == 0  # nothing half-stored
        assert database["uploads.files"].count_documents({}) == 0
        assert database["import_logs"].count_documents({}) == 0

        client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        status, page = upload()  # space is back: the same file goes through
        assert status == 200 and "could not be stored" not in page
        assert database["import_logs"].count_documents({}) == 1
        assert database["uploads.files"].count_documents({}) == 1

        # a rep workbook upload: the same refusal, nothing of it kept
        cycle = str(database["cycles"].find_one()["_id"])
        rep = str(database["users"].find_one({"role": "sales_rep"})["_id"])
        client.admin.command({"configureFailPoint": "failCommand",
                              "mode": {"skip": 1, "times": 1},
                              "data": {"failCommands": ["insert"], "errorCode": 14031}})
        token = FORM_TOKEN.search(admin.get("/workbooks")[1]).group(1)
        status, page = admin.upload("/workbooks/upload", {"csrf_token": token, "cycle": cycle,
                                                          "rep": rep}, "Plan - JR.xlsx", data)
        assert status == 200 and "could not be stored" in page, web.output()[-3000:]
        assert database["workbook_files.chunks"].count_documents({}) == 0
        assert database["workbook_uploads"].count_documents({}) == 0
    finally:
        client.close()
        web.stop()
        for process in (redis, mongo):
            stop_process(process)
        log.close()
