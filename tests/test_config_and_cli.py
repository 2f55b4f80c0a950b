"""Configuration fails fast with a clear sentence; the flask commands; settings seeding."""

from __future__ import annotations

import pytest

from sop.config import ConfigError, load_config
from sop.models import (
    CATEGORIES,
    BudgetEntry,
    Customer,
    PriceEntry,
    Product,
    SalesHistory,
    Setting,
    User,
)
from sop.settings import DEFINITIONS, get_setting, seed_settings, store_value

PRODUCTION = {"SOP_ENV": "production", "SECRET_KEY": "s" * 40,
              "MONGODB_URI": "mongodb://db.internal:27017/sop", "REDIS_URL": "redis://r:6379/0"}


@pytest.fixture
def environment(monkeypatch):
    for key in ("SOP_ENV", "SECRET_KEY", "MONGODB_URI", "REDIS_URL", "MAIL_USE_TLS", "PORT"):
        monkeypatch.delenv(key, raising=False)

    def apply(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return apply


def test_production_starts_with_complete_configuration(environment):
    environment(**PRODUCTION)
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MONGODB_URI"] == PRODUCTION["MONGODB_URI"]


@pytest.mark.parametrize(("missing", "message"), [
    ("SECRET_KEY", "SECRET_KEY is not set"),
    ("MONGODB_URI", "MONGODB_URI is not set"),
    ("REDIS_URL", "REDIS_URL is not set"),
])
def test_production_refuses_to_start_without_essentials(environment, missing, message):
    environment(**{k: v for k, v in PRODUCTION.items() if k != missing})
    with pytest.raises(ConfigError, match=message):
        load_config()


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("SOP_ENV", "staging", "SOP_ENV must be one of"),
    ("SECRET_KEY", "short", "SECRET_KEY is too short"),
    ("MONGODB_URI", "postgres://x", "MONGODB_URI must start with mongodb://"),
    ("MAIL_USE_TLS", "maybe", "MAIL_USE_TLS must be true or false"),
    ("PORT", "eighty", "PORT must be a whole number"),
])
def test_bad_values_are_named_in_the_error(environment, variable, value, message):
    environment(**{**PRODUCTION, variable: value})
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_development_generates_and_keeps_a_secret_key(environment, tmp_path, monkeypatch):
    import sop.config

    monkeypatch.setattr(sop.config, "VAR_DIR", tmp_path)
    environment(SOP_ENV="development")
    first = load_config()["SECRET_KEY"]
    assert len(first) >= 32
    assert load_config()["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_create_user_command_creates_then_resets(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["create-user", "--email", "Ops@Example.com", "--password",
                                  "First-pass-123", "--role", "admin", "--name", "Ops Team"])
    assert created.exit_code == 0, created.output
    assert "Created ops@example.com (admin)" in created.output
    reset = runner.invoke(args=["create-user", "--email", "ops@example.com", "--password",
                                "Second-pass-456", "--role", "manager"])
    assert "Updated ops@example.com (manager)" in reset.output
    user = User.objects.get(email="ops@example.com")
    assert user.role == "manager" and user.full_name == "Ops Team"
    weak = runner.invoke(args=["create-user", "--email", "x@example.com", "--password", "weak",
                               "--role", "admin"])
    assert weak.exit_code != 0 and "at least 10 characters" in weak.output


def test_seed_demo_prints_each_password_once_and_only_seeds_an_empty_database(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0
    assert User.objects(role="sales_rep").count() == 4
    assert User.objects(role="admin").count() == 1 and User.objects(role="manager").count() == 1
    assert Customer.objects.count() == 60 and Product.objects.count() == 200
    assert PriceEntry.objects.count() == 1200 and SalesHistory.objects.count() == 1200
    assert {len(h.months) for h in SalesHistory.objects.only("months")} == {24}
    assert BudgetEntry.objects.count() > 0
    assert set(Customer.objects.distinct("territory")) == {"North", "South", "West"}
    assert {p.category for p in Product.objects.only("category")} == set(CATEGORIES)
    jordan = User.objects.get(email="jordan.reyes@example.com")
    assert Customer.objects(sales_rep=jordan).count() == 15
    line = next(line for line in first.output.splitlines() if "admin@example.com" in line)
    password = line.split()[-1]
    client = app.test_client()
    signed_in = client.post_form("/login", {"email": "admin@example.com", "password": password},
                                 token_from="/login")
    assert signed_in.status_code == 302

    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "already there" in again.output
    assert password not in again.output
    assert User.objects.count() == 6


def test_settings_are_seeded_once_and_edited_values_survive_a_restart(app_context):
    assert Setting.objects.count() == len(DEFINITIONS)
    store_value("reminder_days_before_close", 5, "admin@example.com")
    assert seed_settings() == 0
    assert get_setting("reminder_days_before_close") == 5
    Setting.objects(key="app_version").update_one(set__value="tampered")
    seed_settings()
    assert get_setting("app_version") == "0.1.0"  # not editable: always the running version


def test_make_run_starts_a_worker_per_queue_group_covering_every_queue_once():
    """Issue 13, finding 2: imports, reports and e-mail never wait behind each other."""
    from sop.dev.stack import WORKER_GROUPS
    from sop.extensions import QUEUE_NAMES

    served = [queue for group in WORKER_GROUPS for queue in group]
    assert sorted(served) == sorted(QUEUE_NAMES)
    assert not {"imports", "reports"} & set(next(g for g in WORKER_GROUPS if "mail" in g))
    assert next(g for g in WORKER_GROUPS if "imports" in g) == ("imports",)
