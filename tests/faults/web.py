"""The web app as production runs it (gunicorn, synchronous workers) on a test's services,
and a signed-in browser over real HTTP."""

from __future__ import annotations

import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from sop import PROJECT_ROOT
from sop.dev.loopback import multipart_form
from sop.dev.stack import free_port, wait_for_port

TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


class Gunicorn:
    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 2) -> None:
        self.env, self.log_path, self.workers = env, log_path, workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Gunicorn:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "wsgi:app"],
            cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for_port(self.port, self.process, "gunicorn", timeout=60)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def output(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


class Browser:
    """One signed-in person: cookies, and the CSRF token htmx sends as a header."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))
        self.token = ""

    def sign_in(self, email: str, password: str) -> Browser:
        status, page = self.get("/login")
        assert status == 200, page
        body = {"csrf_token": FORM_TOKEN.search(page).group(1), "email": email,
                "password": password}
        status, page = self.post("/login", body)
        assert status == 200 and "Sign out" in page, page[:2000]
        self.token = TOKEN.search(self.get("/profile")[1]).group(1)
        return self

    def request(self, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            self.base + path, headers=headers or {},
            data=urllib.parse.urlencode(data).encode() if data is not None else None)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self.request(path)

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        return self.request(path, data)

    def upload(self, path: str, fields: dict[str, str], name: str, data: bytes
               ) -> tuple[int, str]:
        """A form with one file, as multipart/form-data."""
        body, content_type = multipart_form(fields, name, data)
        request = urllib.request.Request(  # noqa: S310 - our own loopback server
            self.base + path, data=body, headers={"Content-Type": content_type})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def htmx_post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        return self.request(path, data, {"HX-Request": "true", "X-CSRFToken": self.token})
