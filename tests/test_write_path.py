"""The visit write path: answers unpacked inside SQLite, its indexes and checkpoints."""

import json

from survey_app.store import connection as db_mod
from survey_app.store import lockout, migrations, records

from .test_store import gen_visit

AWKWARD = 'Ibu "Sari", loket 3 \\ kanan\nberkerudung — ramah ✓ 😊'


def test_awkward_answers_and_notes_come_back_as_sent(db):
    visit = gen_visit(db)
    visit["answers"]["kunjungan"].update(ciri_petugas=AWKWARD, sikap_petugas=["ramah", "sopan"])
    visit["notes"] = {"kunjungan": {"ciri_petugas": AWKWARD, "jam_tiba": None}}
    records.save_visit(db, visit, None)
    stored = records.visit(db, visit["uuid"])
    assert stored["answers"]["kunjungan"]["ciri_petugas"] == AWKWARD
    assert stored["answers"]["kunjungan"]["sikap_petugas"] == ["ramah", "sopan"]
    assert stored["answers"]["skm"]["u3"] == 4
    assert stored["notes"] == {"kunjungan": {"ciri_petugas": AWKWARD}}
    assert stored["instruments"] == visit["instruments"]
    # stored as before: each value as json.dumps writes it, types kept
    row = db.execute(
        "select value, typeof(value) from answers "
        "where visit_uuid = ? and item_id = 'ciri_petugas'",
        [visit["uuid"]],
    ).fetchone()
    assert tuple(row) == (json.dumps(AWKWARD, ensure_ascii=False), "text")
    versions = db.execute(
        "select typeof(instrument_version), position from visit_instruments "
        "where visit_uuid = ? order by position",
        [visit["uuid"]],
    ).fetchall()
    assert [tuple(r) for r in versions] == [("integer", 0), ("integer", 1)]


def test_saving_again_replaces_every_answer(db):
    visit = gen_visit(db)
    records.save_visit(db, visit, None)
    visit["answers"]["skm"] = {"u1": 2}
    visit["instruments"] = visit["instruments"][1:]
    records.save_visit(db, visit, None)
    stored = records.visit(db, visit["uuid"])
    assert stored["answers"] == {"skm": {"u1": 2}}
    assert stored["instruments"] == [{"id": "skm", "version": 1}]


def test_answers_table_is_its_key_alone_and_the_migration_keeps_every_row(db):
    for _ in range(3):
        visit = gen_visit(db)
        records.save_visit(db, visit, None)
    before = db.execute("select * from answers order by 1, 2, 3").fetchall()
    sql = db.execute("select sql from sqlite_schema where name = 'answers'").fetchone()[0]
    assert "without rowid" in sql.lower()
    # an answers table as m001 made it, then the migration again
    db.execute("drop table answers")
    db.execute(
        'create table answers ("visit_uuid" text references "visits"("uuid"), '
        '"instrument_id" text, "item_id" text, "value" text, "note" text, '
        'primary key ("visit_uuid", "instrument_id", "item_id"))'
    )
    db.conn.executemany("insert into answers values (?, ?, ?, ?, ?)", before)
    migrations.m012_answers_without_rowid(db)
    assert db.execute("select * from answers order by 1, 2, 3").fetchall() == before
    assert len(before) == 3 * 14
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_lockout_check_reads_the_evaluator_and_opd_index(db):
    plan = " ".join(
        r[3]
        for r in db.execute(
            "explain query plan " + lockout.RECEIVED, [1, 2, *lockout.COUNTED, ""]
        ).fetchall()
    )
    assert "idx_visits_evaluator_id_opd_id_status" in plan, plan


def test_a_connection_checkpoints_after_every_so_many_commits(tmp_path):
    path = tmp_path / "c.db"
    conn = db_mod.connect(path)
    conn.execute("create table t (x blob)")
    size = path.stat().st_size
    for n in range(1, db_mod.CHECKPOINT_EVERY + 1):
        with db_mod.transaction(conn):
            conn.execute("insert into t values (?)", [b"x" * 8000])
        if n < db_mod.CHECKPOINT_EVERY:
            assert path.stat().st_size == size  # still in the write-ahead log
    assert path.stat().st_size > db_mod.CHECKPOINT_EVERY * 8000  # copied back
    conn.close()
