"""Where probe results go: the dashboard, the OPD and city PDFs (read back with pdftotext)
and every export; only independent probes count, and never in a visit figure."""

import csv
import hashlib
import io
import json
import uuid
import zipfile

import pytest
from openpyxl import load_workbook

from survey_app.findings import exports, render
from survey_app.findings import probes as probe_figures
from survey_app.store import records
from tests.test_api import jpeg
from tests.test_findings import pdf_text

ANSWERED = {"dijawab": "yes", "benar": "yes", "lengkap": "yes", "sopan": "yes"}
# (evaluator, OPD, channel, sent, answered, answers): Monday 23 Nov 2026 on
PROBES = [
    ("evaluator1", "disdukcapil", "whatsapp", "2026-11-23T09:00", "2026-11-23T11:00", ANSWERED),
    ("evaluator2", "disdukcapil", "email", "2026-11-23T09:00", "2026-11-24T10:00", ANSWERED),
    (
        "evaluator3",
        "disdukcapil",
        "telepon",
        "2026-11-23T09:00",
        None,
        {"tersambung": "no", "dijawab": "no"},
    ),
    (
        "evaluator1",
        "dishub",
        "web",
        "2026-11-23T09:00",
        "2026-11-23T09:30",
        {
            "dapat_diakses": "yes",
            "standar_terbit": "yes",
            "maklumat": "no",
            "kanal_pengaduan": "yes",
            "mutakhir": "yes",
        },
    ),
    (
        "evaluator2",
        "dishub",
        "lapor",
        "2026-11-23T09:00",
        "2026-11-27T09:00",
        {"tercatat": "yes", "dijawab": "no"},
    ),
]


@pytest.fixture
def probed(app, client, auth, world, db):
    for username, slug, channel, sent, answered, answers in PROBES:
        auth.logout()
        auth.login(username)
        body = {
            "uuid": str(uuid.uuid4()),
            "kind": "probe",
            "opd_id": records.opd_by_slug(db, slug)["id"],
            "channel": channel,
            "instrument": {"id": "saluran", "version": 1},
            "sent_at": sent,
            "answered_at": answered,
            "answers": {f"{channel}_{k}": v for k, v in answers.items()},
        }
        if channel == "whatsapp":  # a screenshot of the chat as evidence
            picture = jpeg()
            digest = hashlib.sha256(picture).hexdigest()
            assert client.put(f"/api/v1/photos/{digest}", data=picture).status_code == 201
            body["photos"] = [{"sha256": digest, "item_id": "", "captured_at": None}]
        response = client.post("/api/v1/checks", json=body)
        assert response.status_code == 201, response.get_json()
    # A self-assessment (the OPD's own): kept apart from every independent figure.
    self_uuid = str(uuid.uuid4())
    db.table("checks").insert(
        {
            "uuid": self_uuid,
            "kind": "probe",
            "opd_id": records.opd_by_slug(db, "disdukcapil")["id"],
            "channel": "sosmed",
            "instrument_id": "saluran",
            "instrument_version": 1,
            "assessor_id": 1,
            "self_assessed": 1,
            "answers": json.dumps({"sosmed_dijawab": "yes"}),
            "sent_at": "2026-11-24T08:00",
            "answered_at": "2026-11-24T08:05",
            "check_date": "2026-11-24",
            "content_hash": "x",
            "created_at": records.now(),
            "scores": json.dumps({"score": 100.0, "dimensions": {"akses_informasi": 100.0}}),
        }
    )
    db.conn.commit()
    auth.logout()
    auth.login("supervisor")
    return self_uuid


def test_the_figures_count_answers_within_a_working_day_and_medians(probed, db):
    figures = probe_figures.probe_figures(db, "2026-11-01", "2026-11-30")
    total = figures["total"]
    assert (total["probes"], total["within_day"]) == (5, 3)
    assert (total["answered"], total["late"], total["no_answer"]) == (3, 1, 1)
    # answered (late too): 30, 120, 1500 (Mon 09:00 -> Tue 10:00), 5760 (Mon -> Fri) minutes
    assert total["median_minutes"] == 810.0
    assert total["median_working_days"] == 0.5
    by_channel = {c["code"]: c for c in figures["channels"]}
    assert by_channel["lapor"]["late"] == 1 and by_channel["telepon"]["no_answer"] == 1
    assert [o["slug"] for o in figures["opds"]] == ["disdukcapil", "dishub"]
    assert figures["total"]["dimensions"]["pengaduan"] is not None
    assert all("assessor_id" not in r for r in figures["rows"])  # OPD-facing: nobody named
    self_side = probe_figures.probe_figures(db, "2026-11-01", "2026-11-30", self_assessed=True)
    assert self_side["total"]["probes"] == 1


