"""Official findings PDFs: letterhead, register numbers, checksums, approval; all-opds in a pool."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from survey_app import create_app
from survey_app.findings import figures, pdf, render
from survey_app.store import demo, documents, records
from survey_app.store.connection import connect, migrate
from tests.test_findings import PERIOD, SLUG, flat, pdf_pages, pdf_text

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    "REPORT_ISSUER": "Pemerintah Kota Jambi",
    "REPORT_UNIT": "Inspektorat",
    "REPORT_ADDRESS": "Jl. Contoh Raya No. 1, Jambi 36122",
    "REPORT_SIGNER_NAME": "Budi Santoso, S.H., M.H.",
    "REPORT_SIGNER_POSITION": "Inspektur Kota Jambi",
    "REPORT_SIGNER_NIP": "197001012000031001",
    "REPORT_PLACE": "Jambi",
}


def page_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    """Each page's text, layout kept and runs of spaces collapsed, as pdf_text does."""
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    pages = [flat_lines(page) for page in out.split("\f")]
    return [page for page in pages if page]


def flat_lines(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def png(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (60, 70), color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def official_app(tmp_path_factory):
    """Demo data, a configured letterhead and signer, and an emblem outside the package."""
    tmp = tmp_path_factory.mktemp("documents")
    (tmp / "kop").mkdir()
    (tmp / "kop" / "lambang.png").write_bytes(png((200, 30, 30)))
    (tmp / "kop" / "other.png").write_bytes(png((0, 0, 0)))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp / "survey.db"),
            "PHOTOS_DIR": str(tmp / "photos"),
            "EXPORTS_DIR": str(tmp / "exports"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
            "REPORT_EMBLEM": str(tmp / "kop" / "lambang.png"),
            **SETTINGS,
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"])
    yield app, db
    db.close()


@pytest.fixture(scope="module")
def issued(official_app):
    """An OPD report, then the city report, both numbered through the register."""
    app, db = official_app
    official = render.Official.from_config(app.config, created_by="tester")
    photos = app.config["PHOTOS_DIR"]
    opd = render.official_opd_pdf(db, SLUG, *PERIOD, photos, official)
    city = render.official_city_pdf(db, "2026-01-01", PERIOD[1], photos, official)
    return opd, city


def test_first_page_carries_the_kop_number_and_emblem(official_app, issued, tmp_path):
    app, _ = official_app
    opd, _ = issued
    first = page_texts(opd.pdf, tmp_path)[0]
    lines = first.splitlines()
    assert lines[:3] == ["PEMERINTAH KOTA JAMBI", "INSPEKTORAT", SETTINGS["REPORT_ADDRESS"]]
    year = dt.datetime.now(render.WIB)
    roman = render.ROMAN_MONTHS[year.month - 1]
    assert re.fullmatch(rf"\d{{3}}/LT-MS/INSPEKTORAT/{roman}/{year.year}", opd.number)
    assert f"Nomor: {opd.number}" in first
    assert Path(app.config["REPORT_EMBLEM"]).as_uri() in opd.asked and opd.refused == []


def test_every_later_page_has_the_number_in_its_footer(issued, tmp_path):
    opd, _ = issued
    pages = page_texts(opd.pdf, tmp_path)[1:]
    assert len(pages) == opd.pages - 1
    for n, page in enumerate(pages, 2):
        assert f"Nomor: {opd.number}" in page and f"Halaman {n} dari {opd.pages}" in page


def test_approval_block_closes_the_document(issued, tmp_path):
    opd, city = issued
    today = dt.datetime.now(render.WIB).date()
    month = render.formatting.MONTHS["id"][today.month - 1]
    for rendered in (opd, city):
        lines = page_texts(rendered.pdf, tmp_path)[-1].splitlines()
        start = lines.index(f"Jambi, {today.day} {month} {today.year}")
        assert lines[start + 1 : start + 5] == [
            "Mengetahui,",
            "Inspektur Kota Jambi",
            "Budi Santoso, S.H., M.H.",
            "NIP. 197001012000031001",
        ]
        assert lines[start + 5].startswith("Nomor: ")  # then only the running footer


def test_numbers_are_unique_and_increase_within_the_year(official_app, issued):
    _, db = official_app
    opd, city = issued
    rows = documents.for_year(db, dt.datetime.now(render.WIB).year)
    numbers = [r["number"] for r in rows]
    assert numbers.index(opd.number) < numbers.index(city.number)
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(set(seqs)) and seqs[0] == 1
    assert {r["kind"] for r in rows} >= {"opd", "city"} and rows[0]["created_by"] == "tester"
    for rendered in issued:
        row = next(r for r in rows if r["number"] == rendered.number)
        assert row["sha256"] == hashlib.sha256(rendered.pdf).hexdigest()


def test_a_new_year_starts_at_one(tmp_path):
    db = connect(tmp_path / "s.db")
    migrate(db)
    official = render.Official(number_pattern="{seq}/{kind}/{year}")
    when = [dt.datetime(2026, 12, 31, 23, 0, tzinfo=render.WIB)] * 2
    when.append(dt.datetime(2027, 1, 1, 8, 0, tzinfo=render.WIB))
    made = [
        documents.issue(
            db, "city", PERIOD, None, "", lambda s, w: official.number_for(s, w, "city"), w
        )
        for w in when
    ]
    assert [m["number"] for m in made] == ["1/city/2026", "2/city/2026", "1/city/2027"]
    bad = render.Official(number_pattern="{seq}/{nope}")
    with pytest.raises(render.DomainError):
        bad.number_for(1, when[0], "opd")


def test_city_trend_shows_months_without_visits(issued, tmp_path):
    _, city = issued
    text = pdf_text(city.pdf, tmp_path)
    for month in ("Januari 2026", "Februari 2026", "Maret 2026"):
        assert re.search(rf"^{month} 0 - - - -$", text, re.M), month
    assert re.search(r"^April 2026 \d+ \d+,\d\d", text, re.M)


def test_visit_sheet_names_the_count_and_the_weighted_score(official_app, tmp_path):
    app, db = official_app
    visit_uuid = db.execute("select uuid from visits where status = 'approved'").fetchone()[0]
    f = figures.visit_sheet(db, visit_uuid)["figures"]
    rendered = render.visit_pdf(db, visit_uuid, app.config["PHOTOS_DIR"])
    text = flat(pdf_text(rendered.pdf, tmp_path))
    score = render.formatting.number(f["compliance"])
    expected = (
        f"{f['passed']} dari {f['applicable']} butir yang berlaku terpenuhi · "
        f"skor kepatuhan tertimbang {score}"
    )
    assert expected in text
    assert rendered.number is None and "Nomor:" not in text  # visit sheets stay unnumbered


def test_fetcher_allows_the_configured_emblem_and_nothing_beside_it(official_app, tmp_path):
    app, _ = official_app
    emblem = Path(app.config["REPORT_EMBLEM"])
    fetcher = pdf.LocalFetcher(render.STATIC, tmp_path, files=(emblem,))
    assert fetcher.fetch(emblem.as_uri()).read().startswith(b"\x89PNG")
    for url in (
        (emblem.parent / "other.png").as_uri(),
        (emblem.parent / ".." / "survey.db").as_uri().replace("%2E", "."),
        emblem.parent.as_uri(),
    ):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(url)
    default = render.Official()
    assert default.emblem.is_file() and default.emblem.is_relative_to(render.STATIC)


def test_verify_document_knows_issued_files_and_refuses_changed_ones(official_app, tmp_path):
    app, _ = official_app
    runner = app.test_cli_runner()
    from survey_app.cli import cli

    out = tmp_path / "kota.pdf"
    made = runner.invoke(
        cli, ["findings", "city", "--from", PERIOD[0], "--to", PERIOD[1], "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    number = re.search(r"No\. (\S+)\)", made.output).group(1)
    known = runner.invoke(cli, ["verify-document", str(out)])
    assert known.exit_code == 0 and number in known.output and "2026-04-01" in known.output
    tampered = tmp_path / "ubah.pdf"
    tampered.write_bytes(out.read_bytes() + b"\n% one byte changed is another document\n")
    unknown = runner.invoke(cli, ["verify-document", str(tampered)])
    assert unknown.exit_code == 1 and "unknown document" in unknown.output


def _normalised(path: Path, tmp_path: Path) -> str:
    """The PDF's text without what differs by run: the number and the printing time."""
    text = pdf_text(path.read_bytes(), tmp_path)
    text = re.sub(r"\d{3}/LT-MS/\S+", "N", text)
    return re.sub(r"Dicetak pada .*WIB", "Dicetak", text)


def test_all_opds_in_two_processes_gives_the_serial_pdfs(official_app, tmp_path):
    app, db = official_app
    from survey_app.cli import cli

    period = ["--from", "2026-09-01", "--to", "2026-09-30"]
    runner = app.test_cli_runner()
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        result = runner.invoke(
            cli, ["findings", "all-opds", *period, "--out", str(out), "--jobs", jobs]
        )
        assert result.exit_code == 0, result.output
    serial, pooled = sorted((tmp_path / "1").glob("*.pdf")), sorted((tmp_path / "2").glob("*.pdf"))
    assert [p.name for p in serial] == [p.name for p in pooled] and len(serial) >= 2
    for one, two in zip(serial, pooled, strict=True):
        assert pdf_pages(one.read_bytes(), tmp_path) == pdf_pages(two.read_bytes(), tmp_path)
        assert _normalised(one, tmp_path) == _normalised(two, tmp_path)
        digest = hashlib.sha256(two.read_bytes()).hexdigest()
        assert documents.by_checksum(db, digest)["kind"] == "opd"


def test_web_download_is_numbered_and_registered(official_app):
    app, db = official_app
    client = app.test_client()
    client.post("/login", data={"username": "supervisor", "password": demo.PASSWORD})
    response = client.get(f"/reports/opd/{SLUG}.pdf?date_from={PERIOD[0]}&date_to={PERIOD[1]}")
    assert response.status_code == 200
    row = render.verify(db, response.data)
    assert row["created_by"] == "supervisor" and row["opd_name"] == "Dinas Perhubungan Kota Jambi"
