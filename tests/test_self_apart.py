"""Self-assessments are absent from every independent figure: added, they change none.

The demo city is read everywhere an independent figure shows (the dashboard's city
and OPD pages, the OPD's own page, the city and OPD PDFs read back with
pdftotext, every export, the scores command), then the OPD assesses itself on
all three kinds, through the forms and the API, with answers far from the
independent ones, and everything is read again. Only the self-assessment
sections (labelled, and cut out here) may differ; they do, to prove the
self-assessments were there to leak.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
import uuid
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from survey_app.cli import cli
from survey_app.findings import figures, render
from survey_app.store import check_views, records

from .supervisor_data import DESK_COMPONENTS as COMPONENTS
from .supervisor_data import login
from .test_self_assessment import checklist_answers, form_uuid

FROM = "2026-04-01"
SLUGS = ("disdukcapil", "dishub")  # the OPD that assesses itself, and one that does not
SELF_HTML = re.compile(
    r'<section class="card side-by-side" id="self-vs-independent">.*?</section>', re.S
)
CSRF = re.compile(r'(name="csrf_token" value=|data-csrf(-token)?=)"[^"]*"')


def pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    """The PDF's text page by page, layout kept, runs of spaces collapsed."""
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    return [
        "\n".join(" ".join(line.split()) for line in page.splitlines()) for page in out.split("\f")
    ]


def independent_text(pages: list[str]) -> str:
    """A report's text without the OPD's self-assessment pages (its section starts a page,
    and the next section starts another), page numbers and the printing time left out."""
    heading = re.compile(r"^\d+\. Penilaian mandiri berdampingan", re.M)
    kept = []
    skipping = False
    for page in pages:
        if heading.search(page):
            skipping = True
        elif skipping and re.search(r"^\d+\. Metode dan periode", page, re.M):
            skipping = False
        if not skipping:
            kept.append(page)
    text = "\f".join(kept)
    text = re.sub(r"Halaman \d+ dari \d+", "Halaman", text)
    return re.sub(r"\d{1,2}[:.]\d{2} WIB", "HH:MM WIB", text)


SELF_COLUMNS = ("self_assessed", "Menilai diri (1 = ya)")  # exports label every check's side
ADDED: list = []  # the self-assessed rows the exports listed, labelled (checked by the test)


def _is_self(value) -> bool:
    return str(value).strip() in ("1", "True", "true")


def _rows_apart(rows: list) -> list:
    """Table rows (header first) without those labelled self-assessed; those kept in ADDED."""
    if not rows or not any(h in SELF_COLUMNS for h in rows[0]):
        return rows
    col = next(n for n, h in enumerate(rows[0]) if h in SELF_COLUMNS)
    ADDED.extend(r for r in rows[1:] if _is_self(r[col]))
    return [rows[0], *(r for r in rows[1:] if not _is_self(r[col]))]


def independent_json(body: bytes) -> object:
    """An export's JSON without the records labelled self-assessed."""
    data = json.loads(body)
    for key, rows in data.items() if isinstance(data, dict) else ():
        if isinstance(rows, list):
            ADDED.extend(
                r for r in rows if isinstance(r, dict) and _is_self(r.get("self_assessed", 0))
            )
            data[key] = [
                r for r in rows if not (isinstance(r, dict) and _is_self(r.get("self_assessed", 0)))
            ]
    return data


def independent_csv(body: bytes) -> list:
    """A CSV export's rows without those labelled self-assessed."""
    return _rows_apart(list(csv.reader(io.StringIO(body.decode("utf-8-sig")))))