def test_the_deadline_setting_changes_the_outcome(probed, db):
    five = probe_figures.probe_figures(db, "2026-11-01", "2026-11-30", deadline_days=5)
    assert (five["total"]["late"], five["total"]["answered"]) == (0, 4)


def test_the_dashboard_shows_the_probe_section(probed, client, db):
    page = client.get("/dashboard/?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "3 dari 5 saluran menjawab dalam 1 hari kerja" in page
    assert 'data-channel="lapor"' in page and "SP4N-LAPOR!" in page
    one = client.get("/dashboard/opd/dishub?from=2026-11-01&to=2026-11-30").get_data(as_text=True)
    assert "1 dari 2 saluran menjawab dalam 1 hari kerja" in one
    # probes are not visits: no visit figure moved
    assert "Belum ada kunjungan" in one or "Tidak ada kunjungan" in one


def test_the_opd_and_city_pdfs_print_the_probes(probed, app, db, tmp_path):
    photo_dir = app.config["PHOTOS_DIR"]
    opd = pdf_text(
        render.opd_pdf(db, "disdukcapil", "2026-11-01", "2026-11-30", photo_dir).pdf, tmp_path
    )
    assert "Uji saluran" in opd
    assert "2 dari 3 saluran menjawab dalam 1 hari kerja" in opd
    assert "Tidak dijawab sampai batas waktu (3 hari kerja): 1." in opd
    assert not any(name in opd for name in ("Evaluator Satu", "Evaluator Dua", "Evaluator Tiga"))
    city = pdf_text(render.city_pdf(db, "2026-11-01", "2026-11-30", photo_dir).pdf, tmp_path)
    assert "3 dari 5 saluran menjawab dalam 1 hari kerja" in city
    assert "SP4N-" in city and "Dinas Perhubungan Kota Jambi" in city
    assert "Pengaduan 66,67" in city  # (100 + 33,33...) / 2, rounded once
    english = pdf_text(
        render.city_pdf(db, "2026-11-01", "2026-11-30", photo_dir, locale="en").pdf, tmp_path
    )
    assert "3 of 5 channels answered within 1 working day" in english


def test_every_export_carries_the_probes_self_assessed_marked(probed, client, db, app):
    query = "date_from=2026-11-01&date_to=2026-11-30"
    data = json.loads(client.get(f"/reports/export/json?{query}").get_data())
    assert len(data["probes"]) == 6 and data["visits"] == []
    assert sorted(p["self_assessed"] for p in data["probes"]) == [0, 0, 0, 0, 0, 1]
    wide = list(
        csv.DictReader(io.StringIO(client.get(f"/reports/export/probes?{query}").get_data(True)))
    )
    assert len(wide) == 6 and {r["outcome"] for r in wide} >= {"answered", "late", "no_answer"}
    lapor = next(r for r in wide if r["channel"] == "lapor")
    assert (lapor["response_working_days"], lapor["saluran.lapor_tercatat"]) == ("4", "yes")
    long = list(
        csv.DictReader(
            io.StringIO(client.get(f"/reports/export/probes-long?{query}").get_data(True))
        )
    )
    assert len(long) == sum(len(p[5]) for p in PROBES) + 1
    book = load_workbook(io.BytesIO(client.get(f"/reports/export/xlsx?{query}").get_data()))
    assert "Uji saluran" in book.sheetnames
    sheet = book["Uji saluran"]
    assert sheet.max_row == 7
    with client.get(f"/reports/export/zip?{query}") as response:
        archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert len(archive.read("uji-saluran.csv").decode().splitlines()) == 7
    shots = [n for n in archive.namelist() if n.startswith("uji-saluran/")]
    assert len(shots) == 1 and shots[0].endswith("/foto_1.jpg") and "2026-11-23_" in shots[0]
    assert exports.filename("probes-long", "2026-11-01", None, None).startswith("uji-saluran")


def test_the_cli_export_writes_the_probes_beside_the_csv(probed, runner, tmp_path):
    out = tmp_path / "kunjungan.csv"
    result = runner.invoke(
        ["export", "--format", "csv", "--from", "2026-11-01", "--to", "2026-11-30", "--out", out]
    )
    assert result.exit_code == 0, result.output
    side = tmp_path / "kunjungan-uji-saluran.csv"
    assert len(side.read_text().splitlines()) == 7
    assert "6 channel probes written" in result.output
