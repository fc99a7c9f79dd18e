"""Summaries read each visit's brief; they must equal summaries of the full scores."""

import orjson

from survey_app.core import scoring
from survey_app.store import migrations, records, summaries


def by_opd(pairs):
    grouped = {}
    for opd_id, scores in pairs:
        grouped.setdefault(opd_id, []).append(scores)
    return grouped


def test_summaries_from_the_brief_equal_those_from_the_full_scores(seeded, db):
    rows = records.visit_scores_in(db, status="approved", with_items=False)
    full = by_opd((r["opd_id"], r["scores"]) for r in rows)
    brief = by_opd(records.briefs_in(db, status="approved"))
    assert full.keys() == brief.keys() and len(full) >= 4
    populations = records.opd_populations(db)
    for opd_id in full:
        a = scoring.aggregate(full[opd_id], population=populations.get(opd_id))
        b = scoring.aggregate(brief[opd_id], population=populations.get(opd_id))
        assert summaries._shape(a, "x", "x") == summaries._shape(b, "x", "x")
    assert (
        summaries.city_summary(db)["compliance"]
        == summaries._shape(
            scoring.aggregate([s for group in full.values() for s in group]), "kota", "Kota"
        )["compliance"]
    )


def test_brief_is_written_with_the_scores_and_backfilled_by_the_migration(seeded, db):
    row = db.execute("select scores, brief from visits where status = 'approved'").fetchone()
    assert row[1] == records.brief_of(orjson.loads(row[0]))
    assert len(row[1]) * 3 < len(row[0])  # what summaries parse is much smaller
    db.execute("update visits set brief = null")
    db.execute("drop index idx_visits_status_visit_date_opd_id_brief")
    db.execute("alter table visits drop column brief")
    migrations.m009_visit_brief(db)
    missing = db.execute("select count(*) from visits where scores is not null and brief is null")
    assert missing.fetchone()[0] == 0


def test_a_visit_without_a_brief_is_read_from_its_scores(seeded, db):
    before = summaries.opd_summaries(db)
    db.execute("update visits set brief = null where rowid % 2 = 0")
    db.execute("update visits set brief = null, scores = null where rowid % 3 = 0")
    assert summaries.opd_summaries(db) == before


def test_an_opd_without_a_compliance_score_ranks_below_zero(world, db):
    """SKM only (no compliance items) ranks after an OPD whose every checked item failed.

    The slugs are chosen so that a tie, as before, would put the unscored OPD first.
    """
    from . import supervisor_data

    supervisor_data.gen_visit(db, "approved", opd="disdukcapil", instruments=("skm",))
    supervisor_data.gen_visit(db, "approved", opd="dishub", instruments=("kepatuhan",), quality=0)
    ranked = [(r["opd"], r["compliance"]) for r in summaries.opd_summaries(db)]
    assert ranked == [("dishub", 0.0), ("disdukcapil", None)]


def test_m016_rescores_reviewed_visits_with_the_standard_kept(seeded, db):
    """Scores stored before time and fee were scored get the two items, and the figures follow."""
    uuid = db.execute(
        "select v.uuid from visits v where v.status = 'approved' and exists "
        "(select 1 from answers a where a.visit_uuid = v.uuid and a.instrument_id = 'kunjungan') "
        "limit 1"
    ).fetchone()[0]
    record = records.visit(db, uuid)
    expected = record["scores"]["compliance"]
    assert any(k.startswith("standar.") for k in expected["passed"] + expected["failed"])
    # as stored before m015: scored without the standard (no item for time or fee kept)
    insts = records.visit_instruments(db, record)
    old = scoring.visit_scores(insts, record["answers"])
    db.execute(
        "update visits set scores = ?, item_results = ?, brief = ? where uuid = ?",
        [*records.split_scores(old), uuid],
    )
    assert records.visit(db, uuid)["scores"]["compliance"] != expected
    migrations.m016_standard_kept_scored(db)
    assert records.visit(db, uuid)["scores"]["compliance"] == expected
