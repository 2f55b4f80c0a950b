"""The OpenAPI document is generated from the code: 3.1, the bearer scheme, problem JSON."""

from __future__ import annotations


def test_the_document_is_openapi_3_1_with_the_token_scheme_and_problem_errors(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerToken": []}]
    assert document["paths"]["/api/v1/settings/public"]["get"]["security"] == []
    cell = document["paths"]["/api/v1/cycles/{cycle_ref}/cells"]["put"]
    assert "application/problem+json" in cell["responses"]["409"]["content"]
    default = document["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]
    body = document["components"]["schemas"]["CellUpdate"]
    assert body["additionalProperties"] is False  # unknown fields are refused
    assert body["properties"]["value"]["type"] == ["number", "null"]  # 3.1 nullable


def test_the_docs_page_loads_the_vendored_swagger_ui(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html  # no inline script: the CSP allows 'self' only
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
