"""A real headless Chromium (Debian's) driven by Playwright against the app on a real port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from sop import PROJECT_ROOT
from sop.dev.stack import stop_process

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: `make test` installs it (apt-get install "
                    "chromium).")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def new_page(browser, live_server):
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def worker_process(services: dict[str, Any]) -> Iterator[subprocess.Popen]:
    """A real `python worker.py` (forking RQ worker) on the test services, as in production."""
    env = {**os.environ, "SOP_ENV": "test", "MONGODB_URI": services["mongo_uri"],
           "REDIS_URL": services["redis_url"], "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(services["sink"].port)}
    log = (services["work"] / "worker.log").open("a")
    process = subprocess.Popen([sys.executable, "worker.py"], cwd=PROJECT_ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    yield process
    stop_process(process)
    log.close()
