"""The interactive API documentation renders in a real Chromium under the app's CSP."""

from __future__ import annotations


def test_api_docs_render_every_operation_without_csp_violations(new_page):
    page = new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = page.goto("/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/cycles/{cycle_ref}/lines" in p for p in paths)
    assert any("/api/v1/sales/bulk" in p for p in paths)
    assert page.locator("text=Authorize").count() >= 1  # the bearer token scheme
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], \
        problems
