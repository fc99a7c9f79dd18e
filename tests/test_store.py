import json
import sqlite3
import threading
import uuid

import pytest

from survey_app.core.errors import DomainError
from survey_app.core.instruments import load_file
from survey_app.store import records
from survey_app.store.connection import connect

from .test_instruments import VALID


def gen_opd(db, slug="dukcapil", fee=0, max_minutes=60):
    opd_id = db.table("opds").insert({"slug": slug, "name": slug.title()}).last_pk
    service_id = (
        db.table("services")
        .insert(
            {
                "opd_id": opd_id,
                "slug": "ktp",
                "name": "KTP-el",
                "fee": fee,
                "max_minutes": max_minutes,
                "requirements": "[]",
            }
        )
        .last_pk
    )
    return opd_id, service_id


def gen_visit(db, **overrides):
    opd_id, service_id = gen_opd(db, slug=f"opd-{uuid.uuid4().hex[:6]}")
    user = records.create_user(db, f"u{uuid.uuid4().hex[:6]}", "pw", "evaluator")
    visit = {
        "uuid": str(uuid.uuid4()),
        "opd_id": opd_id,
        "service_id": service_id,
        "evaluator_id": user,
        "visit_date": "2026-05-04",
        "instruments": [{"id": "kunjungan", "version": 2}, {"id": "skm", "version": 1}],
        "answers": {
            "kunjungan": {
                "jam_tiba": "08:00",
                "jam_mulai": "08:20",
                "jam_selesai": "08:30",
                "biaya_diminta": 0,
                "ada_antrian": "no",
                "jam_tiket": "08:05",
            },
            "skm": {f"u{n}": 4 for n in range(1, 10)},
        },
        "notes": {"kunjungan": {"biaya_diminta": "tidak diminta biaya"}},
    }
    visit.update(overrides)
    return visit


def test_round_trip(db):
    visit = gen_visit(db)
    assert records.save_visit(db, visit, visit["evaluator_id"]) is True
    stored = records.visit(db, visit["uuid"])
    assert stored["instruments"] == visit["instruments"]
    # jam_tiket is hidden (no queue), so it is not stored
    assert "jam_tiket" not in stored["answers"]["kunjungan"]
    assert stored["answers"]["kunjungan"]["jam_mulai"] == "08:20"
    assert stored["answers"]["skm"]["u5"] == 4
    assert stored["notes"]["kunjungan"]["biaya_diminta"] == "tidak diminta biaya"


def test_same_uuid_twice_is_stored_once(db):
    visit = gen_visit(db)
    records.save_visit(db, visit, None)
    visit["answers"]["skm"]["u1"] = 2
    assert records.save_visit(db, visit, None) is False
    assert db.table("visits").count == 1
    assert (
        db.execute(
            "select count(*) from answers where visit_uuid = ? and instrument_id = 'skm'",
            [visit["uuid"]],
        ).fetchone()[0]
        == 9
    )
    assert records.visit(db, visit["uuid"])["answers"]["skm"]["u1"] == 2


def test_concurrent_saves_of_one_visit_store_it_once(app, db):
    visit = gen_visit(db)
    errors = []

    def save():
        conn = connect(app.config["DATABASE"])
        try:
            records.save_visit(conn, visit, None)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=save) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.table("visits").count == 1
    assert db.table("answers").count == 14  # 5 visit-record answers + 9 SKM


def test_scores_stored_on_approval_and_status_audited(db):
    visit = gen_visit(db)
    records.save_visit(db, visit, visit["evaluator_id"])
    records.set_status(db, visit["uuid"], "submitted", visit["evaluator_id"])
    supervisor = records.create_user(db, "sup", "pw", "supervisor")
    records.set_status(db, visit["uuid"], "approved", supervisor, note="ok")
    stored = records.visit(db, visit["uuid"])
    assert stored["status"] == "approved"
    assert stored["scores"]["skm"]["ikm_converted"] == 100.0
    assert stored["scores"]["timing"]["waiting_minutes"] == 20
    actions = [
        r["action"]
        for r in db.table("audit_log").rows_where("entity_id = ?", [visit["uuid"]], order_by="id")
    ]
    assert actions == ["create", "submitted", "approved"]


def test_unknown_instrument_version_is_refused(db):
    visit = gen_visit(db, instruments=[{"id": "skm", "version": 99}])
    with pytest.raises(DomainError) as info:
        records.save_visit(db, visit, None)
    assert info.value.code == "unknown_instrument"
    assert db.table("visits").count == 0


