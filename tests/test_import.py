"""`survey-app import`: the sync API's checks, all or nothing, notes and photos kept."""

from __future__ import annotations

import json

import pytest

from survey_app import create_app
from survey_app.cli import cli
from survey_app.store import demo, records
from survey_app.store.connection import connect, migrate

from .conftest import ROOT


@pytest.fixture
def other(tmp_path):
    """A second instance with the same OPDs and users and no visits, as a city's new server."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE": str(tmp_path / "other" / "survey.db"),
            "PHOTOS_DIR": str(tmp_path / "other" / "photos"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"], visits=0)
    yield app, db
    db.close()


def _export(runner, tmp_path, status="approved"):
    out, photos = tmp_path / "visits.json", tmp_path / "photos.zip"
    for fmt, path in (("json", out), ("zip", photos)):
        result = runner.invoke(
            args=["export", "--format", fmt, "--status", status, "--out", str(path)]
        )
        assert result.exit_code == 0, result.output
    return out, photos


def _import(app, *args):
    return app.test_cli_runner().invoke(cli, args=["import", *map(str, args)])


def _first_with_photo_and_note(db, source):
    for visit in json.loads(source.read_text())["visits"]:
        if visit["photos"]:
            return visit
    raise AssertionError("the demo has visits with photos")


def test_export_then_import_keeps_answers_notes_and_photos(seeded, db, runner, tmp_path, other):
    uuid = db.execute("select uuid from visits where status = 'approved' limit 1").fetchone()[0]
    inst, item = db.execute(
        "select instrument_id, item_id from answers where visit_uuid = ? limit 1", [uuid]
    ).fetchone()
    db.execute(
        "update answers set note = 'Papan informasi tertutup lemari' "
        "where visit_uuid = ? and instrument_id = ? and item_id = ?",
        [uuid, inst, item],
    )
    source, photos = _export(runner, tmp_path)
    app, target = other
    result = _import(app, source, "--photos", photos)
    assert result.exit_code == 0, result.output
    assert "30 visits imported, 0 already present" in result.output
    before, after = records.visit(db, uuid), records.visit(target, uuid)
    assert after["answers"] == before["answers"] and after["notes"] == before["notes"]
    assert "Papan informasi tertutup lemari" in json.dumps(after["notes"])
    with_photo = _first_with_photo_and_note(db, source)["uuid"]
    shown = [(p["sha256"], p["caption"]) for p in records.visit(target, with_photo)["photos"]]
    assert shown == [(p["sha256"], p["caption"]) for p in records.visit(db, with_photo)["photos"]]
    for sha, _ in shown:
        assert records.photo_path(app.config["PHOTOS_DIR"], sha).exists()
    # nobody here reviewed them: they arrive submitted, and the import is in the audit log
    statuses = target.execute("select distinct status from visits").fetchall()
    assert [r[0] for r in statuses] == ["submitted"]
    assert (
        target.execute("select count(*) from audit_log where action = 'import'").fetchone()[0] == 30
    )
    again = _import(app, source, "--photos", photos)
    assert "0 visits imported, 30 already present" in again.output


def test_keep_status_is_explicit_and_audited(seeded, runner, tmp_path, other):
    source, photos = _export(runner, tmp_path)
    app, target = other
    assert _import(app, source, "--photos", photos, "--keep-status").exit_code == 0
    assert (
        target.execute("select count(*) from visits where status = 'approved'").fetchone()[0] == 30
    )
    kept = target.execute("select detail from audit_log where action = 'import' limit 1").fetchone()
    assert json.loads(kept[0]) == {"status_kept": "approved"}


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda v: _answer(v, "skm", 7), "invalid"),  # an SKM answer of 7 made IKM 175,00 "A"
        (lambda v: _answer(v, "yesno", "maybe"), "invalid"),
        (lambda v: v["answers"].append({**v["answers"][0], "item": "no_such_item"}), "invalid"),
        (lambda v: v.update(visit_date="20261120"), "bad_request"),
        (lambda v: v.update(opd="no-such-opd"), "OPD"),
        (lambda v: v["photos"].append({"sha256": "f" * 64}), "missing_photos"),
    ],
)
def test_one_bad_visit_refuses_the_whole_file_with_its_reason(
    seeded, runner, tmp_path, other, damage, reason
):
    source, photos = _export(runner, tmp_path)
    data = json.loads(source.read_text())
    bad = next(v for v in data["visits"] if _damaged(damage, v))
    source.write_text(json.dumps(data))
    app, target = other
    result = _import(app, source, "--photos", photos)
    assert result.exit_code == 1
    assert f"visit {bad['uuid']}:" in result.output and reason in result.output
    assert "nothing of" in result.output
    assert target.execute("select count(*) from visits").fetchone()[0] == 0


def _answer(visit: dict, kind: str, value) -> None:
    """Put `value` in the visit's first answer of that kind ('skm': a scale, 'yesno')."""
    for row in visit["answers"]:
        if (kind == "skm" and row["instrument"] == "skm" and row["type"] == "scale4") or (
            kind == "yesno" and row["type"] == "yesno"
        ):
            row["value"] = value
            return
    raise AssertionError(f"no {kind} answer in the visit")


def _damaged(damage, visit: dict) -> bool:
    """Apply the damage if this visit has what it damages."""
    try:
        damage(visit)
    except AssertionError:
        return False
    return True
