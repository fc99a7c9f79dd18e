"""Visit exports beyond summaries' JSON and wide CSV: long CSV, XLSX, ZIP of photos (no Flask).

Every format starts from summaries.export_visits, so each holds exactly the
stored answers. Exports carry evaluator_id (never a name): they may reach an OPD.
Each carries the data-quality report of its selection (quality.py): JSON as a
"quality" member, XLSX as a sheet, the ZIP as kualitas-data.csv, and the CSV
formats, whose rows are visits or answers only, as the companion "quality" file.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from sqlite_utils import Database

from survey_app.core import labels, quality, scoring
from survey_app.store import records, summaries

FORMATS = ("json", "csv", "csv-long", "xlsx", "zip", "quality")
BINARY = ("xlsx", "zip")
EXTENSIONS = {
    "json": "json",
    "csv": "csv",
    "csv-long": "csv",
    "xlsx": "xlsx",
    "zip": "zip",
    "quality": "csv",
}
MIMETYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "csv-long": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "quality": "text/csv",
}
VISIT_COLUMNS = ("uuid", "opd", "service", "evaluator_id", "status", "visit_date")
LONG_COLUMNS = (*VISIT_COLUMNS, "instrument", "item", "type", "value", "note")
PHOTO_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def render(
    db: Database,
    fmt: str,
    visits: list[dict],
    photo_dir: str | Path,
    locale: str = "id",
    quality_report: dict | None = None,
) -> bytes:
    """The export file's bytes in one of FORMATS, with its quality report where it fits."""
    report = quality_report if quality_report is not None else {}
    if fmt == "json":
        return summaries.visits_json({"quality": report, "visits": visits}).encode("utf-8")
    if fmt == "quality":
        return quality_csv(report, locale).encode("utf-8")
    if fmt == "csv":
        return summaries.visits_csv(visits).encode("utf-8")
    if fmt == "csv-long":
        return long_csv(visits).encode("utf-8")
    if fmt == "xlsx":
        return xlsx(db, visits, locale, report)
    if fmt == "zip":
        buf = io.BytesIO()
        write_photos_zip(buf, db, visits, photo_dir, report, locale)
        return buf.getvalue()
    raise ValueError(f"unknown export format: {fmt}")


def filename(fmt: str, date_from: str | None, date_to: str | None, opd: str | None) -> str:
    """kunjungan[-opd][-from][-to][-long].ext"""
    parts = ["kunjungan", opd, date_from, date_to, "long" if fmt == "csv-long" else None]
    if fmt == "zip":
        parts[0] = "foto-kunjungan"
    if fmt == "quality":
        parts[0] = "kualitas-data"
    return "-".join(p for p in parts if p) + "." + EXTENSIONS[fmt]


def cell_text(value: Any) -> Any:
    """An answer as the CSV and XLSX files hold it: lists as JSON, the rest unchanged."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value


# --- long CSV -------------------------------------------------------------------------


def long_rows(visits: list[dict]):
    """One row per stored answer, with the visit it belongs to."""
    for v in visits:
        for a in v["answers"]:
            yield {
                **{k: v.get(k) for k in VISIT_COLUMNS},
                "instrument": a["instrument"],
                "item": a["item"],
                "type": a["type"],
                "value": cell_text(a["value"]),
                "note": a["note"],
            }


def long_csv(visits: list[dict]) -> str:
    """Long CSV: one row per answer (uuid, opd, ..., instrument, item, type, value, note)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LONG_COLUMNS)
    writer.writeheader()
    writer.writerows(map(summaries.csv_row, long_rows(visits)))
    return buf.getvalue()


def quality_csv(report: dict, locale: str = "id") -> str:
    """The quality report as two columns, measure and value, in the export's locale."""
    gettext = labels.translations(locale).gettext
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([gettext(labels.QUALITY["measure"]), gettext(labels.QUALITY["value"])])
    if report:
        writer.writerows([map(summaries.csv_cell, row) for row in quality.rows(report, gettext)])
    return buf.getvalue()


# --- XLSX -----------------------------------------------------------------------------


def _item_labels(db: Database, visits: list[dict], locale: str) -> dict[str, str]:
    """'instrument.item' -> the item's label, from the versions the visits used."""
    found: dict[str, str] = {}
    versions = {(i["id"], i["version"]) for v in visits for i in v["instruments"]}
    for inst_id, version in sorted(versions, key=lambda iv: iv[1]):
        inst = records.instrument(db, inst_id, version)
        found.update({f"{inst.id}.{item.id}": item.label.get(locale) for item in inst.items})
    return found


def _columns(visits: list[dict]) -> list[str]:
    """Item columns in the order first met (as the wide CSV orders them)."""
    seen: dict[str, None] = {}
    for v in visits:
        for a in v["answers"]:
            seen.setdefault(f"{a['instrument']}.{a['item']}", None)
    return list(seen)