def test_foreign_keys_are_enforced(db):
    visit = gen_visit(db, opd_id=12345)
    with pytest.raises(sqlite3.IntegrityError):
        records.save_visit(db, visit, None)
    assert db.table("visits").count == 0 and db.table("answers").count == 0


def test_changed_content_under_a_used_version_needs_a_bump(db, tmp_path):
    path = tmp_path / "contoh.yaml"
    path.write_text(VALID)
    assert records.sync_instruments(db, [load_file(path)]) == []
    visit = gen_visit(
        db, instruments=[{"id": "contoh", "version": 1}], answers={"contoh": {"papan": "yes"}}
    )
    records.save_visit(db, visit, None)
    path.write_text(VALID.replace("Papan informasi ada", "Papan informasi terpasang"))
    problems = records.sync_instruments(db, [load_file(path)])
    assert len(problems) == 1 and "raise 'version' to 2" in problems[0]
    # the old version is still what the visit reads and scores with
    assert records.instrument(db, "contoh", 1).item("papan").label.id == "Papan informasi ada"
    path.write_text(
        VALID.replace("Papan informasi ada", "Papan informasi terpasang").replace(
            "version: 1", "version: 2"
        )
    )
    assert records.sync_instruments(db, [load_file(path)]) == []
    assert [i.version for i in records.current_instruments(db) if i.id == "contoh"] == [2]
    assert records.instrument(db, "contoh", 1).item("papan").label.id == "Papan informasi ada"


def test_unused_version_may_be_edited_in_place(db, tmp_path):
    path = tmp_path / "contoh.yaml"
    path.write_text(VALID)
    records.sync_instruments(db, [load_file(path)])
    path.write_text(VALID.replace("Papan informasi ada", "Papan"))
    assert records.sync_instruments(db, [load_file(path)]) == []
    assert records.instrument(db, "contoh", 1).item("papan").label.id == "Papan"


def test_photos_are_content_addressed(app, db):
    data = b"\xff\xd8\xff fake jpeg body"
    first = records.store_photo(db, app.config["PHOTOS_DIR"], data, "image/jpeg")
    second = records.store_photo(db, app.config["PHOTOS_DIR"], data, "image/jpeg")
    assert first == second and db.table("photos").count == 1
    assert records.photo_path(app.config["PHOTOS_DIR"], first).read_bytes() == data
    with pytest.raises(DomainError):
        records.photo_path(app.config["PHOTOS_DIR"], "../../etc/passwd")


def test_wal_and_foreign_keys_on(db):
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1


def test_passwords_are_hashed(db):
    records.create_user(db, "ani", "rahasia-123", "evaluator")
    row = db.execute("select password_hash from users where username = 'ani'").fetchone()
    assert "rahasia-123" not in row[0] and row[0].startswith(("scrypt:", "pbkdf2:"))
    with pytest.raises(DomainError):
        records.create_user(db, "ani", "x", "evaluator")
    with pytest.raises(DomainError):
        records.create_user(db, "budi", "x", "boss")


def test_only_reviewed_visits_keep_scores_and_new_answers_drop_old_ones(db):
    visit = gen_visit(db, status="submitted")
    records.save_visit(db, visit, None)

    def kept():
        return records.visit(db, visit["uuid"])["scores"]

    assert kept() is None
    assert records.scores_of(db, records.visit(db, visit["uuid"]))["skm"]["ikm_converted"] == 100.0
    records.set_status(db, visit["uuid"], "returned", None, note="u1?")
    assert kept()["skm"]["ikm_converted"] == 100.0
    corrected = {**visit, "answers": {**visit["answers"], "skm": {**visit["answers"]["skm"]}}}
    corrected["answers"]["skm"].update({f"u{n}": 1 for n in range(1, 10)})
    records.save_visit(db, corrected, None)  # the correction, submitted again
    assert kept() is None  # the returned revision's scores are not the correction's
    assert records.scores_of(db, records.visit(db, visit["uuid"]))["skm"]["ikm_converted"] == 25.0
    records.set_status(db, visit["uuid"], "approved", None)
    assert kept()["skm"]["ikm_converted"] == 25.0
    assert db.execute("select brief is not null from visits").fetchone()[0] == 1
    records.set_status(db, visit["uuid"], "submitted", None)  # reopened
    assert kept() is None and db.execute("select brief from visits").fetchone()[0] is None


def test_scores_json_is_plain_json(db):
    visit = gen_visit(db, status="approved")
    records.save_visit(db, visit, None)
    raw = db.execute("select scores from visits").fetchone()[0]
    assert json.loads(raw)["skm"]["mutu"] == "A"
