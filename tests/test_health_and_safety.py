"""Health check, public settings, security headers, error pages that leak nothing."""

from __future__ import annotations

from datetime import timedelta

from rq import Worker
from rq.defaults import DEFAULT_WORKER_TTL

from sop.extensions import redis_queues
from tests.conftest import build_test_app


def test_health_reports_each_service_and_needs_a_worker(app, client):
    degraded = client.get("/health")
    assert degraded.status_code == 503
    assert degraded.get_json() == {"status": "degraded", "database": "ok", "redis": "ok",
                                   "worker": "none running"}
    with app.app_context():
        worker = Worker(["default"], connection=redis_queues.redis)
        worker.register_birth()
        worker.heartbeat()
    try:
        healthy = client.get("/health")
        assert healthy.status_code == 200
        assert healthy.get_json()["status"] == "ok"
        assert "redis://" not in healthy.get_data(as_text=True)
    finally:
        with app.app_context():
            worker.register_death()


def test_an_idle_worker_is_healthy_until_rq_itself_would_forget_it(app, client, monkeypatch):
    """Issue 13, finding 6: an idle worker heartbeats only every worker_ttl - 15 s (RQ blocks
    on the queues that long), so three or even six quiet minutes are healthy."""
    import sop.api.services as health
    from sop.clock import now

    with app.app_context():
        worker = Worker(["default"], connection=redis_queues.redis)
        worker.register_birth()  # a real registration, as an idle worker leaves it
        assert worker.dequeue_timeout + 15 == DEFAULT_WORKER_TTL
    try:
        for quiet_seconds, status in ((180, 200), (worker.dequeue_timeout + 5, 200),
                                      (DEFAULT_WORKER_TTL + 61, 503)):
            monkeypatch.setattr(health, "now",
                                lambda s=quiet_seconds: now() + timedelta(seconds=s))
            response = client.get("/health")
            assert response.status_code == status, (quiet_seconds, response.get_json())
        assert response.get_json()["worker"] == "stale"
    finally:
        with app.app_context():
            worker.register_death()


def test_public_settings_need_no_sign_in_and_show_only_public_keys(client):
    response = client.get("/api/v1/settings/public")
    assert response.status_code == 200
    assert response.get_json() == {"app_name": "S&OP Portal", "app_version": "0.1.0",
                                   "max_forecast_months": 16,
                                   "min_forecast_months_required": 12}


def test_every_page_carries_the_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client, login_as):
    login_as("admin")
    for path in ("/login", "/", "/users", "/profile"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html, path


def test_unknown_pages_get_a_friendly_404_and_htmx_a_fragment(client, login_as):
    login_as("manager")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Not found" in page.get_data(as_text=True)
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "<html" not in fragment.get_data(as_text=True)


def test_oversized_uploads_get_the_413_page(client, login_as):
    login_as("admin")
    body = b"x" * (11 * 1024 * 1024)  # over the default max_upload_mb of 10
    response = client.post("/profile", data=body, content_type="application/octet-stream")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "File too large" in html and "10 MB" in html


def test_an_unexpected_error_shows_no_trace(services, app):
    broken = build_test_app(services)

    @broken.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = broken.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_the_global_rate_limit_answers_429_kindly(app, client, login_as):
    login_as("manager")
    from sop.settings import store_value

    with app.app_context():
        store_value("rate_limit_requests_per_minute", 10, "test")
    statuses = [client.get("/").status_code for _ in range(12)]
    first_refusal = statuses.index(429)  # the default of 60 would let all 12 through
    assert set(statuses[:first_refusal]) == {200}
    assert set(statuses[first_refusal:]) == {429}
    assert "Too many requests" in client.get("/").get_data(as_text=True)