def _cell(sheet, value: Any, bold: bool = False) -> Cell:
    """A cell whose text stays text: no formula from user input, no illegal characters."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = Cell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _append(sheet, values: list[Any]) -> None:
    sheet.append([_cell(sheet, v) for v in values])


def _header(sheet, values: list[str]) -> None:
    sheet.append([_cell(sheet, v, bold=True) for v in values])
    sheet.freeze_panes = "A2"


def xlsx(
    db: Database, visits: list[dict], locale: str = "id", quality_report: dict | None = None
) -> bytes:
    """Workbook: visits (item labels as headers), answers (long), column key, data quality."""
    gettext = labels.translations(locale).gettext
    names = _item_labels(db, visits, locale)
    columns = _columns(visits)
    book = Workbook()
    wide = book.active
    wide.title = gettext(labels.SHEETS["visits"])
    fixed = [*VISIT_COLUMNS, "compliance", "zone", "ikm"]
    _header(wide, [gettext(labels.COLUMNS[c]) for c in fixed] + [names.get(c, c) for c in columns])
    for v in visits:
        given = {f"{a['instrument']}.{a['item']}": a["value"] for a in v["answers"]}
        skm = v["scores"]["skm"] or {}
        figures = [
            scoring.round2(v["scores"]["compliance"]["score"]),
            v["scores"]["zone"],
            scoring.round2(skm.get("ikm_converted")),
        ]
        _append(
            wide,
            [v.get(k) for k in VISIT_COLUMNS]
            + figures
            + [cell_text(given.get(c)) for c in columns],
        )
    _long_sheet(book, visits, gettext)
    _key_sheet(book, fixed, columns, names, gettext)
    if quality_report:
        sheet = book.create_sheet(gettext(labels.QUALITY["title"]))
        _header(sheet, [gettext(labels.QUALITY["measure"]), gettext(labels.QUALITY["value"])])
        for measure, value in quality.rows(quality_report, gettext):
            _append(sheet, [measure, value])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _long_sheet(book, visits: list[dict], gettext) -> None:
    sheet = book.create_sheet(gettext(labels.SHEETS["answers"]))
    _header(sheet, list(LONG_COLUMNS))
    for row in long_rows(visits):
        _append(sheet, [row[c] for c in LONG_COLUMNS])


def _key_sheet(book, fixed: list[str], columns: list[str], names: dict, gettext) -> None:
    """Which header stands for which stored key (labels may repeat across instruments)."""
    sheet = book.create_sheet(gettext(labels.SHEETS["columns"]))
    _header(sheet, [gettext(labels.COLUMNS["column"]), gettext(labels.COLUMNS["label"]), "key"])
    for n, key in enumerate(fixed + columns, 1):
        header = gettext(labels.COLUMNS[key]) if key in labels.COLUMNS else names.get(key, key)
        _append(sheet, [n, header, key])


# --- ZIP of photos ----------------------------------------------------------------------


def photo_entries(db: Database, visits: list[dict]) -> list[dict[str, Any]]:
    """Each visit's photos and their file names, <date>_<uuid>/<instrument.item>_<n>.<ext>."""
    uuids = json.dumps([v["uuid"] for v in visits])
    rows = db.execute(
        "select vp.*, p.mime from visit_photos vp join photos p on p.sha256 = vp.sha256 "
        "where vp.visit_uuid in (select value from json_each(?)) order by vp.id",
        [uuids],
    ).fetchall()
    dates = {v["uuid"]: (v["visit_date"], v["opd"]) for v in visits}
    counts: dict[str, int] = {}
    entries = []
    for r in rows:
        date, opd = dates[r["visit_uuid"]]
        stem = f"{r['instrument_id']}.{r['item_id']}" if r["item_id"] else "visit"
        folder = f"{date}_{r['visit_uuid']}"
        counts[folder + stem] = counts.get(folder + stem, 0) + 1
        ext = PHOTO_EXTENSIONS.get(r["mime"], "bin")
        entries.append(
            {
                "file": f"{folder}/{stem}_{counts[folder + stem]}.{ext}",
                "visit_uuid": r["visit_uuid"],
                "visit_date": date,
                "opd": opd,
                "instrument": r["instrument_id"],
                "item": r["item_id"],
                "caption": r["caption"] or "",
                "sha256": r["sha256"],
            }
        )
    return entries


def write_photos_zip(
    target: IO[bytes],
    db: Database,
    visits: list[dict],
    photo_dir: str | Path,
    quality_report: dict | None = None,
    locale: str = "id",
) -> int:
    """Write the visits' photos, a photos.csv manifest and kualitas-data.csv into a ZIP."""
    entries = photo_entries(db, visits)
    manifest = io.StringIO()
    writer = csv.DictWriter(manifest, fieldnames=list(entries[0]) if entries else ["file"])
    writer.writeheader()
    written = 0
    with zipfile.ZipFile(target, "w") as archive:
        for entry in entries:
            path = records.photo_path(photo_dir, entry["sha256"])
            if not path.is_file():
                entry["file"] = ""  # listed in the manifest as missing from the store
            else:
                archive.write(path, entry["file"], compress_type=zipfile.ZIP_STORED)
                written += 1
            writer.writerow(summaries.csv_row(entry))  # captions are the evaluator's text
        archive.writestr("photos.csv", manifest.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
        if quality_report is not None:
            archive.writestr(
                "kualitas-data.csv",
                quality_csv(quality_report, locale),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return written
