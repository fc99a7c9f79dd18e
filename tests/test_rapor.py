"""The Ombudsman readiness report (rapor): figures recomputed from the raw answers, bands,
the PDF read back, the CLI, and the /reports/ download for supervisors only."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction
from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.core import rapor as core_rapor
from survey_app.core import scoring
from survey_app.core.instruments import load_file
from survey_app.findings import rapor
from survey_app.store import actions, demo, records
from survey_app.store.connection import connect, migrate
from tests.supervisor_data import login
from tests.test_findings import flat, pdf_text, user_names

ROOT = Path(__file__).resolve().parent.parent
PERIOD = ("2026-04-01", "2026-09-30")
TODAY = dt.date(2026, 10, 15)
SLUG = "dishub"
DIMENSIONS = ("input", "proses", "output", "pengaduan")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The demo data, and two follow-ups on Dishub's findings: one overdue, one verified."""
    tmp = tmp_path_factory.mktemp("rapor")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp / "survey.db"),
            "PHOTOS_DIR": str(tmp / "photos"),
            "EXPORTS_DIR": str(tmp / "exports"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"], checks=False)
    opd_id = records.opd_by_slug(db, SLUG)["id"]
    failed = actions.failed_items(db, opd_id, *PERIOD)
    supervisor = db.execute("select id from users where role = 'supervisor'").fetchone()[0]
    actions.create(db, opd_id, failed[0]["item"], "TL-RAPOR-1", "2026-10-01", supervisor, *PERIOD)
    done = actions.create(
        db, opd_id, failed[1]["item"], "TL-RAPOR-2", "2026-11-30", supervisor, *PERIOD
    )
    db.execute("update follow_ups set status = 'verified' where id = ?", [done])
    db.conn.commit()
    yield app, db
    db.close()


# --- the figures, recomputed from the raw answers ---------------------------------------------


def _minutes(text):
    hours, minutes = text.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def recompute(db, opd_id=None):
    """Per dimension: (sum of weight x credit, sum of weight), from the answers table.

    Written apart from the code under test: the instruments' stored JSON, the answers'
    JSON values, the service's published time and fee; nothing of core/ or findings/.
    """
    definitions = {
        (r["id"], r["version"]): json.loads(r["definition"])
        for r in db.execute("select id, version, definition from instruments")
    }
    sums = {d: [Fraction(0), Fraction(0)] for d in DIMENSIONS}
    per_item: dict[str, list[Fraction]] = {}
    sql = (
        "select v.uuid, s.max_minutes, s.fee from visits v join services s on s.id = v.service_id "
        "where v.status = 'approved' and v.visit_date between ? and ?"
    )
    params = list(PERIOD)
    if opd_id is not None:
        sql += " and v.opd_id = ?"
        params.append(opd_id)
    for uuid, max_minutes, published_fee in db.execute(sql, params).fetchall():
        answers = {
            (r[0], r[1]): json.loads(r[2])
            for r in db.execute(
                "select instrument_id, item_id, value from answers where visit_uuid = ?", [uuid]
            )
        }
        roles = {}
        for inst_id, version in db.execute(
            "select instrument_id, instrument_version from visit_instruments where visit_uuid = ?",
            [uuid],
        ).fetchall():
            for section in definitions[(inst_id, version)]["sections"]:
                for item in section["items"]:
                    value = answers.get((inst_id, item["id"]))
                    if item.get("role") and value not in (None, ""):
                        roles[item["role"]] = value
                    dim = item.get("tags", {}).get("ombudsman")
                    if dim is None or value in (None, "", "na"):
                        continue
                    if item["type"] == "yesno":
                        credit = Fraction(int(value != item.get("fails_on", "no")))
                    elif item["type"] == "choice":
                        credit = Fraction(int(value in item["pass"]))
                    else:  # an SKM unsur, 1-4: the mean x 25 is the mean of value / 4 x 100
                        credit = Fraction(int(value), 4)
                    weight = Fraction(str(item.get("weight", 1)))
                    sums[dim][0] += weight * credit
                    sums[dim][1] += weight
                    key = f"{inst_id}.{item['id']}"
                    per_item.setdefault(key, [Fraction(0), dim])[0] += weight * (1 - credit)
        # the published standard kept: both are proses, weight 1
        if "arrival" in roles and "service_end" in roles and max_minutes is not None:
            total = _minutes(roles["service_end"]) - _minutes(roles["arrival"])
            if total >= 0:
                sums["proses"][0] += int(total <= max_minutes)
                sums["proses"][1] += 1
                if total > max_minutes:
                    per_item.setdefault("standar.waktu", [Fraction(0), "proses"])[0] += 1
        if "fee_asked" in roles and published_fee is not None:
            sums["proses"][0] += int(int(roles["fee_asked"]) <= published_fee)
            sums["proses"][1] += 1
            if int(roles["fee_asked"]) > published_fee:
                per_item.setdefault("standar.biaya", [Fraction(0), "proses"])[0] += 1
    return sums, per_item


def half_up(value: Fraction) -> float:
    return float((value * 100 + Fraction(1, 2)).__floor__()) / 100


@pytest.mark.parametrize("slug", ["dishub", "disdukcapil", "puskesmas-putri-ayu", None])
def test_dimension_and_overall_scores_recomputed_from_the_raw_answers(demo_app, slug):
    app, db = demo_app
    opd_id = records.opd_by_slug(db, slug)["id"] if slug else None
    sums, per_item = recompute(db, opd_id)
    expected = {d: 100 * c / w for d, (c, w) in sums.items() if w}
    assert set(expected) == set(DIMENSIONS)  # the demo has results in every dimension
    doc = (
        rapor.opd_rapor(db, slug, *PERIOD, TODAY) if slug else rapor.city_rapor(db, *PERIOD, TODAY)
    )
    got = {d["code"]: d["score"] for d in doc["independent"]["dimensions"]}
    assert got == {d: half_up(v) for d, v in expected.items()}
    overall = sum(expected.values()) / len(expected)
    assert doc["independent"]["overall"] == half_up(overall)
    # the gap list: each item's points, largest first, add up to 100 minus its dimension
    gaps = doc["independent"]["gaps"]
    costs = {k: 100 * lost / sums[dim][1] for k, (lost, dim) in per_item.items() if lost}
    assert [g["item"] for g in gaps] == sorted(costs, key=lambda k: (-costs[k], k))
    assert [g["points"] for g in gaps] == [half_up(costs[g["item"]]) for g in gaps]
    for dim in DIMENSIONS:
        lost = sum(v for k, v in costs.items() if per_item[k][1] == dim)
        assert lost == 100 - expected[dim]


def test_the_forecast_bands_the_printed_overall_in_each_scheme(demo_app):
    app, db = demo_app
    doc = rapor.city_rapor(db, *PERIOD, TODAY)
    for o in doc["opds"]:
        overall = o["independent"]["overall"]
        for f in o["independent"]["forecast"]:
            band = scoring.load_schemes()[f["scheme"]].band(overall)
            assert f["band"]["code"] == band.code
    ranked = [o["independent"]["overall"] for o in doc["opds"]]
    assert ranked == sorted(ranked, reverse=True) and [o["rank"] for o in doc["opds"]] == list(
        range(1, len(ranked) + 1)
    )


def test_follow_ups_decide_tanpa_maladministrasi(demo_app):
    app, db = demo_app
    doc = rapor.opd_rapor(db, SLUG, *PERIOD, TODAY)
    due = doc["follow_ups_due"]
    assert [(a["action"], a["overdue"]) for a in due] == [("TL-RAPOR-1", True)]
    opinion = doc["independent"]["forecast"][2]
    assert opinion["scheme"] == "ombudsman-2025" and opinion["condition"]["met"] is False
    other = rapor.opd_rapor(db, "disdukcapil", *PERIOD, TODAY)
    assert other["follow_ups_due"] == []
    assert other["independent"]["forecast"][2]["condition"]["met"] is True


@pytest.mark.parametrize(
    ("overall", "codes"),
    [
        (88.0, ("hijau", "A", "tertinggi")),
        (87.995, ("hijau", "A", "tertinggi")),
        (87.99, ("hijau", "B", "tinggi")),
        (80.99, ("kuning", "B", "tinggi")),
        (77.99, ("kuning", "C", "sedang")),
        (55.0, ("kuning", "C", "sedang")),
        (54.99, ("kuning", "C", "rendah")),
        (50.99, ("merah", "D", "rendah")),
        (25.99, ("merah", "E", "terendah")),
    ],
)
def test_band_boundaries_of_the_forecast(overall, codes):
    found = core_rapor.forecast(overall, [], "2026-10-15", scoring.load_schemes())
    assert tuple(f["band"].code for f in found) == codes
    assert found[2]["condition_met"] is True
    late = [{"status": "open", "due_date": "2026-10-01"}]
    assert (
        core_rapor.forecast(overall, late, "2026-10-15", scoring.load_schemes())[2]["condition_met"]
        is False
    )


def test_no_results_forecasts_nothing():
    figs = core_rapor.figures(core_rapor.Pool(), [], "2026-10-15")
    assert figs["overall"] is None and figs["gaps"] == []
    assert all(f["band"] is None for f in figs["forecast"])


def test_a_check_scores_as_a_visit_and_self_assessment_stays_apart():
    """A self-assessed checklist pooled on its own: the same arithmetic, shown beside."""
    kepatuhan = load_file(ROOT / "instruments" / "kepatuhan.yaml")
    fallback = core_rapor.fallback_dimensions([kepatuhan])
    answers = {item.id: "yes" for item in kepatuhan.items if item.checkable}
    answers["kontak_pengaduan_dipajang"] = "no"  # weight 2, pengaduan
    own = core_rapor.Pool()
    core_rapor.check_results(kepatuhan, answers, fallback, own)
    figs = core_rapor.figures(own, [], "2026-10-15")
    shown = kepatuhan.relevant_answers(answers)  # "no" hides "does the number work?"
    assert "kontak_pengaduan_berfungsi" not in shown
    pengaduan = [
        i for i in kepatuhan.items if i.tags.get("ombudsman") == "pengaduan" and i.id in shown
    ]
    weight = sum(i.weight for i in pengaduan)
    scores = {d["code"]: d["score"] for d in figs["dimensions"]}
    assert scores == {
        "input": 100.0,
        "proses": None,
        "output": None,
        "pengaduan": (half_up(Fraction(100) * Fraction(weight - 2) / Fraction(weight))),
    }
    assert figs["dimensions_with_data"] == 2
    assert figs["gaps"][0]["item"] == "kepatuhan.kontak_pengaduan_dipajang"
    independent = core_rapor.figures(core_rapor.Pool(), [], "2026-10-15")
    rows = rapor._side_by_side(independent, figs)
    assert rows[-1] == {
        "code": "overall",
        "self": figs["overall"],
        "independent": None,
        "gap": None,
    }


def test_an_item_of_a_version_stored_before_the_tag_takes_the_current_versions_dimension():
    kunjungan = load_file(ROOT / "tests" / "data" / "kunjungan-v1.yaml")
    raw = json.loads(json.dumps(kunjungan.definition))
    for section in raw["sections"]:
        for item in section["items"]:
            item.get("tags", {}).pop("ombudsman", None)
    from survey_app.core.instruments import build

    bare = build(raw, stored=True)
    pool = core_rapor.Pool()
    fallback = core_rapor.fallback_dimensions([load_file(ROOT / "instruments" / "kunjungan.yaml")])
    results = {"passed": ["kunjungan.petugas_ramah"], "failed": ["kunjungan.tanpa_imbalan"]}
    core_rapor.visit_results([bare], results, {}, fallback, pool)
    # petugas_ramah is in v2 too (proses); tanpa_imbalan became imbalan_diminta: left out
    assert pool.items["kunjungan.petugas_ramah"].dimension == "proses"
    assert "kunjungan.tanpa_imbalan" not in pool.items and pool.unmapped == 1


# --- the PDF -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def opd_text(demo_app, tmp_path_factory):
    app, db = demo_app
    pdf = rapor.rapor_pdf(db, SLUG, *PERIOD, app.config["PHOTOS_DIR"], today=TODAY)
    assert pdf.refused == []
    return pdf_text(pdf.pdf, tmp_path_factory.mktemp("pdf"))


def test_the_pdf_shows_the_figures_the_forecast_and_says_it_is_a_forecast(demo_app, opd_text):
    app, db = demo_app
    doc = rapor.opd_rapor(db, SLUG, *PERIOD, TODAY)
    text = flat(opd_text)
    assert "Rapor kesiapan penilaian Ombudsman" in text
    assert "Prakiraan, bukan opini Ombudsman." in text
    assert "hanya Ombudsman RI yang menerbitkan opini" in text
    names = {"input": "Input", "proses": "Proses", "output": "Output", "pengaduan": "Pengaduan"}
    for d in doc["independent"]["dimensions"]:
        score = f"{d['score']:.2f}".replace(".", ",")
        assert f"{names[d['code']]} {score}" in text, d
    overall = f"{doc['independent']['overall']:.2f}".replace(".", ",")
    assert f"Keseluruhan (rata-rata dimensi) {overall}" in text
    for f in doc["independent"]["forecast"]:
        assert f["band"]["label"]["id"] in text
    assert "(belum Tanpa" in text  # an overdue follow-up: not "Tanpa Maladministrasi"
    assert "Belum terkonfirmasi" in text and "Kualitas Sedang *" in text
    assert "TL-RAPOR-1" in text and "Lewat" in text
    assert "TL-RAPOR-2" not in text  # verified: not due
    first = doc["independent"]["gaps"][0]
    assert f"{first['points']:.2f}".replace(".", ",") in text
    assert "bobot sama: ini asumsi" in text


def test_the_pdf_never_names_an_evaluator(demo_app, opd_text):
    app, db = demo_app
    for name in user_names(db):
        assert name not in opd_text


def test_the_city_pdf_ranks_the_opds_in_english(demo_app, tmp_path):
    app, db = demo_app
    pdf = rapor.city_rapor_pdf(db, *PERIOD, app.config["PHOTOS_DIR"], "en", today=TODAY)
    text = flat(pdf_text(pdf.pdf, tmp_path))
    assert "Ombudsman assessment readiness report" in text
    assert "A forecast, not the Ombudsman's opinion." in text
    doc = rapor.city_rapor(db, *PERIOD, TODAY)
    positions = [text.index(f"{o['rank']}. {o['name']}:") for o in doc["opds"]]
    assert positions == sorted(positions) and len(positions) == 5
    for name in user_names(db):
        assert name not in text


# --- the CLI and the download ---------------------------------------------------------------


def test_cli_writes_the_opd_and_city_rapor_as_numbered_documents(seeded, runner, tmp_path):
    period = ["--from", PERIOD[0], "--to", PERIOD[1]]
    out = tmp_path / "r.pdf"
    result = runner.invoke(args=["findings", "rapor", SLUG, *period, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "No. 001/" in result.output
    assert "Rapor kesiapan penilaian Ombudsman" in pdf_text(out.read_bytes(), tmp_path)
    checked = runner.invoke(args=["verify-document", str(out)])
    assert checked.exit_code == 0 and "Dinas Perhubungan" in checked.output
    result = runner.invoke(args=["findings", "rapor", "city", *period, "--lang", "en"])
    assert result.exit_code == 0, result.output
    exports = Path(seeded.config["EXPORTS_DIR"])
    city = exports / "rapor-ombudsman-kota-2026-04-01-2026-09-30.pdf"
    assert "OPDs ranked by readiness" in pdf_text(city.read_bytes(), tmp_path)
    bad = runner.invoke(args=["findings", "rapor", "nope", *period])
    assert bad.exit_code == 1 and "nope" in bad.output


def test_reports_page_offers_the_rapor_to_supervisors_only(seeded, tmp_path):
    query = f"?date_from={PERIOD[0]}&date_to={PERIOD[1]}"
    supervisor = login(seeded, "supervisor")
    page = supervisor.get("/reports/" + query).get_data(as_text=True)
    assert f"/reports/rapor/{SLUG}.pdf" in page and "/reports/rapor-city.pdf" in page
    for url in (f"/reports/rapor/{SLUG}.pdf", "/reports/rapor-city.pdf"):
        response = supervisor.get(url + query)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert "rapor-ombudsman-" in response.headers["Content-Disposition"]
        assert "Prakiraan, bukan opini Ombudsman." in flat(pdf_text(response.data, tmp_path))
    evaluator = login(seeded, "evaluator1")
    assert evaluator.get(f"/reports/rapor/{SLUG}.pdf" + query).status_code == 403
    anonymous = seeded.test_client().get("/reports/rapor-city.pdf" + query)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# --- probes and desk reviews (store.checks, helper "probes"): runs once it is merged -----------


def test_independent_checks_count_and_self_assessed_ones_stay_beside(seeded, db):
    pytest.importorskip("survey_app.store.checks")
    version = db.execute("select max(version) from instruments where id = 'saluran'").fetchone()[0]
    if version is None:
        pytest.skip("no probe instrument loaded")
    opd_id = records.opd_by_slug(db, SLUG)["id"]
    assessor = db.execute("select id from users where role = 'supervisor'").fetchone()[0]
    before = rapor.opd_rapor(db, SLUG, *PERIOD, TODAY)

    def add(self_assessed: int, answers: dict) -> None:
        db.table("checks").insert(
            {
                "uuid": f"00000000-0000-4000-8000-00000000000{self_assessed}",
                "kind": "probe",
                "opd_id": opd_id,
                "channel": "telepon",
                "instrument_id": "saluran",
                "instrument_version": version,
                "assessor_id": assessor,
                "self_assessed": self_assessed,
                "status": "submitted",
                "answers": json.dumps(answers),
                "notes": "{}",
                "check_date": "2026-05-10",
                "created_at": "2026-05-10T01:00:00",
            }
        )
        db.conn.commit()

    add(1, {"telepon_tersambung": "yes", "telepon_dijawab": "yes"})
    only_self = rapor.opd_rapor(db, SLUG, *PERIOD, TODAY)
    assert only_self["independent"] == before["independent"]  # a self-assessment: beside only
    assert only_self["self"]["overall"] == 100.0
    assert only_self["counts"] == {"visits": before["counts"]["visits"], "self_probe": 1}
    add(0, {"telepon_tersambung": "yes", "telepon_dijawab": "no"})
    both = rapor.opd_rapor(db, SLUG, *PERIOD, TODAY)
    assert both["counts"]["probe"] == 1
    answered = next(g for g in both["item_gaps"] if g["item"] == "saluran.telepon_dijawab")
    assert (answered["self"], answered["independent"], answered["gap"]) == (100.0, 0.0, 100.0)
    gaps = {g["item"] for g in both["independent"]["gaps"]}
    assert "saluran.telepon_dijawab" in gaps
