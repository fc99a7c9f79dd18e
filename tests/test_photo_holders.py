"""A photo's hash is not a key: another evaluator must send the bytes before using it."""

from __future__ import annotations

import hashlib

from .test_api import gen_payload, jpeg


def _put(client, data: bytes) -> tuple[str, int]:
    digest = hashlib.sha256(data).hexdigest()
    response = client.put(f"/api/v1/photos/{digest}", data=data, content_type="image/jpeg")
    return digest, response.status_code


def _login(app, username: str):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "demo-password"})
    return client


def test_knowing_a_hash_neither_reveals_nor_links_the_photo(app, world, db):
    owner, other = _login(app, "evaluator1"), _login(app, "evaluator2")
    digest, status = _put(owner, jpeg())
    assert status == 201
    assert owner.head(f"/api/v1/photos/{digest}").status_code == 200
    assert other.head(f"/api/v1/photos/{digest}").status_code == 404  # no "it exists" oracle
    assert other.get(f"/api/v1/photos/{digest}").status_code == 404
    body = gen_payload(db, slug="dishub", photos=[{"sha256": digest}])
    refused = other.post("/api/v1/visits", json=body)
    assert refused.status_code == 409 and refused.get_json()["missing"] == [digest]
    assert db.execute("select count(*) from visits").fetchone()[0] == 0


def test_sending_the_bytes_proves_the_photo_and_stores_it_once(app, world, db):
    owner, other = _login(app, "evaluator1"), _login(app, "evaluator2")
    data = jpeg(color=(200, 30, 30))
    digest, _ = _put(owner, data)
    assert _put(other, data) == (digest, 200)  # already stored: held now, not stored again
    assert other.head(f"/api/v1/photos/{digest}").status_code == 200
    body = gen_payload(db, slug="dishub", photos=[{"sha256": digest}])
    assert other.post("/api/v1/visits", json=body).status_code == 201
    assert db.execute("select count(*) from photos").fetchone()[0] == 1


def test_photo_rows_join_the_shared_write_transaction(app, world, db):
    """Photos arriving while the write lock is busy queue in one batch (group commit)."""
    import fcntl
    import threading
    import time

    from survey_app.store import connection

    app.config["WRITE_WAIT_SECONDS"] = 120  # the queue, not a timeout, is under test
    clients = [_login(app, "evaluator1") for _ in range(3)]
    bodies = [jpeg(color=(n * 60, 10, 10)) for n in range(3)]
    results: list[int] = []
    lock_path = app.config["DATABASE"] + "-writer"
    with open(lock_path, "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another writer holds the database
        threads = [
            threading.Thread(target=lambda c=c, b=b: results.append(_put(c, b)[1]))
            for c, b in zip(clients, bodies, strict=True)
        ]
        for t in threads:
            t.start()
        batch = connection._batches.get(lock_path)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # a condition, not a sleep: all three queued
            batch = batch or connection._batches.get(lock_path)
            if batch and len(batch.pending) + (1 if batch.turn.locked() else 0) >= 3:
                break
            time.sleep(0.01)
        assert batch is not None and len(batch.pending) >= 2  # the rows wait in the batch
    for t in threads:
        t.join()
    assert sorted(results) == [201, 201, 201]
    assert db.execute("select count(*) from photos").fetchone()[0] == 3
