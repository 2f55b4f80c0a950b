"""Schemathesis against the live app (a real server on a real port): every operation of the
OpenAPI document, with a rep's and an admin's token, positive and negative examples: no
5xx, every response as documented (status, content type, schema, headers), nothing
accepted that the document says must be refused."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from sop.api.tokens import create_token

EXAMPLES = 6  # per operation and generation mode: the whole run stays well under a minute
# Not checked: that every schema-valid request is accepted (positive_data_acceptance). A
# well-formed request may still break a business rule (an unknown rep's e-mail, a taken
# customer code, a plan already submitted) and is refused with 404/409/422 as documented.


@pytest.fixture
def tokens(app, make_user, make_customer, make_product, make_price, make_cycle, make_line
           ) -> dict[str, str]:
    """A small company (an open cycle, a rep's customer and line) and a token per role."""
    rep, admin = make_user("sales_rep"), make_user("admin")
    cycle = make_cycle("2026-11")
    customer = make_customer(rep, code="PATITO-000001")
    product = make_product(item_code="110001")
    make_price(customer, product)
    make_line(cycle, rep, customer, product, qty=[5] * 12)
    with app.app_context():
        return {role: create_token(None, user, "schemathesis", scopes, 1).secret
                for role, user, scopes in (("sales_rep", rep, ["read", "write"]),
                                           ("admin", admin, ["read", "write", "admin"]))}


def _exercise(operation: Any, mode: GenerationMode, tokens: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        for secret in tokens.values():  # the same example as a rep and as an admin
            case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                                   excluded_checks=[checks.positive_data_acceptance])

    run()


def test_every_operation_answers_as_documented(live_server, tokens):
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in GenerationMode:
            try:
                _exercise(operation, mode, tokens)
            except Unsatisfiable:  # nothing to send wrong (an operation without inputs)
                continue
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{str(exc)[:1500]}")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
