"""Opening the SQLite file, migrating it, and the write transactions (no Flask).

The speed mechanics live here, behind `transaction()` and `write_batched()`:
the writer file lock, deferred checkpoints and group commit. Each was
measured (benchmarks/README.md); callers need only those two functions.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from survey_app.store.migrations import migrations

BUSY_TIMEOUT_MS = 15000
CHECKPOINT_EVERY = 50  # commits of one connection between two checkpoints it runs
CHECKPOINT_PAGES = 1000  # SQLite's default wal_autocheckpoint

T = TypeVar("T")


class Busy(sqlite3.OperationalError):
    """The database stayed locked longer than this connection waits: try again later."""


def connect(path: str | Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Database:
    """Open the SQLite file with WAL, foreign keys and a busy timeout.

    The timeout bounds every wait for the write lock, ours and SQLite's; past
    it a write raises (Busy or SQLite's "database is locked"), which the web
    layer answers with 503 and Retry-After instead of holding the thread.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    db = Database(conn)
    db.busy_timeout = busy_timeout_ms / 1000
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
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
            _flock(lock, getattr(db, "busy_timeout", BUSY_TIMEOUT_MS / 1000))
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


def is_busy(exc: BaseException) -> bool:
    """True when a write failed because the database was locked or the disk full."""
    if isinstance(exc, Busy):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        word in text for word in ("locked", "busy", "disk is full", "disk i/o")
    )


def _flock(lock, timeout: float) -> None:
    """Take the writer lock, waiting at most `timeout` seconds.

    flock cannot time out, so a blocked writer polls; 1 ms steps keep the
    hand-over nearly as quick as a blocking wait (one waiter per process,
    the others queue in write_batched), and a writer no longer waits forever
    behind another program that holds the database.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Busy("database is locked (writer queue)") from None
            time.sleep(0.001)


class _Write:
    """One thread's work waiting for a shared write transaction."""

    __slots__ = ("work", "result", "error", "done")

    def __init__(self, work: Callable[[Database], Any]) -> None:
        self.work, self.result, self.error, self.done = work, None, None, False


class _Batch:
    """The writes waiting in one process for one database, and whose turn it is."""

    def __init__(self) -> None:
        self.pending: list[_Write] = []
        self.mutex = threading.Lock()  # guards pending
        self.turn = threading.Lock()  # held by the thread writing a batch


_batches: dict[str, _Batch] = {}
_batches_lock = threading.Lock()


def write_batched(db: Database, work: Callable[[Database], T]) -> T:
    """Run work(db) in a write transaction shared with this process's other waiting writes.

    Group commit: while one thread holds the database's write lock, the
    writes other threads of the process bring queue here; the next thread
    to get its turn writes all of them in one transaction, each in its own
    savepoint, so one that fails is undone alone and its error goes to its
    own caller. Every caller gets its result (or error) only after the
    COMMIT that holds it, never before: what the caller confirms is stored.
    Under load this spreads the lock hand-over, BEGIN and COMMIT over
    several writes instead of paying them for each.

    `work` runs on whichever thread writes the batch, with that thread's
    connection: it may use only the `db` it is given and what it closed over
    (not flask.g, the request or translations), and may not call this again.
    """
    if db.conn.in_transaction:  # already inside the caller's transaction
        with db.atomic():
            return work(db)
    key = getattr(db, "writer_lock", None)
    if key is None:  # not opened by connect(): nothing to share with
        with transaction(db):
            return work(db)
    with _batches_lock:
        batch = _batches.setdefault(key, _Batch())
    entry = _Write(work)
    with batch.mutex:
        batch.pending.append(entry)
    if not batch.turn.acquire(timeout=getattr(db, "busy_timeout", BUSY_TIMEOUT_MS / 1000)):
        with batch.mutex:
            if entry in batch.pending:  # no turn took it yet: give up, nothing was written
                batch.pending.remove(entry)
                raise Busy("database is locked (write queue)")
        batch.turn.acquire()  # a turn holds it: its writer ends within its own timeout
    try:
        if not entry.done:  # no earlier turn took it: this thread writes the batch
            with batch.mutex:
                taken, batch.pending = batch.pending, []
            _write_all(db, taken)
    finally:
        batch.turn.release()
    if entry.error is not None:
        raise entry.error
    return entry.result


def _write_all(db: Database, taken: list[_Write]) -> None:
    """Write the taken works in one transaction; each ends with a result or an error."""
    try:
        with transaction(db):
            for entry in taken:
                try:
                    with db.atomic():
                        entry.result = entry.work(db)
                except Exception as exc:
                    if not db.conn.in_transaction:  # SQLite gave up the whole transaction
                        raise
                    entry.error = exc
                if not db.conn.in_transaction:  # the work ended it: what follows would autocommit
                    raise sqlite3.OperationalError("a batched write ended its transaction")
    except BaseException as exc:  # nothing of the batch was committed
        for entry in taken:
            entry.result, entry.error = None, exc
    finally:
        for entry in taken:
            entry.done = True
