"""A held lock or a full disk is answered with 503 and Retry-After, and nothing half-stored."""

from __future__ import annotations

import fcntl
import sqlite3
import threading

import pytest

from survey_app.store.connection import Busy, connect, is_busy, write_batched

from .test_api import gen_payload


@pytest.fixture
def impatient(app, client, auth, world):
    """The evaluator's client, on an app whose writers wait a third of a second."""
    app.config["WRITE_WAIT_SECONDS"] = 0.3
    auth.login("evaluator1")
    return client


def _held_by_another_program(path: str) -> sqlite3.Connection:
    """A connection outside our writer queue holding SQLite's write lock."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_lock_held_by_another_program_gives_503_with_retry_after(app, impatient, db):
    body = gen_payload(db)
    other = _held_by_another_program(app.config["DATABASE"])
    try:
        response = impatient.post("/api/v1/visits", json=body)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(app.config["RETRY_AFTER_SECONDS"])
        assert response.get_json()["error"] == "busy"
        assert "sibuk" in response.get_json()["message"]  # in the evaluator's language
        assert impatient.get("/login").status_code in (200, 302)  # reads still answer
    finally:
        other.rollback()
        other.close()
    assert db.execute("select count(*) from visits").fetchone()[0] == 0
    assert impatient.post("/api/v1/visits", json=body).status_code == 201


def test_our_writer_queue_held_too_long_gives_503(app, impatient, db):
    with open(app.config["DATABASE"] + "-writer", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        response = impatient.post("/api/v1/visits", json=gen_payload(db))
    assert response.status_code == 503 and "Retry-After" in response.headers


def test_a_desk_page_gets_a_readable_503(app, client, auth, world, db):
    app.config["WRITE_WAIT_SECONDS"] = 0.3
    other = _held_by_another_program(app.config["DATABASE"])
    try:
        response = client.post("/login", data={"username": "supervisor", "password": "x"})
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 503
    assert "Server sedang sibuk" in response.get_data(as_text=True)


def test_waiting_batched_writes_give_up_together_and_store_nothing(app):
    path = app.config["DATABASE"]
    results: list[str] = []
    barrier = threading.Barrier(3)

    def write(n: int) -> None:
        db = connect(path, busy_timeout_ms=300)
        barrier.wait()
        try:
            write_batched(
                db,
                lambda d: d.execute("insert into opds (slug, name) values (?, ?)", [f"x{n}", "X"]),
            )
            results.append("stored")
        except Busy:
            results.append("busy")
        finally:
            db.close()

    with open(path + "-writer", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
        for t in threads:
            t.start()
        barrier.wait()
        for t in threads:
            t.join()
    assert results == ["busy", "busy"]
    check = connect(path)
    assert check.execute("select count(*) from opds where slug like 'x%'").fetchone()[0] == 0
    write_batched(check, lambda d: d.execute("insert into opds (slug, name) values ('x9', 'X')"))
    assert check.execute("select count(*) from opds where slug = 'x9'").fetchone()[0] == 1
    check.close()


def test_a_full_disk_counts_as_a_passing_overload(tmp_path):
    db = connect(tmp_path / "small.db")
    db.execute("create table t (x text)")
    pages = db.execute("pragma page_count").fetchone()[0]
    db.execute(f"pragma max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError) as full:
        db.execute("insert into t values (?)", ["x" * 100_000])
    assert is_busy(full.value)
    assert not is_busy(sqlite3.OperationalError("no such table: t"))
    db.close()


def test_other_database_errors_stay_500(app, client, auth, world, db):
    auth.login("supervisor")
    db.execute("drop table follow_ups")  # a broken schema is a bug, not an overload
    response = client.get("/follow-ups/")
    assert response.status_code == 500
