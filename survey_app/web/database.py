"""The request's database connection: one per thread, looked up through `get_db()`."""

from __future__ import annotations

import threading

from flask import current_app, g
from sqlite_utils import Database

from survey_app.store.connection import connect

_local = threading.local()


def get_db() -> Database:
    """This thread's connection to the configured database, opened once.

    Kept open across requests rather than closed after each: closing the last
    connection of a WAL database checkpoints it, which made every request pay
    for a full checkpoint. A transaction never outlives its request.
    """
    path = current_app.config["DATABASE"]
    pool = getattr(_local, "connections", None)
    if pool is None:
        pool = _local.connections = {}
    db = pool.get(path)
    if db is None:
        db = pool[path] = connect(path, int(current_app.config["WRITE_WAIT_SECONDS"] * 1000))
    g.db = db
    return db


def close_db(_exc: BaseException | None = None) -> None:
    """End the request: roll back anything a failed request left open."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.rollback()


def init_app(app) -> None:
    """Register the teardown."""
    app.teardown_appcontext(close_db)
