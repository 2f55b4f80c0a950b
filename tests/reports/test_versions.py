"""Data versions move after real writes (single, bulk, inside transactions only on commit), so
the report cache can tell that data changed; Redis trouble never breaks a write."""

from __future__ import annotations

import pytest
from mongoengine.connection import get_connection, get_db
from pymongo import MongoClient, UpdateOne
from redis import Redis

from sop.dataversions import DataVersionListener, current_versions
from sop.db import database_name
from sop.dev.stack import free_port
from sop.extensions import redis_queues

pytestmark = pytest.mark.usefixtures("app_context")


def versions(*names: str) -> dict[str, str]:
    found = current_versions(redis_queues.redis, names)
    assert found is not None
    return found


def test_single_writes_move_the_version_of_their_collection_only():
    start = versions("products", "customers")
    get_db().products.insert_one({"item_code": "A1"})
    after_insert = versions("products", "customers")
    assert after_insert["products"] != start["products"]
    assert after_insert["customers"] == start["customers"]

    get_db().products.update_one({"item_code": "A1"}, {"$set": {"description": "x"}})
    after_update = versions("products")
    assert after_update["products"] != after_insert["products"]

    get_db().products.update_one({"item_code": "nothing"}, {"$set": {"description": "x"}})
    assert versions("products") == after_update  # matched nothing: nothing changed

    get_db().products.find_one_and_update({"item_code": "A1"}, {"$set": {"uom": "EA"}})
    after_modify = versions("products")
    assert after_modify != after_update

    get_db().products.delete_many({})
    assert versions("products") != after_modify


def test_a_bulk_write_moves_the_version():
    start = versions("scratch_rows")
    get_db().scratch_rows.insert_many([{"n": i} for i in range(2500)])
    middle = versions("scratch_rows")
    assert middle != start
    get_db().scratch_rows.bulk_write([UpdateOne({"n": i}, {"$set": {"m": 1}}) for i in range(10)])
    assert versions("scratch_rows") != middle


def test_writes_in_a_transaction_move_the_version_only_when_it_commits():
    start = versions("forecast_lines", "submissions")
    seen_inside: list[dict[str, str]] = []

    def write(session) -> None:
        get_db().forecast_lines.insert_one({"qty": [1]}, session=session)
        get_db().submissions.insert_one({"status": "draft"}, session=session)
        seen_inside.append(versions("forecast_lines", "submissions"))

    with get_connection().start_session() as session:
        session.with_transaction(write)

    assert seen_inside == [start]  # not before the commit
    after = versions("forecast_lines", "submissions")
    assert after["forecast_lines"] != start["forecast_lines"]
    assert after["submissions"] != start["submissions"]


def test_an_aborted_transaction_leaves_the_version():
    start = versions("forecast_lines")
    with get_connection().start_session() as session:
        session.start_transaction()
        get_db().forecast_lines.insert_one({"qty": [1]}, session=session)
        session.abort_transaction()
    assert get_db().forecast_lines.count_documents({}) == 0
    assert versions("forecast_lines") == start


def test_a_flushed_redis_never_matches_an_old_version():
    get_db().products.insert_one({"item_code": "A1"})
    before = versions("products")
    redis_queues.redis.flushdb()
    get_db().products.insert_one({"item_code": "A2"})  # the counter starts again at 1
    assert versions("products") != before


def test_redis_down_does_not_break_a_write_and_the_bump_is_sent_later(services):
    start = versions("budget_entries")
    nowhere = Redis(port=free_port(), socket_connect_timeout=0.2, socket_timeout=0.2)
    client = MongoClient(services["mongo_uri"], event_listeners=[DataVersionListener(nowhere)])
    try:
        client[database_name(services["mongo_uri"])].budget_entries.insert_one({"cases": 1})
    finally:
        client.close()
    assert get_db().budget_entries.count_documents({}) == 1
    assert versions("budget_entries") != start  # the failed bump went out before the read


def test_a_sign_in_leaves_the_users_version_but_a_new_name_moves_it(login, make_user):
    user = make_user("manager")
    before = versions("users")
    login(user, "wrong")
    response = login(user)
    assert response.status_code in (302, 303)
    user.reload()
    assert user.last_login_at is not None
    assert versions("users") == before  # the last sign-in and failed counts are bookkeeping

    user.update(set__full_name="Renamed Rep")
    assert versions("users") != before
