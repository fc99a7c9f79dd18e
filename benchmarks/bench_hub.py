"""The hub on PostgreSQL: forwarding throughput against plain inserts and COPY, and the
national and province dashboards, cold, as the hub grows.

    python benchmarks/generate.py --scale city --out /tmp/hub-bench-city --photos 0
    python benchmarks/bench_hub.py --city /tmp/hub-bench-city --sizes 100000,300000,1000000

Starts its own throwaway PostgreSQL cluster (tests/postgres.py), a real hub
server (`survey-app run`, SURVEY_APP_ROLE=hub) and forwards the city's
approved visits to it through the outbox, as `survey-app forward` does. The
national simulation has 514 governments in 38 provinces with 60 OPDs each;
its visits are the city's forwarded records under other governments, OPDs
and dates, loaded with COPY. Prints every figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey_app.core.hub_client import last_seq, post_batch  # noqa: E402
from survey_app.core.instruments import load_directory  # noqa: E402
from survey_app.findings import hub as hub_findings  # noqa: E402
from survey_app.findings import hub_rapor  # noqa: E402
from survey_app.store import outbox  # noqa: E402
from survey_app.store.connection import connect  # noqa: E402
from survey_app.store.hub import (  # noqa: E402
    governments,
    rapor_tallies,
    receive,
    schema,
    totals,
)
from survey_app.store.hub.backend import open_hub  # noqa: E402
from tests.postgres import Cluster  # noqa: E402
from tests.servers import EXE, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOVERNMENTS, PROVINCES, OPDS = 514, 38, 60
KINDS = ("dinas", "badan", "rsud", "puskesmas", "kecamatan", "kelurahan")
PERIOD = ("2026-02-10", "2026-11-20")  # not whole months: partial first and last month


def new_hub(url: str) -> str:
    """Make the hub's tables and accept the shipped instruments; a token for kota-jambi."""
    db = open_hub(url)
    schema.migrate(db)
    governments.load_instruments(db, load_directory(ROOT / "instruments")[0])
    token = governments.add_government(db, "kota-jambi", "Kota Jambi", "P01")
    db.close()
    return token


