"""Questions asked positively: kunjungan v2 beside v1, and no negated yes/no question shipped."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from survey_app.core.instruments import load_directory, load_file
from survey_app.findings import render
from survey_app.store import demo, records
from survey_app.store.connection import connect, migrate
from tests.test_findings import flat, pdf_text

ROOT = Path(__file__).resolve().parent.parent
OLD_KUNJUNGAN = Path(__file__).parent / "data" / "kunjungan-v1.yaml"
# A negation in the main clause; what follows a comma or a subordinating word may negate.
NEGATIONS = re.compile(r"\b(tidak|bukan|tanpa|not|no|without)\b", re.IGNORECASE)
SUBORDINATE = re.compile(r",|:|\(| sehingga | bila | jika | so that | when | if ")


@pytest.fixture
def old_db(tmp_path):
    """A database that held kunjungan v1 (with a visit on it) before v2 was shipped."""
    db = connect(str(tmp_path / "survey.db"))
    migrate(db)
    assert records.sync_instruments(db, [load_file(OLD_KUNJUNGAN)]) == []
    demo.seed(db, str(tmp_path / "photos"), visits=0)
    yield db
    db.close()


def gen_visit(db, version: int, **answers) -> str:
    """A submitted kunjungan visit on `version`, every other item answered as passing."""
    opd = records.opd_by_slug(db, "disdukcapil")
    service = db.execute("select id from services where opd_id = ?", [opd["id"]]).fetchone()[0]
    evaluator = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    base = {
        "layanan_diminta": "KTP",
        "jam_tiba": "08:00",
        "ada_antrian": "na",
        "jam_mulai": "08:10",
        "jam_selesai": "08:20",
        "biaya_diminta": 0,
        "persyaratan_sesuai": "yes",
        "produk_diperoleh": "selesai",
        "petugas_ramah": "yes",
        "narasi": "Lancar.",
    }
    visit_uuid = str(uuid.uuid4())
    records.save_visit(
        db,
        {
            "uuid": visit_uuid,
            "opd_id": opd["id"],
            "service_id": service,
            "evaluator_id": evaluator,
            "visit_date": "2026-11-20",
            "instruments": [{"id": "kunjungan", "version": version}],
            "answers": {"kunjungan": base | answers},
            "status": "submitted",
        },
        evaluator,
    )
    return visit_uuid


def failed(db, visit_uuid: str) -> list[str]:
    return records.score_visit(db, records.visit(db, visit_uuid))["compliance"]["failed"]


def test_old_visits_keep_v1_and_score_and_print_the_same_after_v2_arrives(old_db, tmp_path):
    bribed = gen_visit(old_db, 1, tanpa_imbalan="no")
    clean = gen_visit(old_db, 1, tanpa_imbalan="yes")
    before = [records.score_visit(old_db, records.visit(old_db, u)) for u in (bribed, clean)]
    assert failed(old_db, bribed) == ["kunjungan.tanpa_imbalan"] and failed(old_db, clean) == []

    assert records.load_instruments_dir(old_db, ROOT / "instruments") == []
    stored = records.instrument_versions(old_db)
    assert [v["version"] for v in stored if v["id"] == "kunjungan"] == [2, 1]
    current = {i.id: i.version for i in records.current_instruments(old_db)}
    assert current["kunjungan"] == 2
    after = [records.score_visit(old_db, records.visit(old_db, u)) for u in (bribed, clean)]
    assert after == before
    text = flat(pdf_text(render.visit_pdf(old_db, bribed, tmp_path / "photos").pdf, tmp_path))
    assert "Petugas meminta atau mengisyaratkan imbalan di luar biaya resmi." in text


def test_yes_on_the_v2_bribe_question_fails_it(old_db):
    records.load_instruments_dir(old_db, ROOT / "instruments")
    assert failed(old_db, gen_visit(old_db, 2, imbalan_diminta="yes")) == [
        "kunjungan.imbalan_diminta"
    ]
    assert failed(old_db, gen_visit(old_db, 2, imbalan_diminta="no")) == []


def main_clause(label: str) -> str:
    return SUBORDINATE.split(label, maxsplit=1)[0]


def test_no_shipped_yes_no_question_is_negated_in_its_main_clause():
    loaded, errors = load_directory(ROOT / "instruments")
    assert errors == []
    yesno = [(i.id, item) for i in loaded for item in i.items if item.type == "yesno"]
    assert len(yesno) > 30
    negated = [
        (inst_id, item.id, label)
        for inst_id, item in yesno
        for label in (item.label.id, item.label.en)
        if NEGATIONS.search(main_clause(label))
    ]
    assert negated == []


def test_the_negation_check_catches_the_old_bribe_question():
    item = load_file(OLD_KUNJUNGAN).item("tanpa_imbalan")
    assert NEGATIONS.search(main_clause(item.label.id))
    assert NEGATIONS.search(main_clause(item.label.en))


def test_retagging_a_used_version_for_the_rapor_needs_no_new_version(old_db, tmp_path):
    """The Ombudsman tag is left out of the content hash: a version with visits takes new tags."""
    gen_visit(old_db, 1)
    text = OLD_KUNJUNGAN.read_text("utf-8")
    assert "produk_diperoleh" in text and "ombudsman: output}" in text
    retagged = tmp_path / "kunjungan-v1.yaml"
    retagged.write_text(text.replace("ombudsman: output}", "ombudsman: proses}"), "utf-8")
    assert records.sync_instruments(old_db, [load_file(retagged)]) == []
    assert records.instrument(old_db, "kunjungan", 1).item("produk_diperoleh").tags == {
        "dimension": "kesesuaian_harapan",
        "component": "produk",
        "ombudsman": "proses",
    }
    # any other change to the same version is still refused
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("weight: 2", "weight: 3"), "utf-8")
    assert "raise 'version' to 2" in records.sync_instruments(old_db, [load_file(changed)])[0]


def test_a_version_stored_before_the_tag_existed_still_scores(old_db):
    visit_uuid = gen_visit(old_db, 1, tanpa_imbalan="no")
    stored = old_db.execute("select definition from instruments where id = 'kunjungan'").fetchone()
    bare = re.sub(r', "ombudsman": "[a-z]+"', "", stored[0])
    assert '"ombudsman"' not in bare
    old_db.execute("update instruments set definition = ? where id = 'kunjungan'", [bare])
    records._instrument_cache.clear()
    assert failed(old_db, visit_uuid) == ["kunjungan.tanpa_imbalan"]
