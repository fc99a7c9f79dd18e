"""The CLI end to end, on a temporary database."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from survey_app.core import scoring
from survey_app.store import records

from .test_instruments import VALID


def test_init_db_is_repeatable(runner, app):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    assert "Database ready" in result.output


def test_check_instruments_default_directory(runner):
    result = runner.invoke(args=["check-instruments"])
    assert result.exit_code == 0, result.output
    assert "5 instrument file(s) valid." in result.output  # with saluran and tinjauan


def test_check_instruments_reports_errors_and_exits_1(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(VALID.replace("type: scale4", "type: scale5"))
    result = runner.invoke(args=["check-instruments", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:19: sections[0].items[1] (skala): unknown type 'scale5'" in result.output


def test_seed_demo_then_if_empty_keeps_data(runner, db):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "evaluator1" in result.output and "demo-password" in result.output
    visits = db.table("visits").count
    assert 25 <= visits <= 40
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "keeping" in again.output
    assert db.table("visits").count == visits


def test_demo_evaluators_never_visit_their_home_opd(seeded, db):
    rows = db.execute(
        "select count(*) from visits v join users u on u.id = v.evaluator_id "
        "where u.opd_id = v.opd_id"
    ).fetchone()
    assert rows[0] == 0
    statuses = {r[0] for r in db.execute("select distinct status from visits")}
    assert statuses == {"approved"}


def test_create_user(runner, db):
    result = runner.invoke(
        args=["create-user", "rina", "--role", "supervisor", "--password", "s3cret-pass"]
    )
    assert result.exit_code == 0, result.output
    assert (
        db.execute("select role from users where username = 'rina'").fetchone()[0] == "supervisor"
    )
    again = runner.invoke(args=["create-user", "rina", "--role", "supervisor", "--password", "x"])
    assert again.exit_code == 1
    assert "Traceback" not in again.output and "rina" in again.output


def test_domain_error_is_one_line(runner):
    result = runner.invoke(args=["export", "--opd", "tidak-ada"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error:")
    assert len(result.output.strip().splitlines()) == 1


def test_scores_json_matches_the_scoring_module(runner, seeded, db):
    result = runner.invoke(args=["scores", "--by", "opd", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert sum(r["visits"] for r in rows) == db.table("visits").count
    for row in rows:
        opd = records.opd_by_slug(db, row["opd"])
        scores = [
            records.score_visit(db, records.visit(db, v["uuid"]))
            for v in db.table("visits").rows_where("opd_id = ?", [opd["id"]])
        ]
        expected = scoring.aggregate(scores)
        assert row["compliance"] == scoring.round2(expected["compliance"])
        assert row["ikm"] == scoring.round2(expected["skm"]["ikm_converted"])
        assert set(row["unsur"]) == {f"U{n}" for n in range(1, 10)}
        assert set(row) >= {"zone", "mutu", "dimensions", "over_max_time", "fee_over_published"}


def test_scores_city_and_period_filter(runner, seeded, db):
    q2 = runner.invoke(
        args=[
            "scores",
            "--by",
            "city",
            "--from",
            "2026-04-01",
            "--to",
            "2026-06-30",
            "--format",
            "json",
        ]
    )
    assert q2.exit_code == 0, q2.output
    [city] = json.loads(q2.output)
    in_q2 = db.execute(
        "select count(*) from visits where visit_date between '2026-04-01' and '2026-06-30'"
    ).fetchone()[0]
    assert city["visits"] == in_q2
    none = runner.invoke(args=["scores", "--status", "submitted", "--format", "json"])
    assert json.loads(none.output) == []
    table = runner.invoke(args=["scores"])
    assert "disdukcapil" in table.output


def test_scores_rejects_bad_date(runner):
    result = runner.invoke(args=["scores", "--from", "28/11/2026"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_export_json_holds_the_stored_answers(runner, seeded, db, tmp_path):
    out = tmp_path / "visits.json"
    result = runner.invoke(args=["export", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    visits = exported["visits"]
    assert len(visits) == db.table("visits").count
    assert exported["quality"]["visits"] == len(visits)
    first = visits[0]
    assert set(first) >= {
        "uuid",
        "opd",
        "service",
        "evaluator_id",
        "instruments",
        "status",
        "answers",
        "scores",
        "visit_date",
    }
    stored = records.visit(db, first["uuid"])
    exported = {(a["instrument"], a["item"]): a["value"] for a in first["answers"]}
    expected = {(i, k): v for i, items in stored["answers"].items() for k, v in items.items()}
    assert exported == expected
    assert {"type", "weight", "tags", "note"} <= set(first["answers"][0])


def test_export_csv_one_row_per_visit(runner, seeded, db):
    result = runner.invoke(args=["export", "--format", "csv", "--status", "approved"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))  # the quality report is on stderr
    assert len(rows) == db.table("visits").count
    assert "skm.u1" in rows[0] and "kepatuhan" in ",".join(rows[0])


def test_console_script_against_a_real_file(seeded, tmp_path):
    env = {
        **os.environ,
        "SURVEY_APP_DATABASE": seeded.config["DATABASE"],
        "SURVEY_APP_SECRET_KEY": "x",
    }
    exe = Path(sys.executable).with_name("survey-app")
    done = subprocess.run(
        [exe, "scores", "--by", "city", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [city] = json.loads(done.stdout)
    assert city["visits"] == 30 and city["zone"] in ("hijau", "kuning", "merah")