def serve_hub(url: str) -> tuple[subprocess.Popen, str]:
    """`survey-app run` as a hub on a free port; its process and base URL, once it answers."""
    port = free_port()
    env = {**os.environ, "SURVEY_APP_ROLE": "hub", "SURVEY_APP_DATABASE": url,
           "SURVEY_APP_SECRET_KEY": "bench"}  # fmt: skip
    proc = subprocess.Popen(
        [str(EXE), "run", "--port", str(port), "--threads", "4"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/hub/login", timeout=5).close()
            return proc, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("hub did not start")


def city_copy(city: Path, work: Path) -> Path:
    """A copy of the city's database, so every run starts with everything pending."""
    target = work / "city.db"
    shutil.copy(city / "survey.db", target)
    return target


def forwarding(city: Path, cluster: Cluster, work: Path, results: dict) -> list[dict]:
    """Forward the whole city through the real hub server: first time, then all resent."""
    url = cluster.database()
    token = new_hub(url)
    proc, base = serve_hub(url)
    db = connect(city_copy(city, work))
    try:
        send = lambda records: post_batch(base, token, records)  # noqa: E731
        start = time.perf_counter()
        counts = outbox.forward(db, send, last_seq=lambda: last_seq(base, token))
        results["forward_s"] = time.perf_counter() - start
        results["forwarded"] = counts.sent
        db.execute("update hub_outbox set sent_at = null, result = null")
        start = time.perf_counter()
        again = outbox.forward(db, send)
        results["resend_s"] = time.perf_counter() - start
        results["resent_200"] = again.already
        frozen = [json.loads(r[0]) for r in db.execute("select payload from hub_outbox")]
    finally:
        proc.terminate()
        proc.wait()
        db.close()
    return frozen


def baselines(cluster: Cluster, frozen: list[dict], results: dict) -> None:
    """The same rows into the same tables: plain INSERTs (500 a transaction), then COPY."""
    at = governments.now()
    rows = [receive._visit_row("kota-jambi", r, at) for r in frozen]
    details = [receive._detail_row("kota-jambi", r) for r in frozen]
    db = open_hub(cluster.database())
    schema.migrate(db)
    start = time.perf_counter()
    for first in range(0, len(rows), 500):
        with db.transaction():
            db.many(
                f"insert into hub_visits ({receive._VISIT_COLUMNS}) "
                f"values ({', '.join('?' * len(rows[0]))})",
                rows[first : first + 500],
            )
            db.many(
                "insert into hub_visit_details values (?, ?, ?, ?, ?, ?)",
                details[first : first + 500],
            )
    results["insert_s"] = time.perf_counter() - start
    db.execute("truncate hub_visits, hub_visit_details")
    start = time.perf_counter()
    for first in range(0, len(rows), 500):
        with db.transaction():
            db.insert(
                f"insert into hub_visits ({receive._VISIT_COLUMNS})", rows[first : first + 500]
            )
            db.insert("insert into hub_visit_details", details[first : first + 500])
    results["values_s"] = time.perf_counter() - start
    db.execute("truncate hub_visits, hub_visit_details")
    start = time.perf_counter()
    copy_rows(db, rows, details)
    results["copy_s"] = time.perf_counter() - start
    db.close()


def copy_rows(db, rows, details) -> None:
    """COPY visits and their details into the hub's tables."""
    with db.conn.cursor() as cur:
        with cur.copy(f"copy hub_visits ({receive._VISIT_COLUMNS}) from stdin") as copy:
            for row in rows:
                copy.write_row(row)
        with cur.copy("copy hub_visit_details from stdin") as copy:
            for row in details:
                copy.write_row(row)


def national_rows(frozen: list[dict], count: int, offset: int, rng: random.Random):
    """`count` visits spread over 514 governments and their 60 OPDs, dated over 2026."""
    at = governments.now()
    templates = [(receive._visit_row("x", r, at), receive._detail_row("x", r)) for r in frozen]
    start = dt.date(2026, 1, 1)
    rows, details = [], []
    for n in range(offset, offset + count):
        row, detail = rng.choice(templates)
        t = list(row)
        gov, opd = n % GOVERNMENTS, rng.randrange(OPDS)
        t[0], t[1], t[4] = f"gov-{gov:03d}", f"v{n:08d}", f"opd-{opd:02d}"
        t[5] = KINDS[opd % len(KINDS)]
        t[7] = (start + dt.timedelta(days=rng.randrange(365))).isoformat()
        rows.append(tuple(t))
        details.append((t[0], t[1], *detail[2:]))
    return rows, details


def register_nation(url: str) -> None:
    """514 governments in 38 provinces, each with 60 OPDs of the usual kinds."""
    db = open_hub(url)
    with db.transaction():
        db.many(
            "insert into hub_governments (slug, name, province, created_at) values (?, ?, ?, ?)",
            [(f"gov-{g:03d}", f"Pemerintah {g:03d}", f"P{g % PROVINCES:02d}", "2026-01-01")
             for g in range(GOVERNMENTS)],
        )  # fmt: skip
        db.many(
            "insert into hub_opds (government, slug, name, kind) values (?, ?, ?, ?)",
            [(f"gov-{g:03d}", f"opd-{o:02d}", f"OPD {o:02d}", KINDS[o % len(KINDS)])
             for g in range(GOVERNMENTS) for o in range(OPDS)],
        )  # fmt: skip
    db.close()


def cold(cluster: Cluster, url: str, province: str | None) -> float:
    """The dashboard's figures as the first request after a restart of the database.

    The server's shared buffers start empty; the operating system's page cache
    is dropped too where this process may (as root), as after a reboot.
    """
    cluster.restart()
    _drop_page_cache()
    db = open_hub(url)
    start = time.perf_counter()
    hub_findings.overview(db, *PERIOD, province)
    took = time.perf_counter() - start
    db.close()
    return took


def readiness(cluster: Cluster, url: str, province: str) -> tuple[float, int]:
    """The province's Ombudsman readiness view, cold: the whole months from their kept tallies
    (made and kept the first time), the partial months' visits re-scored from their answers."""
    cluster.restart()
    _drop_page_cache()
    db = open_hub(url)
    start = time.perf_counter()
    doc = hub_rapor.readiness(db, *PERIOD, province)
    took = time.perf_counter() - start
    db.close()
    return took, sum(g["counts"]["visits"] for g in doc["governments"])


def _drop_page_cache() -> None:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("1")
    except OSError:
        pass  # not root: the file cache stays warm, the database's own buffers are cold


def warm(url: str, province: str | None, repeat: int = 3) -> float:
    db = open_hub(url)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        hub_findings.overview(db, *PERIOD, province)
        times.append(time.perf_counter() - start)
    db.close()
    return statistics.median(times)


def growth(cluster: Cluster, frozen: list[dict], sizes: list[int]) -> list[dict]:
    """Grow a national hub through the sizes; at each, dashboards cold and warm, and receive()."""
    url = cluster.database()
    db = open_hub(url)
    schema.migrate(db)
    governments.load_instruments(db, load_directory(ROOT / "instruments")[0])
    db.close()
    register_nation(url)
    rng, have, out = random.Random(2026), 0, []
    for size in sizes:
        db = open_hub(url)
        start = time.perf_counter()
        while have < size:
            step = min(100_000, size - have)
            rows, details = national_rows(frozen, step, have, rng)
            copy_rows(db, rows, details)
            have += step
        load_s = time.perf_counter() - start
        start = time.perf_counter()
        days = totals.rebuild(db)  # COPY went around receive(), which keeps them
        rapor_tallies.forget_all(db)  # and drops the readiness tallies of the months it changes
        line = {"visits": size, "load_s": load_s, "days": days}
        line["totals_s"] = time.perf_counter() - start
        db.execute("vacuum analyze")  # as autovacuum would after a load: index-only scans
        line["forward_rate"] = receive_rate(db, frozen, size)
        db.close()
        # cold three times, the median (the first read after dropping the page cache varies
        # with the host's disk: 0.29-0.41 s for the same province at a million)
        line["national_colds"] = sorted(cold(cluster, url, None) for _ in range(3))
        line["national_cold"] = line["national_colds"][1]
        line["national_warm"] = warm(url, None)
        line["province_colds"] = sorted(cold(cluster, url, "P07") for _ in range(3))
        line["province_cold"] = line["province_colds"][1]
        line["province_warm"] = warm(url, "P07")
        # the first time makes and keeps the whole months' tallies; then, cold again, they are read
        line["readiness_cold"], line["readiness_visits"] = readiness(cluster, url, "P07")
        line["readiness_kept"], _ = readiness(cluster, url, "P07")
        line["db_mb"] = database_mb(url)
        print(fmt_growth(line), flush=True)
        out.append(line)
    return out


def receive_rate(db, frozen: list[dict], size: int) -> float:
    """Visits per second receive() stores into the grown hub (2,000 new, batches of 500)."""
    batch = [dict(r, key=f"g{size}-{r['key']}") for r in frozen[:2000]]
    start = time.perf_counter()
    for first in range(0, len(batch), 500):
        receive.receive(db, "gov-001", batch[first : first + 500])
    return len(batch) / (time.perf_counter() - start)


def database_mb(url: str) -> float:
    db = open_hub(url)
    size = db.value("select pg_database_size(current_database())")
    db.close()
    return size / 1e6


def fmt_growth(x: dict) -> str:
    return (
        f"{x['visits']:>9,} visits ({x['db_mb']:,.0f} MB): "
        f"national {x['national_cold']:.2f} s cold (median of"
        f" {', '.join(f'{t:.2f}' for t in x['national_colds'])}),"
        f" {x['national_warm']:.2f} s warm; province {x['province_cold']:.3f} s cold (median of"
        f" {', '.join(f'{t:.3f}' for t in x['province_colds'])}),"
        f" {x['province_warm']:.3f} s warm; receive {x['forward_rate']:,.0f} visits/s"
        f" (loaded in {x['load_s']:.0f} s, day totals {x['days']:,} rows counted in"
        f" {x['totals_s']:.1f} s); province readiness {x['readiness_cold']:.2f} s cold the first"
        f" time ({x['readiness_visits']:,} visits re-scored), {x['readiness_kept']:.2f} s cold"
        " with its months' tallies kept"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", type=Path, required=True, help="generate.py --scale city output")
    parser.add_argument("--sizes", default="100000,300000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    cluster = Cluster().start()
    try:
        # three rounds, each forwarding then its baselines: on a shared machine the cores'
        # speed varies by the minute (steal time up to 30 %), so each ratio is of one round
        forwarded = []
        for round_ in range(1, 4):
            results: dict = {}
            frozen = forwarding(args.city, cluster, work, results)
            baselines(cluster, frozen, results)
            n = results["forwarded"]
            forwarded.append(n / results["forward_s"])
            print(f"round {round_}: forward {n:,} visits through the hub server: "
                  f"{results['forward_s']:.1f} s, {n / results['forward_s']:,.0f} visits/s; "
                  f"all resent (200): {results['resent_200'] / results['resend_s']:,.0f} "
                  "visits/s")  # fmt: skip
            rate = {k: n / results[k] for k in ("forward_s", "insert_s", "values_s", "copy_s")}
            print(f"  baseline, same rows into the same tables, 500 a transaction: INSERT a "
                  f"row a statement {rate['insert_s']:,.0f} visits/s, INSERT 200 rows a "
                  f"statement {rate['values_s']:,.0f} visits/s, COPY {rate['copy_s']:,.0f} "
                  f"visits/s; forwarding end to end runs at "
                  f"{rate['forward_s'] / rate['insert_s']:.2f}x, "
                  f"{rate['forward_s'] / rate['values_s']:.2f}x and "
                  f"{rate['forward_s'] / rate['copy_s']:.2f}x of them", flush=True)  # fmt: skip
        print(f"forwarding, median of three rounds: {statistics.median(forwarded):,.0f} visits/s")
        growth(cluster, frozen, sizes)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
