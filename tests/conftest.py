"""Real services for the whole suite: the embedded MongoDB-wire server, Redis and an SMTP sink,
started once per session on free loopback ports; a clean database, Redis and mailbox per test."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from mongoengine.connection import get_db

from sop import create_app
from sop.dev.stack import SmtpSink, free_port, start_embedded_mongo, start_redis, stop_process
from sop.extensions import QUEUE_NAMES, redis_queues
from sop.jobs.runner import InProcessWorker
from sop.listing import forget_choices
from sop.models import Customer, Cycle, ForecastLine, PriceEntry, Product, User
from sop.months import month_label
from sop.settings import invalidate_cache

DEFAULT_PASSWORD = "Plan-ahead-2026"
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("services")
    log = (work / "services.log").open("w")
    mongo, mongo_uri = start_embedded_mongo(":memory:", free_port(), log)
    redis, redis_url = start_redis(free_port(), work / "redis", log)
    sink = SmtpSink(work / "mail", free_port()).start()
    yield {"mongo_uri": mongo_uri, "redis_url": redis_url, "sink": sink, "work": work}
    sink.stop()
    for process in (redis, mongo):
        stop_process(process)
    log.close()


class PortalClient(FlaskClient):
    """A test client that sends the CSRF token the way the pages do."""

    def csrf_token(self, path: str = "/login") -> str:
        html = self.get(path).get_data(as_text=True)
        match = CSRF_INPUT.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def post_form(self, path: str, data: dict[str, Any] | None = None,
                  token_from: str = "/profile", **kwargs: Any):
        form = {"csrf_token": self.csrf_token(token_from), **(data or {})}
        return self.post(path, data=form, **kwargs)

    def htmx_post(self, path: str, data: dict[str, Any] | None = None,
                  token_from: str = "/profile", **kwargs: Any):
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf_token(token_from)}
        return self.post(path, data=data or {}, headers=headers, **kwargs)


def build_test_app(services: dict[str, Any]) -> Flask:
    """An app on the session's real services, as the `app` fixture and special cases use."""
    application = create_app({
        "SOP_ENV": "test",
        "MONGODB_URI": services["mongo_uri"],
        "REDIS_URL": services["redis_url"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": services["sink"].port,
        "BASE_URL": "http://portal.test",
        "BCRYPT_ROUNDS": 4,
    })
    application.test_client_class = PortalClient
    return application


@pytest.fixture(scope="session")
def app(services: dict[str, Any]) -> Flask:
    return build_test_app(services)


@pytest.fixture(autouse=True)
def clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every collection (indexes stay), Redis and the mailbox; settings back to defaults."""
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    services = request.getfixturevalue("services")
    with app.app_context():
        db = get_db()
        for name in db.list_collection_names():
            if not name.startswith("system."):
                db[name].delete_many({})
        redis_queues.redis.flushdb()
        from sop.settings import seed_settings

        seed_settings()
    services["sink"].clear()
    invalidate_cache()
    forget_choices()
    yield


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> PortalClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    from sop.users.services import create_user

    counter = iter(range(1, 10_000))

    def build(role: str = "sales_rep", email: str | None = None,
              password: str = DEFAULT_PASSWORD, full_name: str | None = None) -> User:
        number = next(counter)
        with app.app_context():
            return create_user(None, email or f"{role}{number}@example.com",
                               full_name or f"{role.replace('_', ' ').title()} {number}",
                               role, password)

    return build


@pytest.fixture
def make_customer(app: Flask) -> Callable[..., Customer]:
    counter = iter(range(1, 100_000))

    def build(rep: User | None = None, code: str | None = None, sop_name: str | None = None,
              **fields: Any) -> Customer:
        number = next(counter)
        with app.app_context():
            customer = Customer(code=code or f"PATITO-{number:06d}",
                                name=fields.pop("name", f"Customer {number} LLC"),
                                sop_name=sop_name or f"CUSTOMER {number}", sales_rep=rep,
                                **fields)
            customer.save()
            return customer

    return build


@pytest.fixture
def make_product(app: Flask) -> Callable[..., Product]:
    counter = iter(range(1, 100_000))

    def build(item_code: str | None = None, description: str | None = None,
              **fields: Any) -> Product:
        number = next(counter)
        with app.app_context():
            return Product(item_code=item_code or f"{110000 + number:06d}",
                           description=description or f"Item {number}", **fields).save()

    return build


@pytest.fixture
def make_price(app: Flask) -> Callable[..., PriceEntry]:
    """A price-matrix entry: the customer may be forecast the item."""

    def build(customer: Customer, product: Product, price: float | None = 10.0,
              active: bool = True) -> PriceEntry:
        with app.app_context():
            return PriceEntry(customer=customer, product=product, price=price,
                              active=active).save()

    return build


@pytest.fixture
def make_cycle(app: Flask) -> Callable[..., Cycle]:
    """A cycle (open unless told otherwise) planning from its own month."""

    def build(label: str = "2026-11", status: str = "open", **fields: Any) -> Cycle:
        year, month = (int(part) for part in label.split("-"))
        start = fields.pop("planning_start", date(year, month, 1))
        with app.app_context():
            return Cycle(year=year, month=month, name=fields.pop("name", month_label(start)),
                         planning_start=start, status=status, **fields).save()

    return build


@pytest.fixture
def make_line(app: Flask) -> Callable[..., ForecastLine]:
    """A forecast line; `qty`/`price` may be shorter than the horizon (the rest is blank)."""

    def build(cycle: Cycle, rep: User, customer: Customer, product: Product,
              qty: list[float | None] | None = None, price: list[float | None] | None = None,
              **fields: Any) -> ForecastLine:
        horizon = cycle.horizon_months
        with app.app_context():
            return ForecastLine(
                cycle=cycle, rep=rep, customer=customer, product=product,
                qty=((qty or []) + [None] * horizon)[:horizon],
                price=((price or []) + [None] * horizon)[:horizon], **fields).save()

    return build


@pytest.fixture
def login(client: PortalClient) -> Callable[..., Any]:
    def sign_in(user: User, password: str = DEFAULT_PASSWORD):
        return client.post_form("/login", {"email": user.email, "password": password},
                                token_from="/login")

    return sign_in


@pytest.fixture
def login_as(make_user: Callable[..., User], login: Callable[..., Any]) -> Callable[[str], User]:
    """Create a user of `role` and sign the test client in as them."""

    def sign_in_as(role: str) -> User:
        user = make_user(role)
        response = login(user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in_as


@pytest.fixture
def mailbox(services: dict[str, Any]) -> SmtpSink:
    return services["sink"]


def work_queues(app: Flask, *queue_names: str) -> bool:
    """Run every queued job of these queues (all when none are named) in this process."""
    with app.app_context():
        queues = [redis_queues.queue(n) for n in (queue_names or QUEUE_NAMES)]
        worker = InProcessWorker(queues, connection=redis_queues.redis)
        worker.app = app
        return worker.work(burst=True)


@pytest.fixture
def run_jobs(app: Flask) -> Callable[..., bool]:
    def work(*queue_names: str) -> bool:
        return work_queues(app, *queue_names)

    return work


def chromium_path() -> str | None:
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")
