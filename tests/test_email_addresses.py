"""One e-mail address rule: every place that takes an address accepts and refuses the same
ones, so no account can be created with an address the password-reset form refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from sop.excel.import_formats import CellError, to_email
from sop.reports.services import ReportRefused, parse_addresses
from sop.users.services import UserError, create_user
from tests.conftest import DEFAULT_PASSWORD

ACCEPTED = [
    "kim@example.com",
    "  Kim.Lee@Example.COM ",
    "o'brien+plans@sales.example.co.uk",
    "jürgen@example.de",
]
REFUSED = [
    "not-an-address",
    "kim@example",         # no dot in the domain
    "kim@localhost",
    "kim..lee@example.com",  # two dots in a row
    ".kim@example.com",
    "kim@example..com",
    "kim@sopportal.local",   # reserved names
    "kim@plans.test",
    "kim@-example.com",
    "kim@exa_mple.com",
    "kim<lee>@example.com",
    "kim@" + "a" * 250 + ".com",  # over 254 characters
]


def creating_a_user(app: Flask, client, address: str) -> bool:
    with app.app_context():
        try:
            create_user(None, address, "Kim Lee", "sales_rep", DEFAULT_PASSWORD)
        except UserError as exc:
            assert exc.field == "email"
            return False
    return True


def the_reset_form(app: Flask, client, address: str) -> bool:
    response = client.post_form("/forgot-password", {"email": address},
                                token_from="/forgot-password")
    assert response.status_code in (302, 422)
    return response.status_code == 302


def accepted_by(check: Callable[[str], object], refusal: type[Exception]
                ) -> Callable[..., bool]:
    def place(app: Flask, client, address: str) -> bool:
        try:
            check(address)
        except refusal:
            return False
        return True
    return place


PLACES: dict[str, Callable[..., bool]] = {
    "creating a user": creating_a_user,
    "the reset form": the_reset_form,
    "e-mailing a report": accepted_by(parse_addresses, ReportRefused),
    "importing a rep e-mail": accepted_by(to_email, CellError),
}


@pytest.mark.parametrize("place", list(PLACES.values()), ids=list(PLACES))
@pytest.mark.parametrize("address", ACCEPTED)
def test_every_place_accepts_a_good_address(app, client, place, address):
    assert place(app, client, address) is True


@pytest.mark.parametrize("place", list(PLACES.values()), ids=list(PLACES))
@pytest.mark.parametrize("address", REFUSED, ids=lambda address: address[:30])
def test_every_place_refuses_a_bad_address(app, client, place, address):
    assert place(app, client, address) is False


@pytest.mark.parametrize("address", ACCEPTED)
def test_the_stored_address_is_trimmed_and_lower_case_everywhere(app, address):
    expected = address.strip().lower()
    with app.app_context():
        user = create_user(None, address, "Kim Lee", "sales_rep", DEFAULT_PASSWORD)
    assert user.email == expected
    assert to_email(address) == expected
    assert parse_addresses(address) == [expected]
