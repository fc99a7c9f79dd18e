"""Exports round-trip: CSV (wide and long), XLSX, JSON and the photo ZIP hold the stored data."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile

from openpyxl import load_workbook

from survey_app.core import labels, quality, scoring
from survey_app.findings import exports
from survey_app.store import quality as quality_reads
from survey_app.store import records, summaries

from .test_findings import gen_approved_visit, jpeg, user_names


def stored_answers(db, status="approved") -> dict[tuple[str, str, str], object]:
    """(visit, instrument, item) -> value, straight from the answers table."""
    rows = db.execute(
        "select a.visit_uuid, a.instrument_id, a.item_id, a.value from answers a "
        "join visits v on v.uuid = a.visit_uuid where v.status = ?",
        [status],
    ).fetchall()
    return {(r[0], r[1], r[2]): json.loads(r[3]) for r in rows}


def as_text(value) -> str:
    """How a CSV cell holds an answer: lists as JSON, the rest as str()."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else str(value)


def test_csv_wide_and_long_hold_exactly_the_stored_answers(seeded, db):
    expected = stored_answers(db)
    visits = summaries.export_visits(db, status="approved")
    wide = list(csv.DictReader(io.StringIO(exports.render(db, "csv", visits, "").decode())))
    found = {}
    for row in wide:
        for column, cell in row.items():
            if "." in column and cell != "":
                inst, item = column.split(".", 1)
                found[(row["uuid"], inst, item)] = cell
    assert found == {k: as_text(v) for k, v in expected.items()}
    long = csv.DictReader(io.StringIO(exports.render(db, "csv-long", visits, "").decode()))
    rows = {(r["uuid"], r["instrument"], r["item"]): r["value"] for r in long}
    assert rows == {k: as_text(v) for k, v in expected.items()}


def test_json_holds_exactly_the_stored_answers(seeded, db):
    expected = stored_answers(db)
    visits = json.loads(exports.render(db, "json", summaries.export_visits(db), ""))["visits"]
    found = {
        (v["uuid"], a["instrument"], a["item"]): a["value"] for v in visits for a in v["answers"]
    }
    assert found == expected


