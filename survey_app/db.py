"""Database connection: one per request on `g`, plus the migrate step."""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from flask import current_app, g
from sqlite_utils import Database

from .migrations import migrations

BUSY_TIMEOUT_MS = 15000
CHECKPOINT_EVERY = 50  # commits of one connection between two checkpoints it runs
CHECKPOINT_PAGES = 1000  # SQLite's default wal_autocheckpoint


def connect(path: str | Path) -> Database:
    """Open the SQLite file with WAL, foreign keys and a busy timeout."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    db = Database(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    # Checkpoints run after a transaction has let go of the writer queue (see
    # transaction()); SQLite's own, at COMMIT, stays as the backstop for
    # writes made outside transaction() and by other programs.
    db.execute(f"PRAGMA wal_autocheckpoint = {10 * CHECKPOINT_PAGES}")
    db.commits = 0
    db.writer_lock = f"{path}-writer"  # see transaction()
    return db


def migrate(db: Database) -> None:
    """Create or bring the schema up to date."""
    migrations.apply(db)


@contextlib.contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """A write transaction taken with BEGIN IMMEDIATE.

    Immediate, not deferred: a deferred transaction that reads first and then
    writes fails at once with SQLITE_BUSY when another writer got there in
    between (WAL mode cannot wait for it), which two tablets syncing at the
    same moment would hit. Nested use becomes a savepoint via atomic().

    Our writers (threads and server processes alike) first queue on an
    exclusive lock of the file `<database>-writer`: SQLite's own busy handler
    waits by sleeping 1, 2, 5 ... up to 100 ms between tries, so under load a
    writer slept long after the lock was free; the file lock wakes the next
    writer the moment the last one commits. Other programs still meet
    SQLite's busy timeout.

    Every CHECKPOINT_EVERY commits the connection copies the write-ahead log
    back into the database (a passive checkpoint) once it is out of the
    queue: done by SQLite at COMMIT, it kept every other writer waiting.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    with contextlib.ExitStack() as held:
        if getattr(db, "writer_lock", None):
            lock = held.enter_context(open(db.writer_lock, "ab"))  # closing it unlocks
            fcntl.flock(lock, fcntl.LOCK_EX)
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.conn.execute("COMMIT")
    if hasattr(db, "commits"):
        db.commits += 1
        if db.commits % CHECKPOINT_EVERY == 0:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")


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
        db = pool[path] = connect(path)
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
