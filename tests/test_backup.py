"""`flask backup` / `flask restore`: a compressed copy of every collection and stored file that
comes back with identical counts and checksums, and never lands on top of live data unasked."""

from __future__ import annotations

import os
import tarfile

import gridfs
import pytest
from mongoengine.connection import get_db

from sop.backup import data_collections, database_checksums
from sop.db import ensure_indexes
from sop.models import Customer, User
from tests.conftest import DEFAULT_PASSWORD


@pytest.fixture
def filled(app, make_user, make_customer, make_product, make_cycle, make_line):
    rep = make_user("sales_rep", full_name="Rita Rep")
    customer = make_customer(rep, code="PATITO-000001", name="Bayou Foods", credit_limit=5e3)
    garlic = make_product("110001", "Peeled Garlic", list_price=50.0)
    make_line(make_cycle("2026-11"), rep, customer, garlic, qty=[10, 20.5, None], price=[45.0])
    with app.app_context():
        content = os.urandom(600 * 1024)  # several GridFS chunks
        file_id = gridfs.GridFS(get_db(), collection="uploads").put(content, filename="a.xlsx")
        if "left_empty" not in get_db().list_collection_names():
            get_db().create_collection("left_empty")
        yield {"content": content, "file_id": file_id, "rep": rep}
        ensure_indexes()  # the test drops collections: later tests need the indexes back


def drop_everything() -> None:
    db = get_db()
    for name in data_collections(db):
        db.drop_collection(name)


def test_a_backup_restores_into_an_empty_database_with_identical_counts_and_checksums(
        app, filled, tmp_path):
    runner = app.test_cli_runner()
    db = get_db()
    before = database_checksums(db)
    assert before["uploads.chunks"]["count"] >= 3 and before["left_empty"]["count"] == 0
    target = tmp_path / "sop.tar.gz"
    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert "1 stored files" in made.output and str(target) in made.output
    with tarfile.open(target, "r:gz") as archive:
        names = archive.getnames()
    assert names[0] == "manifest.json" and "collections/uploads.chunks.bson" in names
    assert target.stat().st_size < 600 * 1024 + 64 * 1024  # compressed (random data barely)

    drop_everything()
    restored = runner.invoke(args=["restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert "counts and checksums match" in restored.output
    assert database_checksums(db) == before
    stored = gridfs.GridFS(db, collection="uploads").get(filled["file_id"])
    assert stored.read() == filled["content"] and stored.filename == "a.xlsx"
    assert Customer.objects.get(code="PATITO-000001").credit_limit == 5e3
    assert any(index.get("unique") for index in db["users"].index_information().values())

    # A client can sign in again with the restored account.
    client = app.test_client()
    signed_in = client.post_form("/login", {"email": filled["rep"].email,
                                            "password": DEFAULT_PASSWORD}, token_from="/login")
    assert signed_in.status_code == 302 and signed_in.location == "/"


def test_restore_refuses_a_database_with_data_unless_forced(app, filled, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "sop.tar.gz"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    before = database_checksums(get_db())
    User.objects(id=filled["rep"].pk).update_one(set__full_name="Changed Since")
    changed = database_checksums(get_db())

    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code != 0
    assert "already holds data" in refused.output and "--force" in refused.output
    assert database_checksums(get_db()) == changed  # nothing written

    forced = runner.invoke(args=["restore", "--force", str(target)])
    assert forced.exit_code == 0, forced.output
    assert database_checksums(get_db()) == before
    assert User.objects.get(id=filled["rep"].pk).full_name == "Rita Rep"


def test_a_damaged_or_foreign_file_is_refused_before_anything_is_written(app, filled,
                                                                        tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "sop.tar.gz"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as archive:
        archive.add(damaged, arcname="something.bin")
    drop_everything()
    for path, message in ((damaged, "damaged"), (foreign, "not a backup made by")):
        refused = runner.invoke(args=["restore", str(path)])
        assert refused.exit_code != 0 and message in refused.output, refused.output
        assert data_collections(get_db()) == []


def test_a_backup_taken_while_the_data_keeps_changing_is_refused_not_half_copied(
        app, filled, tmp_path):
    import threading

    stop = threading.Event()

    def keep_writing() -> None:
        with app.app_context():
            busy = get_db()["busy"]
            while not stop.is_set():
                busy.insert_one({"n": 1})

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        target = tmp_path / "sop.tar.gz"
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code != 0
    assert "kept changing while it was copied (busy)" in result.output
    assert "Stop the web app and the workers" in result.output
    assert list(tmp_path.iterdir()) == []