def norm(value):
    """A cell compared by value: 100, 100.0 and "100.0" are the same figure."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def test_every_export_carries_the_data_quality_report(seeded, db, app, runner, tmp_path):
    """JSON member, XLSX sheet, kualitas-data.csv in the ZIP, companion CSV; same figures."""
    report = quality_reads.report(db, "2026-01-01", "2026-12-31")
    assert report["visits"] == db.table("visits").count > 0
    expected = [[m, str(v)] for m, v in quality.rows(report, labels.translations("id").gettext)]
    visits = summaries.export_visits(db, "2026-01-01", "2026-12-31", "approved")
    photo_dir = app.config["PHOTOS_DIR"]

    def render(fmt):
        return exports.render(db, fmt, visits, photo_dir, "id", report)

    assert json.loads(render("json"))["quality"] == json.loads(json.dumps(report))
    companion = list(csv.reader(io.StringIO(render("quality").decode())))
    assert companion[0] == ["Ukuran", "Nilai"] and companion[1:] == expected
    assert any(m.startswith("Kunjungan berstatus: Disetujui") for m, _ in companion[1:])
    book = load_workbook(io.BytesIO(render("xlsx")), read_only=True)
    rows = list(book["Kualitas data"].iter_rows(values_only=True))
    assert [[m, norm(v)] for m, v in rows[1:]] == [[m, norm(v)] for m, v in expected]
    book.close()
    with zipfile.ZipFile(io.BytesIO(render("zip"))) as archive:
        inside = list(csv.reader(io.StringIO(archive.read("kualitas-data.csv").decode())))
    assert inside == companion
    out = tmp_path / "visits.csv"
    result = runner.invoke(args=["export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    side = list(csv.reader(io.StringIO((tmp_path / "visits-kualitas.csv").read_text("utf-8"))))
    assert side[0] == ["Ukuran", "Nilai"] and len(side) > 5


def shown(item, value):
    """How the XLSX shows a stored answer to people (labels for codes, typed values)."""
    if value is None:
        return None
    options = {o.value: o.label.id for o in item.options}
    if item.type == "yesno" or value == "na":
        return {"yes": "Ya", "no": "Tidak", "na": "Tidak berlaku"}[value]
    if item.type == "choice":
        return options[value]
    if item.type == "multi":
        return "; ".join(options[v] for v in value)
    if item.type == "time":
        return dt.time.fromisoformat(value)
    return len(value) if item.type == "photo" else value


def test_xlsx_shows_labels_under_item_headers_and_keeps_the_codes(seeded, db):
    expected = stored_answers(db)
    visits = summaries.export_visits(db, status="approved")
    book = load_workbook(io.BytesIO(exports.render(db, "xlsx", visits, "")), read_only=True)
    assert book.sheetnames == ["Kunjungan", "Jawaban", "Kolom", "Kode"]  # no report, no sheet
    keys = [r[2] for r in book["Kolom"].iter_rows(min_row=2, values_only=True)]
    sheet = list(book["Kunjungan"].iter_rows(values_only=True))
    items = {f"{i.id}.{item.id}": item for i in records.current_instruments(db) for item in i.items}
    for header, key in zip(sheet[0], keys, strict=True):
        if key in items:
            assert header == items[key].label.id
    found = {}
    for row in sheet[1:]:
        for key, cell in zip(keys, row, strict=True):
            if key in items and cell is not None:
                found[(row[0], *key.split(".", 1))] = cell
    wanted = {k: shown(items[f"{k[1]}.{k[2]}"], v) for k, v in expected.items()}
    assert found == {k: v for k, v in wanted.items() if v is not None}
    long = list(book["Jawaban"].iter_rows(values_only=True))
    assert long[0][6:11] == ("Instrumen", "Butir", "Pertanyaan", "Jenis", "Jawaban")
    assert {(r[0], r[6], r[7]): r[10] for r in long[1:]} == wanted
    codes = {(r[0], r[1]): r[2] for r in book["Kode"].iter_rows(min_row=2, values_only=True)}
    assert codes[("OPD", "dishub")] == "Dinas Perhubungan Kota Jambi"
    assert codes[("Status", "approved")] == "Disetujui" and codes[("Zona", "hijau")] == "Zona Hijau"
    assert codes[("Jawaban", "na")] == "Tidak berlaku"
    book.close()


def test_xlsx_cells_are_typed_formatted_filtered_and_fitted(seeded, db):
    visits = summaries.export_visits(db, status="approved")
    book = load_workbook(io.BytesIO(exports.render(db, "xlsx", visits, "")))
    sheet = book["Kunjungan"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) for name in header}
    first, record = sheet[2], visits[0]
    assert first[col["OPD"]].value == records.opd_by_slug(db, record["opd"])["name"]
    assert first[col["Status"]].value == "Disetujui"
    visit_date = first[col["Tanggal kunjungan"]]
    assert visit_date.is_date and visit_date.number_format == "dd/mm/yyyy"
    assert visit_date.value.date() == dt.date.fromisoformat(record["visit_date"])
    sent = first[col["Dikirim (WIB)"]]
    utc = dt.datetime.fromisoformat(record["submitted_at"])
    assert sent.value == (utc + dt.timedelta(hours=7)).replace(tzinfo=None)  # WIB wall clock
    assert sent.number_format == "dd/mm/yyyy hh:mm"
    score = first[col["Kepatuhan"]]
    assert score.data_type == "n" and score.number_format == "0.00"
    assert score.value == scoring.round2(record["scores"]["compliance"]["score"])
    assert first[col["Zona"]].value.startswith("Zona ")
    arrival = first[col["Jam tiba di lokasi pelayanan"]]
    assert isinstance(arrival.value, dt.time) and arrival.number_format == "hh:mm"
    fee = next(c for c in first if c.number_format == '"Rp" #,##0')
    assert fee.data_type == "n"
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["A"] == len(record["uuid"]) + 2  # the longest value, plus a margin
    assert widths["E"] == len("Disetujui") + 2 and max(widths.values()) == 50  # labels capped
    book.close()


def test_xlsx_keeps_formula_like_answers_as_text(world, db):
    answers_text = '=HYPERLINK("http://example.org","klik")'
    visit_uuid = gen_approved_visit(db, "dishub", quality=0.9)
    db.execute(
        "update answers set value = ? where visit_uuid = ? and item_id = 'narasi'",
        [json.dumps(answers_text), visit_uuid],
    )
    payload = exports.render(db, "xlsx", summaries.export_visits(db), "")
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)
    book = load_workbook(io.BytesIO(payload))
    cells = [c for row in book["Jawaban"].iter_rows() for c in row if c.value == answers_text]
    assert cells and all(c.data_type == "s" for c in cells)
    book.close()


def test_photo_zip_names_files_by_visit_and_item(world, db, app):
    visit_uuid = gen_approved_visit(db, "dishub", quality=0.0)
    photo_dir = app.config["PHOTOS_DIR"]
    for n, item in enumerate(("persyaratan_loket", "persyaratan_loket", "")):
        digest = records.store_photo(db, photo_dir, jpeg(n), "image/jpeg", 400, 300)
        records.attach_photo(db, visit_uuid, digest, "kepatuhan" if item else "", item, f"Foto {n}")
    payload = exports.render(db, "zip", summaries.export_visits(db), photo_dir)
    folder = f"2026-05-04_{visit_uuid}"
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(
            [
                f"{folder}/kepatuhan.persyaratan_loket_1.jpg",
                f"{folder}/kepatuhan.persyaratan_loket_2.jpg",
                f"{folder}/visit_1.jpg",
                "kualitas-data.csv",
                "photos.csv",
            ]
        )
        manifest = list(csv.DictReader(io.StringIO(archive.read("photos.csv").decode())))
        for row in manifest:
            assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]
        assert [r["caption"] for r in manifest] == ["Foto 0", "Foto 1", "Foto 2"]


def test_cli_export_formats(seeded, runner, db, tmp_path):
    for fmt in ("csv-long", "xlsx", "zip"):
        out = tmp_path / f"export.{exports.EXTENSIONS[fmt]}"
        result = runner.invoke(
            args=["export", "--format", fmt, "--opd", "dishub", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        assert "photos.csv" in archive.namelist()
    refused = runner.invoke(args=["export", "--format", "xlsx"])
    assert refused.exit_code == 1 and "--out" in refused.output
    long = list(csv.DictReader(io.StringIO((tmp_path / "export.csv").read_text("utf-8"))))
    assert {r["opd"] for r in long} == {"dishub"}


def test_web_exports_are_filtered_and_carry_no_names(seeded, client, auth, db):
    auth.login("supervisor")
    query = "date_from=2026-06-01&date_to=2026-08-31&opd=dpmptsp&status=approved"
    response = client.get(f"/reports/export/csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    expected = summaries.export_visits(
        db, "2026-06-01", "2026-08-31", "approved", records.opd_by_slug(db, "dpmptsp")["id"]
    )
    assert [r["uuid"] for r in rows] == [v["uuid"] for v in expected] and rows
    names = user_names(db)
    for fmt in exports.FORMATS:
        response = client.get(f"/reports/export/{fmt}?{query}")
        assert response.status_code == 200, fmt
        body = response.data
        if fmt == "xlsx":
            book = load_workbook(io.BytesIO(body), read_only=True)
            body = json.dumps(
                [v for ws in book for row in ws.iter_rows(values_only=True) for v in row],
                default=str,
            ).encode()
            book.close()
        assert not any(name.encode() in body for name in names), fmt
        response.close()
    assert client.get("/reports/export/pdf").status_code == 404


FORMULAS = ['=HYPERLINK("http://example.org","klik")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def gen_hostile_visit(db) -> str:
    """An approved visit whose answers and notes start like formulas, one a real -3."""
    visit_uuid = gen_approved_visit(db, "dishub", quality=0.9)
    items = [
        r[0]
        for r in db.execute(
            "select item_id from answers where visit_uuid = ? order by item_id", [visit_uuid]
        )
    ]
    texts = [*FORMULAS, "a\x00b"]
    for item, text in zip(items, texts, strict=False):
        db.execute(
            "update answers set value = ?, note = ? where visit_uuid = ? and item_id = ?",
            [json.dumps(text), text, visit_uuid, item],
        )
    db.execute(
        "update answers set value = '-3' where visit_uuid = ? and item_id = ?",
        [visit_uuid, items[len(texts)]],
    )
    return visit_uuid


def assert_neutralised(text: str) -> None:
    """No cell starts a formula or holds NUL; the texts are kept behind a quote."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "\x00" not in text and "'ab" not in cells and "ab" in cells
    for cell in cells:
        assert cell == "-3" or not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert {"'" + f for f in FORMULAS} <= set(cells) and "-3" in cells


def test_csv_exports_neutralise_formulas(world, db, runner, tmp_path):
    gen_hostile_visit(db)
    visits = summaries.export_visits(db)
    for fmt in ("csv", "csv-long"):
        assert_neutralised(exports.render(db, fmt, visits, "").decode())
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert_neutralised(out.read_bytes().decode("utf-8"))  # bytes: keep the \r as written