def snapshot(app, db, tmp_path, to: str) -> dict:
    """Every independent figure the app shows, prints or exports for the period."""
    sup, own = login(app, "supervisor"), login(app, "opd1")
    period = f"from={FROM}&to={to}"
    out = {}

    def page(client, url):
        html = client.get(url).get_data(as_text=True)
        return CSRF.sub("csrf", html)

    out["dashboard city"] = SELF_HTML.sub("[self]", page(sup, f"/dashboard/?{period}"))
    for slug in SLUGS:
        out[f"dashboard {slug}"] = SELF_HTML.sub(
            "[self]", page(sup, f"/dashboard/opd/{slug}?{period}")
        )
    out["opd page"] = SELF_HTML.sub("[self]", page(own, f"/opd/?{period}"))
    photo_dir = app.config["PHOTOS_DIR"]
    out["city pdf"] = independent_text(
        pdf_pages(render.city_pdf(db, FROM, to, photo_dir).pdf, tmp_path)
    )
    for slug in SLUGS:
        pages = pdf_pages(render.opd_pdf(db, slug, FROM, to, photo_dir).pdf, tmp_path)
        out[f"opd pdf {slug}"] = independent_text(pages)
    for fmt in ("json", "csv", "csv-long", "quality"):
        body = sup.get(f"/reports/export/{fmt}?date_from={FROM}&date_to={to}").data
        out[f"export {fmt}"] = independent_json(body) if fmt == "json" else independent_csv(body)
    xlsx = sup.get(f"/reports/export/xlsx?date_from={FROM}&date_to={to}").data
    book = load_workbook(io.BytesIO(xlsx))
    sheets = {ws.title: _rows_apart(list(ws.iter_rows(values_only=True))) for ws in book}
    # a sheet of checks that holds only self-assessed rows is as if absent
    out["export xlsx"] = {k: v for k, v in sheets.items() if len(v) > 1 or k in ("Kunjungan",)}
    response = sup.get(f"/reports/export/zip?date_from={FROM}&date_to={to}")
    zipped = response.data
    response.close()
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        out["export zip"] = {
            n: independent_csv(archive.read(n)) if n.endswith(".csv") else archive.read(n)
            for n in archive.namelist()
        }
        out["export zip"] = {
            k: v
            for k, v in out["export zip"].items()
            if v != [] and (not isinstance(v, list) or len(v) > 1 or k == "photos.csv")
        }
    runner = app.test_cli_runner()

    for by in ("opd", "city"):
        result = runner.invoke(
            cli, ["scores", "--by", by, "--from", FROM, "--to", to, "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        out[f"scores {by}"] = result.output
    span = {"from": FROM, "to": to, "previous_from": "2025-10-01", "previous_to": "2026-03-31"}
    items = figures.items_of(db, [(i.id, i.version) for i in records.current_instruments(db)])
    city = figures.city_figures(db, span, items)
    out["city figures"] = (
        city["figures"],
        [(o["slug"], o["rank"], o["figures"]) for o in city["opds"]],
    )
    return out


def self_assess_everything(app, db) -> None:
    """The OPD assesses itself: checklist all 'yes', desk all 'yes', a probe answered well;
    through the web forms and, dated inside the demo's visits, through the API."""
    own = login(app, "opd1")
    html = own.get("/opd/self/new/checklist").get_data(as_text=True)
    data = {**checklist_answers(db), "check_uuid": form_uuid(html)}
    assert own.post("/opd/self/new/checklist", data=data).status_code == 302
    desk = {f"tinjauan__{c}_ada": "yes" for c in COMPONENTS}
    desk.update({f"tinjauan__{c}_dokumen": "SK" for c in COMPONENTS})
    assert own.post("/opd/self/new/desk", data=desk).status_code == 302
    probe = {
        f"saluran__telepon_{k}": "yes"
        for k in ("tersambung", "dijawab", "benar", "lengkap", "sopan")
    }
    probe["sent_at"] = dt.date.today().isoformat() + "T08:00"
    assert own.post("/opd/self/new/probe?channel=telepon", data=probe).status_code == 302
    inst = next(i for i in records.current_instruments(db) if i.id == "kepatuhan")
    answers = {i.id: "yes" for i in inst.items if i.type == "yesno"}
    for i in inst.items:
        if i.type == "choice":
            answers[i.id] = i.passes[0] if i.passes else i.options[0].value
    body = {
        "uuid": str(uuid.uuid4()),
        "kind": "checklist",
        "opd_id": records.opd_by_slug(db, "disdukcapil")["id"],
        "instrument": {"id": "kepatuhan", "version": inst.version},
        "answers": answers,
        "check_date": "2026-08-15",
    }
    stored = own.post("/api/v1/checks", json=body)
    assert stored.status_code == 201, stored.get_json()


def test_self_assessments_change_no_independent_figure(seeded, db, tmp_path):
    to = dt.date.today().isoformat()
    ADDED.clear()
    before = snapshot(seeded, db, tmp_path, to)
    assert ADDED == []
    self_assess_everything(seeded, db)
    opd_id = records.opd_by_slug(db, "disdukcapil")["id"]
    assert len(check_views.self_assessments(db, opd_id)) == 4
    after = snapshot(seeded, db, tmp_path, to)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == []
    # the exports list the self-assessed probe, labelled (JSON, CSV in the ZIP, XLSX sheet)
    assert len(ADDED) >= 3
    # ...and the self-assessments were there to leak: their own sections show them
    sup = login(seeded, "supervisor")
    page = sup.get(f"/dashboard/opd/disdukcapil?from={FROM}&to={to}").get_data(as_text=True)
    shown = SELF_HTML.search(page).group(0)
    assert "menilai diri 100,00 · penilaian independen" in shown
    assert 'data-kind="checklist"' in shown and 'data-kind="desk"' in shown
    assert 'data-kind="probe"' in shown
    city = sup.get(f"/dashboard/?from={FROM}&to={to}").get_data(as_text=True)
    beside = SELF_HTML.search(city).group(0)
    assert 'data-self-opd="disdukcapil" data-kind="checklist"' in beside and "100,00" in beside
    pdf = render.opd_pdf(db, "disdukcapil", FROM, to, seeded.config["PHOTOS_DIR"]).pdf
    text = " ".join(" ".join(pdf_pages(pdf, tmp_path)).split())
    assert "menilai diri 100,00 · penilaian independen" in text


def test_the_independent_column_beside_a_self_assessment_takes_none_in(seeded, db):
    """More self-assessments move the self-assessed column only."""
    span = {"from": FROM, "to": dt.date.today().isoformat()}
    opd_id = records.opd_by_slug(db, "disdukcapil")["id"]
    self_assess_everything(seeded, db)
    first = figures.self_vs_independent(db, opd_id, span)
    own = login(seeded, "opd1")
    html = own.get("/opd/self/new/checklist").get_data(as_text=True)
    failing = {**checklist_answers(db, passing=0), "check_uuid": form_uuid(html)}
    assert own.post("/opd/self/new/checklist", data=failing).status_code == 302
    second = figures.self_vs_independent(db, opd_id, span)

    def independent(blocks):
        return [
            (
                b["kind"],
                b["independent"],
                [(d["code"], d["independent"]) for d in b["dimensions"]],
                sorted((r["item"], r["independent"]["share"]) for r in b["items"]),
            )
            for b in blocks
        ]

    assert independent(second) == independent(first)
    assert first[0]["kind"] == "checklist" and first[0]["independent"]["assessments"] > 0
    assert second[0]["self"]["score"] < first[0]["self"]["score"]
    assert second[0]["self"]["assessments"] == first[0]["self"]["assessments"] + 1
