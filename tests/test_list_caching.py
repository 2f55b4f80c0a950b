"""List pages keep counts, page ids, sales rows and the signed-in account between requests
(sop.listing.cached_until_written) only until the data behind them is written: every write,
from this process or another, shows on the next request."""

from __future__ import annotations

import re

from sop.customers.services import last_months
from sop.models import Customer, Product, SalesHistory, SalesMonth, User


def customer_codes(html: str) -> list[str]:
    return re.findall(r'<tr id="customer-[0-9a-f]+".*?>(PATITO-\d+)</a>', html, re.S)


def results(html: str) -> str:
    return re.search(r"(\d+) results? · page \d+ of \d+", html).group(0)


def test_customer_list_follows_every_write(client, app, make_user, make_customer, login_as):
    login_as("admin")
    rep = make_user()
    for _ in range(26):
        make_customer(rep)
    first = client.get("/customers").get_data(as_text=True)
    assert results(first) == "26 results · page 1 of 2"
    assert client.get("/customers").get_data(as_text=True) == first  # served again, same

    make_customer(rep, code="PATITO-000000", sop_name="AAA FIRST")
    with app.app_context():
        Customer.objects(code="PATITO-000001").update_one(set__active=False)
        Customer.objects(code="PATITO-000002").update_one(set__name="Renamed Foods LLC")
    page = client.get("/customers").get_data(as_text=True)
    assert results(page) == "26 results · page 1 of 2"
    assert customer_codes(page)[0] == "PATITO-000000"
    assert "PATITO-000001" not in customer_codes(page)
    assert "Renamed Foods LLC" in page  # the rows are read fresh, not only the ids


def test_a_reassigned_customer_leaves_the_reps_list_at_once(client, app, make_user,
                                                            make_customer, login):
    me, other = make_user(), make_user()
    moving = make_customer(me, code="PATITO-000001")
    make_customer(me, code="PATITO-000002")
    login(me)
    assert customer_codes(client.get("/customers").get_data(as_text=True)) == [
        "PATITO-000001", "PATITO-000002"]
    with app.app_context():
        Customer.objects(id=moving.pk).update_one(set__sales_rep=other.pk)
    page = client.get("/customers").get_data(as_text=True)
    assert customer_codes(page) == ["PATITO-000002"]
    assert results(page) == "1 result · page 1 of 1"
    assert client.get(f"/customers/{moving.pk}").status_code == 404


def test_item_list_follows_edits(client, app, make_product, login_as):
    login_as("manager")
    garlic = make_product(item_code="110001", description="Peeled Garlic")
    assert "Peeled Garlic" in client.get("/items").get_data(as_text=True)
    with app.app_context():
        Product.objects(id=garlic.pk).update_one(set__description="Roasted Garlic")
        make_product(item_code="110002", description="Shallots")
    page = client.get("/items").get_data(as_text=True)
    assert "Roasted Garlic" in page and "Peeled Garlic" not in page
    assert "Shallots" in page and results(page) == "2 results · page 1 of 1"


def test_sales_page_follows_new_history(client, app, make_user, make_customer, make_product,
                                        login_as):
    login_as("admin")
    customer = make_customer(make_user(), code="PATITO-000001")
    garlic, shallots = make_product(item_code="110001"), make_product(item_code="110002")
    month = last_months(24)[-1]

    def bucket(product, quantity: float) -> None:
        SalesHistory(customer=customer, product=product, months=[SalesMonth(
            month=month, quantity=quantity, sales=quantity * 10)]).save()

    with app.app_context():
        bucket(garlic, 7)
    url = "/sales?customer=PATITO-000001"
    assert "Total of 1 rows" in client.get(url).get_data(as_text=True)
    with app.app_context():
        bucket(shallots, 5)
    page = client.get(url).get_data(as_text=True)
    assert "Total of 2 rows" in page and "120.00" in page  # (7 + 5) x $10
    with app.app_context():
        Product.objects(id=shallots.pk).update_one(set__description="Banana Shallots")
    assert "Banana Shallots" in client.get(url).get_data(as_text=True)


def test_a_deactivated_or_signed_out_account_is_refused_on_the_next_request(
        client, app, login_as):
    user = login_as("manager")
    assert client.get("/customers").status_code == 200
    assert client.get("/customers").status_code == 200
    with app.app_context():
        User.objects(id=user.pk).update_one(set__active=False)
    assert client.get("/customers").status_code == 302

    other = login_as("admin")
    assert client.get("/customers").status_code == 200
    with app.app_context():
        User.objects(id=other.pk).update_one(set__session_token="rotated-elsewhere")
    assert client.get("/customers").status_code == 302
