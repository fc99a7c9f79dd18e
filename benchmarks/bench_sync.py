"""Sync throughput through the real server, against plain sqlite3 inserts.

    python benchmarks/bench_sync.py [--visits 3000] [--clients 16] [--workers 4] [--threads 4]

Starts `survey-app run --workers 4 --threads 4` (waitress; two processes
per core of this 2-core machine, as the README recommends) on a fresh
database, logs in 16 evaluators and has each post realistic visits (all
three instruments, every answer) to /api/v1/visits over loopback, on one
kept-alive HTTP/1.1 connection per client as a browser does. Prints the CPU per visit of the
server processes and of the clients, which share the machine's cores.
Baseline: the same rows inserted with plain sqlite3, one transaction per
visit. Goals: >= 300 visits/s, p95 < 100 ms, cost per visit within 15x the
baseline's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile  # noqa: E402
from generate import make_app, master_data  # noqa: E402

from survey_app.core.instruments import load_directory  # noqa: E402
from survey_app.store import demo, records  # noqa: E402
from survey_app.store.connection import connect, migrate  # noqa: E402
from tests.servers import Client, ServerProcess  # noqa: E402


def prepare(workdir: Path, clients: int):
    """A migrated database with OPDs, services and evaluators; the instruments."""
    app = make_app(workdir)
    db = connect(app.config["DATABASE"])
    migrate(db)
    loaded, _ = load_directory(app.config["INSTRUMENTS_DIR"])
    records.sync_instruments(db, loaded)
    rng = random.Random(7)
    services, evaluators = master_data(db, rng, 60)
    users = [
        dict(r)
        for r in db.execute(
            "select * from users where role = 'evaluator' order by id limit ?", [clients]
        )
    ]
    insts = records.current_instruments(db)
    db.close()
    return app, services, users, insts


def payloads(rng, insts, services, user, count: int) -> list[dict]:
    """Realistic visits for one evaluator, never at their own OPD."""
    out = []
    allowed = [s for s in services if s["opd_id"] != user["opd_id"]]
    for _ in range(count):
        svc = rng.choice(allowed)
        out.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "opd_id": svc["opd_id"],
                "service_id": svc["id"],
                "visit_date": "2026-11-20",
                "instruments": [{"id": i.id, "version": i.version} for i in insts],
                "answers": {i.id: demo.fake_answers(i, rng, 0.8, svc) for i in insts},
                "photos": [],
            }
        )
    return out


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its workers (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for one in [pid, *map(int, children)]:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


class KeptAlive:
    """One client's HTTP/1.1 connection, reused for every post as a browser does."""

    def __init__(self, logged: Client):
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in logged.jar)
        self.conn = http.client.HTTPConnection(urllib.parse.urlsplit(logged.base).netloc)

    def post_json(self, path: str, body: bytes) -> tuple[int, dict]:
        """POST a body already encoded, as the tablet's outbox holds each visit."""
        headers = {"Content-Type": "application/json", "Cookie": self.cookie}
        self.conn.request("POST", path, body, headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read())


def through_server(app, users, work: list[list[dict]], workers: int, threads: int):
    """Post every visit; return (elapsed s, latencies, client CPU s, server CPU s)."""
    server = ServerProcess(app, args=("--workers", str(workers), "--threads", str(threads)))
    server.env.update(SURVEY_APP_LOCKOUT_MIN_DAYS="0", SURVEY_APP_LOCKOUT_MAX_PER_QUARTER="0")
    server.start()
    latencies: list[float] = []
    failures: list[int] = []
    try:
        logged = [KeptAlive(Client(server.url).login(u["username"])) for u in users]

        encoded = [[json.dumps(body).encode() for body in visits] for visits in work]

        def run(client, visits):
            for body in visits:
                start = time.perf_counter()
                code, _ = client.post_json("/api/v1/visits", body)
                latencies.append(time.perf_counter() - start)
                if code != 201:
                    failures.append(code)

        threads = [
            threading.Thread(target=run, args=(c, w)) for c, w in zip(logged, encoded, strict=True)
        ]
        start, cpu = time.perf_counter(), time.process_time()
        busy = server_cpu(server.process.pid)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        busy = server_cpu(server.process.pid) - busy
    finally:
        server.stop()
    if failures:
        raise SystemExit(f"{len(failures)} posts failed: {sorted(set(failures))}")
    return elapsed, latencies, cpu, busy


def baseline(schema_db: Path, insts, work: list[list[dict]], users) -> float:
    """Plain sqlite3, one transaction per visit, same rows; seconds per visit."""
    target = schema_db.with_name("baseline.db")
    shutil.copy(schema_db, target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("pragma journal_mode = wal")
    conn.execute("pragma synchronous = normal")
    conn.execute("delete from visits")
    visits = [(u, v) for u, w in zip(users, work, strict=True) for v in w]
    start = time.perf_counter()
    for user, v in visits:
        conn.execute("begin immediate")
        conn.execute(
            "insert into visits (uuid, opd_id, service_id, evaluator_id, status, "
            "visit_date) values (?, ?, ?, ?, 'submitted', ?)",
            (v["uuid"], v["opd_id"], v["service_id"], user["id"], v["visit_date"]),
        )
        conn.executemany(
            "insert into visit_instruments values (?, ?, ?, ?)",
            [(v["uuid"], i["id"], i["version"], n) for n, i in enumerate(v["instruments"])],
        )
        conn.executemany(
            "insert into answers (visit_uuid, instrument_id, item_id, value) values (?, ?, ?, ?)",
            [
                (v["uuid"], inst, item, json.dumps(value))
                for inst, given in v["answers"].items()
                for item, value in given.items()
            ],
        )
        conn.execute("commit")
    cost = (time.perf_counter() - start) / len(visits)
    conn.close()
    return cost


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="survey-app run --workers")
    parser.add_argument("--threads", type=int, default=4, help="survey-app run --threads")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    app, services, users, insts = prepare(workdir, args.clients)
    rng = random.Random(11)
    per = args.visits // len(users)
    work = [payloads(rng, insts, services, u, per) for u in users]
    base = baseline(Path(app.config["DATABASE"]), insts, work, users)
    elapsed, latencies, cpu, busy = through_server(app, users, work, args.workers, args.threads)
    total = sum(len(w) for w in work)
    rate = total / elapsed
    per_visit = elapsed / total
    print(
        f"sync: {total} visits by {len(users)} clients in {elapsed:.1f} s = {rate:.0f} visits/s "
        f"(goal >= 300)"
    )
    print(
        f"latency: p50 {percentile(latencies, 50) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.1f} ms (goal p95 < 100 ms)"
    )
    print(
        f"CPU per visit: server (--workers {args.workers} --threads {args.threads}) "
        f"{busy / total * 1000:.2f} ms, the clients {cpu / total * 1000:.2f} ms; "
        f"they share the machine's {os.cpu_count()} cores"
    )
    print(f"baseline (plain sqlite3, one transaction per visit): {base * 1000:.2f} ms/visit")
    print(
        f"cost per visit through the server: {per_visit * 1000:.2f} ms wall = "
        f"{per_visit / base:.1f}x baseline (goal <= 15x)"
    )
    os.environ.get("KEEP") or shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
