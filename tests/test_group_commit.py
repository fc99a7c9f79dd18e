"""Group commit (db.write_batched): shared transactions, separate outcomes, nothing early."""

import fcntl
import sqlite3
import threading
import time

import pytest

from survey_app.store import connection as db_mod


def wait_for(condition, what):
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def queued(path, works):
    """Run each work through write_batched on its own thread and connection, queued up.

    The test holds the database's writer lock while the threads arrive, so
    the first takes its turn alone and the others wait behind it: the second
    turn then writes all of them in one transaction. Returns each thread's
    (result or exception) and the number of commits made.
    """
    outcomes = [None] * len(works)
    conns = [db_mod.connect(path) for _ in works]
    batch = db_mod._batches.setdefault(conns[0].writer_lock, db_mod._Batch())

    def run(n):
        try:
            outcomes[n] = db_mod.write_batched(conns[n], works[n])
        except Exception as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    with open(conns[0].writer_lock, "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        threads[0].start()
        wait_for(lambda: batch.turn.locked() and not batch.pending, "the first turn")
        for t in threads[1:]:
            t.start()
        wait_for(lambda: len(batch.pending) == len(works) - 1, "the others to queue")
        fcntl.flock(lock, fcntl.LOCK_UN)
    for t in threads:
        t.join(10)
    commits = sum(c.commits for c in conns)
    for c in conns:
        c.close()
    return outcomes, commits


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "g.db"
    conn = db_mod.connect(path)
    conn.execute("create table t (x integer primary key)")
    conn.close()
    return path


def stored(path):
    conn = sqlite3.connect(path)
    rows = [r[0] for r in conn.execute("select x from t order by x")]
    conn.close()
    return rows


def insert(x, fail=False):
    def work(db):
        db.execute("insert into t values (?)", [x])
        if fail:
            raise ValueError(f"refused {x}")
        return x * 10

    return work


def test_waiting_writes_share_one_commit_and_a_failing_one_is_undone_alone(path):
    works = [insert(n, fail=(n == 3)) for n in range(6)]
    outcomes, commits = queued(path, works)
    assert outcomes[:3] + outcomes[4:] == [0, 10, 20, 40, 50]
    assert isinstance(outcomes[3], ValueError) and str(outcomes[3]) == "refused 3"
    assert stored(path) == [0, 1, 2, 4, 5]
    assert commits == 2  # the first alone, then the five that waited together


def test_a_batch_whose_transaction_ends_early_reports_an_error_to_everyone_in_it(path):
    def ends_transaction(db):
        db.execute("insert into t values (7)")
        db.conn.execute("ROLLBACK")

    works = [insert(0), insert(1), ends_transaction, insert(2)]
    outcomes, _commits = queued(path, works)
    assert outcomes[0] == 0
    assert all(isinstance(o, sqlite3.Error) for o in outcomes[1:]), outcomes
    assert stored(path) == [0]  # nothing that was reported as an error is stored


def test_a_write_from_inside_a_transaction_is_a_savepoint_of_it(path):
    conn = db_mod.connect(path)
    with db_mod.transaction(conn):
        conn.execute("insert into t values (1)")
        with pytest.raises(ValueError):
            db_mod.write_batched(conn, insert(2, fail=True))
        assert db_mod.write_batched(conn, insert(3)) == 30
        assert stored(path) == []  # not committed before the outer transaction is
    assert stored(path) == [1, 3] and conn.commits == 1
    conn.close()


def test_a_write_alone_commits_before_it_returns(path):
    conn = db_mod.connect(path)
    assert db_mod.write_batched(conn, insert(5)) == 50
    assert stored(path) == [5] and not conn.conn.in_transaction
    conn.close()
