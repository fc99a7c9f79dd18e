"""PDF findings read back with pdftotext: figures, formatting, anonymity, safety, volume."""

from __future__ import annotations

import http.server
import io
import random
import re
import subprocess
import threading
import uuid
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from survey_app import create_app
from survey_app.core import formatting, scoring
from survey_app.core.errors import DomainError
from survey_app.findings import figures, render
from survey_app.findings.pdf import FetchRefused, LocalFetcher
from survey_app.store import demo, records, summaries
from survey_app.store.connection import connect, migrate

ROOT = Path(__file__).resolve().parent.parent
PERIOD = ("2026-04-01", "2026-09-30")
SLUG = "dishub"  # the demo OPD with a published fee (Rp 75.000) and the most findings


# --- helpers ----------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text, layout kept, runs of spaces collapsed (so a table row is one line)."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return "\n".join(" ".join(line.split()) for line in out.splitlines())


def pdf_pages(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def flat(text: str) -> str:
    return " ".join(text.split())


def num(value) -> str:
    return formatting.number(value)


def user_names(db) -> list[str]:
    rows = db.execute("select username, name from users where role = 'evaluator'").fetchall()
    return [v for r in rows for v in (r["username"], r["name"])]


def items_by_key(db) -> dict:
    return {f"{i.id}.{item.id}": item for i in records.current_instruments(db) for item in i.items}


def jpeg(n: int) -> bytes:
    """A small distinct photo (400x300) standing in for evidence."""
    image = Image.new("RGB", (400, 300), (n * 37 % 256, n * 91 % 256, 90 + n % 100))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def gen_approved_visit(db, opd_slug, quality=0.0, seed=1, answers=None, notes=None) -> str:
    """An approved visit to the OPD's first service, by an evaluator from another OPD."""
    rng = random.Random(seed)
    svc = dict(
        db.execute(
            "select s.* from services s join opds o on o.id = s.opd_id where o.slug = ? "
            "order by s.id limit 1",
            [opd_slug],
        ).fetchone()
    )
    evaluator = db.execute(
        "select id from users where role = 'evaluator' and opd_id != ? limit 1", [svc["opd_id"]]
    ).fetchone()[0]
    supervisor = db.execute("select id from users where role = 'supervisor'").fetchone()[0]
    insts = records.current_instruments(db)
    given = answers or {i.id: demo.fake_answers(i, rng, quality, svc) for i in insts}
    visit_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    record = {
        "uuid": visit_uuid,
        "opd_id": svc["opd_id"],
        "service_id": svc["id"],
        "evaluator_id": evaluator,
        "visit_date": "2026-05-04",
        "instruments": [{"id": i.id, "version": i.version} for i in insts],
        "answers": given,
        "notes": notes or {},
    }
    records.save_visit(db, record, evaluator)
    records.set_status(db, visit_uuid, "submitted", evaluator)
    records.set_status(db, visit_uuid, "approved", supervisor)
    return visit_uuid


# --- one seeded database and its reports, shared by the module --------------------


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The demo data on its own database, seeded once for this module."""
    tmp = tmp_path_factory.mktemp("findings")
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
    demo.seed(db, app.config["PHOTOS_DIR"])
    yield app, db
    db.close()


@pytest.fixture(scope="module")
def opd_pdf(demo_app):
    app, db = demo_app
    return render.opd_pdf(db, SLUG, *PERIOD, app.config["PHOTOS_DIR"])


@pytest.fixture(scope="module")
def city_pdf(demo_app):
    app, db = demo_app
    return render.city_pdf(db, *PERIOD, app.config["PHOTOS_DIR"])


# --- the OPD report ------------------------------------------------------------------


def test_opd_report_prints_the_scoring_modules_figures(demo_app, opd_pdf, tmp_path):
    _, db = demo_app
    text = pdf_text(opd_pdf.pdf, tmp_path)
    summary = next(s for s in summaries.opd_summaries(db, *PERIOD) if s["opd"] == SLUG)
    zone = figures.band("ombudsman-2015", summary["zone"])["label"]["id"]
    mutu = figures.band("skm-2017", summary["mutu"])["label"]["id"]
    assert f"dikunjungi {summary['visits']} kali" in flat(text)
    assert f"Nilai kepatuhan {num(summary['compliance'])} {zone}" in text
    assert f"IKM (konversi) {num(summary['ikm'])} {mutu}" in text
    labels = {
        "akses_informasi": "Akses informasi",
        "akses_layanan": "Akses layanan",
        "kesesuaian_harapan": "Kesesuaian harapan",
        "pengaduan": "Pengaduan",
    }
    for code, score in summary["dimensions"].items():
        band = figures.band_of("ombudsman-2015", score)["label"]["id"]
        assert f"{labels[code]} {num(score)} {band}" in text
    opd_id = records.opd_by_slug(db, SLUG)["id"]
    rows = records.visit_scores_in(db, *PERIOD, opd_id=opd_id)
    agg = scoring.aggregate([r["scores"] for r in rows])
    for code, nrr in summary["unsur"].items():
        values = [v for r in rows for v in r["scores"]["skm_values"].get(code, [])]
        converted = scoring.skm({code: values}, {code: Fraction(1)})["ikm_converted"]
        row = f"{code} .* {agg['skm']['answers'][code]} {num(nrr)} {num(scoring.round2(converted))}"
        assert re.search(row, text), row


def test_opd_report_lists_each_failed_item_with_its_frequency(demo_app, opd_pdf, tmp_path):
    _, db = demo_app
    text = flat(pdf_text(opd_pdf.pdf, tmp_path))
    opd_id = records.opd_by_slug(db, SLUG)["id"]
    rows = records.visit_scores_in(db, *PERIOD, opd_id=opd_id)
    failed = scoring.aggregate([r["scores"] for r in rows])["failed_items"]
    assert failed
    printed = Counter(re.findall(r"(\d+) dari (\d+) kunjungan", text))
    assert printed == Counter((str(r["failed"]), str(r["of"])) for r in failed)
    items = items_by_key(db)
    for row in failed:
        item = items[row["item"]]
        assert flat(item.finding.id) in text
        assert flat(item.recommendation.id) in text


def test_opd_report_is_indonesian_anonymous_and_of_bounded_length(demo_app, opd_pdf, tmp_path):
    _, db = demo_app
    text = pdf_text(opd_pdf.pdf, tmp_path)
    pages = pdf_pages(opd_pdf.pdf, tmp_path)
    assert 6 <= pages <= 20 and pages == opd_pdf.pages
    assert f"Halaman 2 dari {pages}" in text
    assert "Rabu, 1 April 2026 – Rabu, 30 September 2026" in text
    assert "Rp 75.000" in text and " WIB" in text
    assert "Daftar isi" in text and "Krejcie & Morgan" in flat(text)
    assert "Periode sebelumnya: Selasa, 30 September 2025 – Selasa, 31 Maret 2026" in flat(text)
    for name in user_names(db):
        assert name not in text
    assert opd_pdf.refused == []
    assert all(u.startswith("file://") for u in opd_pdf.asked)


def test_opd_report_in_english(demo_app, tmp_path):
    app, db = demo_app
    rendered = render.opd_pdf(db, SLUG, *PERIOD, app.config["PHOTOS_DIR"], locale="en")
    text = pdf_text(rendered.pdf, tmp_path)
    summary = next(s for s in summaries.opd_summaries(db, *PERIOD) if s["opd"] == SLUG)
    assert f"Page 2 of {rendered.pages}" in text
    assert "Wednesday, 1 April 2026 – Wednesday, 30 September 2026" in text
    assert f"Compliance score {formatting.number(summary['compliance'], 2, 'en')}" in text
    assert "Access to information" in text and "Akses informasi" not in text


def test_change_since_the_previous_period(demo_app):
    _, db = demo_app
    doc = figures.opd_report(db, "disdukcapil", "2026-08-01", "2026-09-30")
    assert doc["period"]["previous_from"] == "2026-06-01"  # 61 days, right before
    assert doc["period"]["previous_to"] == "2026-07-31"
    before = summaries.opd_summaries(db, "2026-06-01", "2026-07-31")
    before = next(s for s in before if s["opd"] == "disdukcapil")
    row = next(r for r in doc["change"] if r["code"] == "compliance")
    assert row["previous"] == before["compliance"]
    assert Decimal(str(row["delta"])) == Decimal(str(row["current"])) - Decimal(
        str(row["previous"])
    )
    with pytest.raises(DomainError):
        figures.period("2026-09-30", "2026-04-01")


# --- the city report ------------------------------------------------------------------


def test_city_report_ranks_opds_as_the_scoring_module_does(demo_app, city_pdf, tmp_path):
    _, db = demo_app
    text = pdf_text(city_pdf.pdf, tmp_path)
    city = summaries.city_summary(db, *PERIOD)
    zone = figures.band("ombudsman-2015", city["zone"])["label"]["id"]
    assert f"Nilai kepatuhan, kota {num(city['compliance'])} {zone}" in text
    assert f"IKM (konversi), kota {num(city['ikm'])}" in text
    ranked = summaries.opd_summaries(db, *PERIOD)
    body = flat(text)
    for rank, s in enumerate(ranked, 1):
        line = f"{rank}. {s['name']}: {s['visits']} kunjungan; kepatuhan {num(s['compliance'])}"
        assert line in body
    zones = Counter(s["zone"] for s in ranked)
    for code, label in (
        ("hijau", "Zona Hijau"),
        ("kuning", "Zona Kuning"),
        ("merah", "Zona Merah"),
    ):
        assert f"{label} {zones.get(code, 0)}" in text


def test_city_report_lists_the_most_frequent_findings(demo_app, city_pdf, tmp_path):
    _, db = demo_app
    text = flat(pdf_text(city_pdf.pdf, tmp_path))
    rows = records.visit_scores_in(db, *PERIOD)
    top = scoring.aggregate([r["scores"] for r in rows])["failed_items"][: figures.TOP_FINDINGS]
    section = text[text.rindex("5. Temuan yang paling sering") :]  # the heading, not the contents
    printed = re.findall(r"(\d+) dari (\d+) kunjungan", section)
    assert printed[: len(top)] == [(str(r["failed"]), str(r["of"])) for r in top]


def test_city_report_is_anonymous_and_of_bounded_length(demo_app, city_pdf, tmp_path):
    _, db = demo_app
    text = pdf_text(city_pdf.pdf, tmp_path)
    pages = pdf_pages(city_pdf.pdf, tmp_path)
    assert 4 <= pages <= 15
    assert f"Halaman {pages} dari {pages}" in text
    assert "April 2026" in text and "September 2026" in text
    for name in user_names(db):
        assert name not in text
    assert city_pdf.refused == []


def test_city_figures_from_tallies_are_those_of_the_visits_scores(demo_app):
    """The city report merges kept tallies; every figure equals the visits' own aggregate."""
    _, db = demo_app
    period = ("2026-04-10", "2026-09-20")  # whole months kept, both ends counted on the spot
    doc = figures.city_report(db, *period)
    rows = records.visit_scores_in(db, *period)
    assert doc["figures"] == figures.figures(scoring.aggregate([r["scores"] for r in rows]))
    months = {}
    for r in rows:
        months.setdefault(r["visit_date"][:7], []).append(r["scores"])
    assert [m.pop("month") for m in doc["months"]] == sorted(months)
    assert doc["months"] == [figures.figures(scoring.aggregate(months[m])) for m in sorted(months)]
    populations = records.opd_populations(db)
    for line in doc["opds"]:
        opd_id = records.opd_by_slug(db, line["slug"])["id"]
        own = [r["scores"] for r in rows if r["opd_id"] == opd_id]
        agg = scoring.aggregate(own, population=populations.get(opd_id))
        assert line["figures"] == figures.figures(agg)
        assert line["failed_items"] == agg["failed_items"]


def test_time_per_service_is_that_of_the_visits_scores(demo_app):
    _, db = demo_app
    doc = figures.opd_report(db, SLUG, *PERIOD)
    by_service = {}
    for v in doc["visits"]:
        by_service.setdefault(v["service"], []).append(v["scores"])
    assert [t["service"] for t in doc["timing"]] == sorted(by_service)
    for row in doc["timing"]:
        agg = scoring.aggregate(by_service[row["service"]])
        assert row["visits"] == agg["visits"] and row["over_max_time"] == agg["over_max_time"]
        assert row["waiting_minutes"] == scoring.round2(agg["waiting_minutes"])
        assert row["service_minutes"] == scoring.round2(agg["service_minutes"])
        assert row["fee_over_published"] == agg["fee_over_published"]
    assert sum(t["visits"] for t in doc["timing"]) == len(doc["visits"]) > 0


# --- the visit sheet ------------------------------------------------------------------


def test_visit_sheet_has_every_answer_in_order_and_its_scores(demo_app, tmp_path):
    app, db = demo_app
    visit_uuid = db.execute("select visit_uuid from visit_photos limit 1").fetchone()[0]
    rendered = render.visit_pdf(db, visit_uuid, app.config["PHOTOS_DIR"])
    text = pdf_text(rendered.pdf, tmp_path)
    record = records.visit(db, visit_uuid)
    assert "Lembar Kunjungan" in text
    assert formatting.long_date(record["visit_date"]) in text
    assert num(scoring.round2(record["scores"]["compliance"]["score"])) in text
    assert f"Biaya yang diminta {formatting.rupiah(record['scores']['fee']['asked'])}" in text
    position = 0
    for inst in records.visit_instruments(db, record):
        given = inst.relevant_answers(record["answers"].get(inst.id, {}))
        for item in inst.items:
            if item.id in given:
                position = text.index(item.label.id[:24], position)
    photo = records.print_copy(app.config["PHOTOS_DIR"], record["photos"][0]["sha256"])
    assert photo.as_uri() in rendered.asked
    assert "Ruang pelayanan" in text
    for name in user_names(db):
        assert name not in text


def test_notes_with_images_or_links_fetch_nothing(world, db, app, tmp_path):
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    network = f"http://127.0.0.1:{server.server_port}/x.png"
    hostile = f'<img src="file:///etc/passwd"> <img src="{network}"> <a href="{network}">x</a>'
    try:
        insts = records.current_instruments(db)
        answers = {i.id: demo.fake_answers(i, random.Random(3), 0.9) for i in insts}
        answers["kunjungan"]["narasi"] = "Narasi " + hostile
        notes = {"kunjungan": {"jam_tiba": "Catatan " + hostile}}
        visit_uuid = gen_approved_visit(db, "dishub", answers=answers, notes=notes)
        rendered = render.visit_pdf(db, visit_uuid, app.config["PHOTOS_DIR"])
        text = flat(pdf_text(rendered.pdf, tmp_path))
        assert '<img src="file:///etc/passwd">' in text  # printed as text, escaped
        assert all("/static/" in u for u in rendered.asked)
        raw = render.html_to_pdf(
            f'<p>{hostile}</p><link rel="stylesheet" href="{network}">'
            '<div style="background: url(file:///etc/hosts)">x</div>',
            app.config["PHOTOS_DIR"],
        )
        assert "file:///etc/passwd" in raw.refused and network in raw.refused
        assert "file:///etc/hosts" in raw.refused
        assert hits == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_fetcher_serves_only_static_files_and_stored_photos(tmp_path):
    photos = tmp_path / "photos"
    (photos / "ab").mkdir(parents=True)
    (photos / "ab" / "abc").write_bytes(jpeg(1))
    (tmp_path / "secret.txt").write_text("no")
    (photos / "ab" / "link").symlink_to(tmp_path / "secret.txt")
    fetcher = LocalFetcher(render.STATIC, photos)
    css = (render.STATIC / "print" / "findings.css").as_uri()
    assert fetcher.fetch(css).read().startswith(b"/*")
    assert fetcher.fetch((photos / "ab" / "abc").as_uri()).read()[:3] == b"\xff\xd8\xff"
    for url in (
        (tmp_path / "secret.txt").as_uri(),
        (photos / "ab" / "link").as_uri(),
        (photos / ".." / "secret.txt").as_uri().replace("%2E", "."),
        "file://example.org/etc/passwd",
        "https://example.org/logo.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://example.org/x",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7


def test_report_with_100_photos_renders(world, db, app, tmp_path):
    visits = [gen_approved_visit(db, "dishub", quality=0.0, seed=n) for n in (1, 2)]
    for n in range(100):
        digest = records.store_photo(db, app.config["PHOTOS_DIR"], jpeg(n), "image/jpeg", 400, 300)
        on_item = n % 2 == 0
        records.attach_photo(
            db,
            visits[n % 2],
            digest,
            "kepatuhan" if on_item else "",
            "persyaratan_loket" if on_item else "",
            caption=f"Bukti {n}",
        )
    rendered = render.opd_pdf(db, "dishub", *PERIOD, app.config["PHOTOS_DIR"])
    photos = {u for u in rendered.asked if "/photos/" in u}
    assert len(photos) == 100 and rendered.refused == []
    pages = pdf_pages(rendered.pdf, tmp_path)
    assert 10 <= pages <= 60
    text = flat(pdf_text(rendered.pdf, tmp_path))
    assert "Bukti 0" in text and "Bukti 99" in text


# --- CLI and web ----------------------------------------------------------------------


def test_cli_writes_each_document(seeded, runner, db, tmp_path):
    visit_uuid = db.execute("select uuid from visits limit 1").fetchone()[0]
    result = runner.invoke(args=["findings", "visit", visit_uuid, "--out", str(tmp_path / "v.pdf")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v.pdf").read_bytes().startswith(b"%PDF")
    period = ["--from", PERIOD[0], "--to", PERIOD[1]]
    result = runner.invoke(args=["findings", "opd", "dpmptsp", *period])
    assert result.exit_code == 0, result.output
    exports = Path(seeded.config["EXPORTS_DIR"])
    assert (exports / "temuan-dpmptsp-2026-04-01-2026-09-30.pdf").exists()
    result = runner.invoke(args=["findings", "city", *period, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert (exports / "laporan-kota-2026-04-01-2026-09-30.pdf").exists()
    bad = runner.invoke(args=["findings", "opd", "nope", *period])
    assert bad.exit_code == 1 and "nope" in bad.output


def test_cli_all_opds_writes_one_pdf_per_opd(seeded, runner, db, tmp_path):
    period = ("2026-09-01", "2026-09-30")
    expected = figures.opd_slugs_with_visits(db, *period)
    assert 0 < len(expected) < 5
    out = tmp_path / "out"
    result = runner.invoke(
        args=["findings", "all-opds", "--from", period[0], "--to", period[1], "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.glob("*.pdf"))
    assert written == sorted(render.opd_filename(s, *period) for s in expected)
    reversed_period = runner.invoke(
        args=["findings", "all-opds", "--from", period[1], "--to", period[0]]
    )
    assert reversed_period.exit_code == 2


def test_supervisor_downloads_pdfs_from_the_reports_page(seeded, client, auth, db):
    auth.login("supervisor")
    page = client.get("/reports/")
    assert page.status_code == 200
    assert b"Dinas Perhubungan Kota Jambi" in page.data and b"/reports/city.pdf" in page.data
    query = f"?date_from={PERIOD[0]}&date_to={PERIOD[1]}&lang=en"
    response = client.get(f"/reports/opd/{SLUG}.pdf{query}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "temuan-dishub-2026-04-01-2026-09-30.pdf" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF")
    visit_uuid = db.execute("select uuid from visits limit 1").fetchone()[0]
    sheet = client.get(f"/reports/visit/{visit_uuid}.pdf")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")
    assert client.get("/reports/city.pdf?date_from=2026-13-01").status_code == 400
    reversed_page = client.get("/reports/?date_from=2026-09-30&date_to=2026-04-01")
    assert reversed_page.status_code == 400
    assert client.get("/reports/visit/nope.pdf").status_code == 404


def test_reports_are_for_supervisors_only(seeded, client, auth):
    assert client.get("/reports/").status_code == 302
    auth.login("evaluator1")
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/opd/{SLUG}.pdf").status_code == 403
    assert client.get("/reports/export/csv").status_code == 403
