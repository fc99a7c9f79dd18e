"""Kept monthly tallies give exactly the summaries the visits give, and never go stale."""

from __future__ import annotations

import math
import random
import sqlite3

import pytest

from survey_app.core import scoring
from survey_app.store import demo, records, summaries, tallies

PERIODS = [
    ("2026-07-01", "2026-09-30"),  # a quarter: three whole months
    ("2026-04-01", "2026-09-30"),  # the whole demo period
    ("2026-04-15", "2026-08-09"),  # whole months with ragged edges
    ("2026-05-03", "2026-05-27"),  # inside one month
    ("2026-01-01", "2026-12-31"),  # months with no visits at all
    ("2026-10-01", "2026-12-31"),  # nothing
]


def from_items(db, date_from, date_to, opd_id=None):
    results = records.item_results_in(db, date_from, date_to, "approved", opd_id)
    return scoring.failed_counts({"compliance": r} for r in results)


def kept_rows(db) -> int:
    return db.execute("select count(*) from tallies").fetchone()[0]


def test_exact_sums_give_fsums_mean_bit_for_bit():
    rng = random.Random(3)
    awkward = [0.1, 0.2, 0.3, 1e16, 1.0, -1e16, 2.5e-300, 85.71428571428571, 7, 0]
    for _ in range(300):
        values = [rng.choice(awkward + [rng.uniform(0, 100), rng.random()]) for _ in range(40)]
        total, halves = [0, 0, 0], ([0, 0, 0], [0, 0, 0])
        for n, value in enumerate(values):
            tallies._add(total, value)
            tallies._add(halves[n % 2], value)
        tallies._join(halves[0], halves[1])
        expected = math.fsum(values) / len(values)
        assert tallies._mean(total) == tallies._mean(halves[0]) == expected


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
def test_summaries_from_tallies_equal_those_from_the_visits(seeded, db, period):
    expected = summaries.summaries_from_briefs(db, *period)
    assert summaries.period_summaries(db, *period) == expected  # counts and keeps
    assert summaries.period_summaries(db, *period) == expected  # read back as kept
    assert summaries.city_summary(db, *period) == expected[1]
    assert summaries.failed_counts(db, *period) == from_items(db, *period)
    for opd_id in (r[0] for r in db.execute("select id from opds")):
        assert summaries.failed_counts(db, *period, opd_id=opd_id) == from_items(
            db, *period, opd_id
        )
    if period == PERIODS[0]:
        assert len(expected[0]) >= 4 and expected[1]["visits"] > 10


def test_tallies_are_kept_once_per_opd_and_month(seeded, db):
    opds = db.table("opds").count
    summaries.period_summaries(db, "2026-07-01", "2026-09-30")
    assert kept_rows(db) == opds * 3
    summaries.period_summaries(db, "2026-07-01", "2026-09-30")
    summaries.period_summaries(db, "2026-07-10", "2026-09-30")  # July counted on the spot
    assert kept_rows(db) == opds * 3
    assert tallies.split("2026-07-10", "2026-09-30") == (
        ["2026-08", "2026-09"],
        [("2026-07-10", "2026-07-31")],
    )


def test_a_changed_visit_drops_its_tally_whoever_changes_it(seeded, db):
    period = ("2026-04-01", "2026-09-30")
    summaries.period_summaries(db, *period)
    uuid, opd_id, day = db.execute(
        "select uuid, opd_id, visit_date from visits where status = 'approved' "
        "order by visit_date limit 1"
    ).fetchone()
    kept = "select count(*) from tallies where opd_id = ? and month = ? and status = 'approved'"
    assert db.execute(kept, [opd_id, day[:7]]).fetchone()[0] == 1

    records.set_status(db, uuid, "returned", None, "cek lagi")  # the review desk
    assert db.execute(kept, [opd_id, day[:7]]).fetchone()[0] == 0
    assert summaries.period_summaries(db, *period) == summaries.summaries_from_briefs(db, *period)

    other = sqlite3.connect(db.conn.execute("pragma database_list").fetchone()[2])
    with other:  # another program, straight SQL
        other.execute("update visits set status = 'approved' where uuid = ?", [uuid])
    other.close()
    assert db.execute(kept, [opd_id, day[:7]]).fetchone()[0] == 0
    assert summaries.period_summaries(db, *period) == summaries.summaries_from_briefs(db, *period)


def test_a_new_approved_visit_counts_at_once(seeded, db):
    period = ("2026-07-01", "2026-09-30")
    before = summaries.period_summaries(db, *period)[1]["visits"]
    insts = records.current_instruments(db)
    svc = dict(db.execute("select * from services limit 1").fetchone())
    record = {
        "uuid": "0f0f0f0f-0000-4000-8000-000000000001",
        "opd_id": svc["opd_id"],
        "service_id": svc["id"],
        "evaluator_id": db.execute("select id from users where role = 'evaluator'").fetchone()[0],
        "visit_date": "2026-08-15",
        "status": "approved",
        "instruments": [{"id": i.id, "version": i.version} for i in insts],
        "answers": {i.id: demo.fake_answers(i, random.Random(1), 0.5, svc) for i in insts},
    }
    records.save_visit(db, record, None)
    after = summaries.period_summaries(db, *period)
    assert after[1]["visits"] == before + 1
    assert after == summaries.summaries_from_briefs(db, *period)
