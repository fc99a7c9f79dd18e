"""Aggregates for a quarter at city (or province) scale: scores --by opd and the dashboard.

    python benchmarks/generate.py --scale city --out /tmp/city
    python benchmarks/bench_scores.py /tmp/city [--from 2026-07-01 --to 2026-09-30]

Goal: under 250 ms at city scale, under 2 s at province scale. Baseline:
re-scoring every answer of the same visits from the answers table (what
storing each visit's scores at approval avoids).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import summary  # noqa: E402
from generate import make_app  # noqa: E402

from survey_app.core import scoring  # noqa: E402
from survey_app.store import demo, records, summaries
from survey_app.store.connection import connect, migrate, transaction  # noqa: E402


def repeat(fn, times: int = 5) -> list[float]:
    """Wall times of `times` calls."""
    out = []
    for _ in range(times):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def rescore_all(db, date_from: str, date_to: str) -> int:
    """The baseline: rebuild every visit's scores from its stored answers."""
    uuids = [
        r[0]
        for r in db.execute(
            "select uuid from visits where status = 'approved' and visit_date between ? and ?",
            [date_from, date_to],
        )
    ]
    scores = [records.score_visit(db, records.visit(db, u)) for u in uuids]
    scoring.aggregate(scores)
    return len(uuids)


def dashboard_client(app):
    """A test client logged in as the data set's supervisor (generate.py makes one)."""
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/login", data={"username": "supervisor", "password": demo.PASSWORD})
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--from", dest="date_from", default="2026-07-01")
    parser.add_argument("--to", dest="date_to", default="2026-09-30")
    args = parser.parse_args()
    app = make_app(args.data)
    db = connect(app.config["DATABASE"])
    span = (args.date_from, args.date_to)
    visits = db.execute(
        "select count(*) from visits where status = 'approved' and visit_date between ? and ?",
        list(span),
    ).fetchone()[0]
    migrate(db)  # a data set made before the tallies (m010) gets their table
    with transaction(db):
        db.execute("delete from tallies")
    start = time.perf_counter()
    opds = len(summaries.opd_summaries(db, *span))
    first = time.perf_counter() - start
    print(f"data: {args.data} - {visits} approved visits in {span[0]}..{span[1]}, {opds} OPDs")
    print(
        f"first summary with no tallies kept (counts and keeps them): {first * 1000:.0f} ms; "
        f"from the visits' briefs alone: "
        + summary(repeat(lambda: summaries.summaries_from_briefs(db, *span), 3))
    )
    print(
        "scores --by opd (in process): "
        + summary(repeat(lambda: summaries.opd_summaries(db, *span)))
    )
    print(
        "scores --by city (in process): "
        + summary(repeat(lambda: summaries.city_summary(db, *span)))
    )
    exe = Path(sys.executable).with_name("survey-app")
    env = {"SURVEY_APP_DATABASE": app.config["DATABASE"], "SURVEY_APP_SECRET_KEY": "x", "PATH": ""}
    cli = repeat(
        lambda: subprocess.run(
            [
                str(exe),
                "scores",
                "--by",
                "opd",
                "--from",
                span[0],
                "--to",
                span[1],
                "--format",
                "json",
            ],
            env=env,
            check=True,
            capture_output=True,
        ),
        3,
    )
    print("survey-app scores --by opd (whole command, with start-up): " + summary(cli))
    page = dashboard_client(app)
    query = f"/dashboard/?from={span[0]}&to={span[1]}"
    assert page.get(query).status_code == 200
    print("dashboard page, whole request: " + summary(repeat(lambda: page.get(query))))
    start = time.perf_counter()
    rescored = rescore_all(db, *span)
    base = time.perf_counter() - start
    print(f"baseline, re-scoring every answer of the {rescored} visits: {base * 1000:.0f} ms")
    json.dumps(summaries.opd_summaries(db, *span))
    db.close()


if __name__ == "__main__":
    main()
