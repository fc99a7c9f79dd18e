"""Visit exports beyond summaries' JSON and wide CSV: long CSV, XLSX, ZIP of photos (no Flask).

Every format starts from summaries.export_visits, so each holds exactly the
stored answers. Exports carry evaluator_id (never a name): they may reach an OPD.
Each carries the data-quality report of its selection (quality.py): JSON as a
"quality" member, XLSX as a sheet, the ZIP as kualitas-data.csv, and the CSV
formats, whose rows are visits or answers only, as the companion "quality" file.
Channel probes (findings/probes.py) travel with every format in the same way:
a "probes" member of the JSON, a sheet of the XLSX, uji-saluran.csv and the
probes' photos (uji-saluran/<date>_<uuid>/) in the ZIP,
and for the CSV formats the companion "probes" (one row per probe) and
"probes-long" (one row per probe answer) files, self-assessed ones marked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import IO, Any

from sqlite_utils import Database

from survey_app.core import labels, quality, scoring
from survey_app.core.i18n import N_
from survey_app.core.instruments import Item
from survey_app.findings import probes as probe_figures
from survey_app.store import records, summaries

FORMATS = ("json", "csv", "csv-long", "xlsx", "zip", "quality", "probes", "probes-long")
BINARY = ("xlsx", "zip")
EXTENSIONS = {
    "json": "json",
    "csv": "csv",
    "csv-long": "csv",
    "xlsx": "xlsx",
    "zip": "zip",
    "quality": "csv",
    "probes": "csv",
    "probes-long": "csv",
}
MIMETYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "csv-long": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "quality": "text/csv",
    "probes": "text/csv",
    "probes-long": "text/csv",
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
    probes: list[dict] | None = None,
) -> bytes:
    """The export file's bytes in one of FORMATS, with its quality report and the
    period's probes (findings.probes.export_rows) where they fit."""
    report = quality_report if quality_report is not None else {}
    probes = probes or []
    if fmt == "json":
        body = {"quality": report, "visits": visits, "probes": probes}
        return summaries.visits_json(body).encode("utf-8")
    if fmt == "quality":
        return quality_csv(report, locale).encode("utf-8")
    if fmt == "probes":
        return probes_csv(probes).encode("utf-8")
    if fmt == "probes-long":
        return probes_long_csv(probes).encode("utf-8")
    if fmt == "csv":
        return summaries.visits_csv(visits).encode("utf-8")
    if fmt == "csv-long":
        return long_csv(visits).encode("utf-8")
    if fmt == "xlsx":
        return xlsx(db, visits, locale, report, probes)
    if fmt == "zip":
        buf = io.BytesIO()
        write_photos_zip(buf, db, visits, photo_dir, report, locale, probes)
        return buf.getvalue()
    raise ValueError(f"unknown export format: {fmt}")


def filename(fmt: str, date_from: str | None, date_to: str | None, opd: str | None) -> str:
    """kunjungan[-opd][-from][-to][-long].ext"""
    parts = ["kunjungan", opd, date_from, date_to, "long" if fmt == "csv-long" else None]
    if fmt == "zip":
        parts[0] = "foto-kunjungan"
    if fmt == "quality":
        parts[0] = "kualitas-data"
    if fmt in ("probes", "probes-long"):
        parts[0], parts[4] = "uji-saluran", "long" if fmt == "probes-long" else None
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


# --- probes ----------------------------------------------------------------------------


def probes_csv(probes: list[dict]) -> str:
    """One row per probe: where, which channel, when asked and answered, the outcome
    against the deadline, response minutes and working days, scores, every answer."""
    items: list[str] = []
    for p in probes:
        for item in p["answers"]:
            column = f"{p['instrument']}.{item}"
            if column not in items:
                items.append(column)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[*probe_figures.PROBE_COLUMNS, *items])
    writer.writeheader()
    for p in probes:
        row = {k: p[k] for k in probe_figures.PROBE_COLUMNS}
        row.update({f"{p['instrument']}.{k}": cell_text(v) for k, v in p["answers"].items()})
        writer.writerow(summaries.csv_row(row))
    return buf.getvalue()


def probes_long_csv(probes: list[dict]) -> str:
    """One row per probe answer, with its note."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=probe_figures.PROBE_LONG_COLUMNS)
    writer.writeheader()
    for row in probe_figures.long_rows(probes):
        writer.writerow(summaries.csv_row({**row, "value": cell_text(row["value"])}))
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
# For people: names and labels where the other formats hold codes (the codes are on the
# sheet "Kode"), real dates, times and numbers with formats, a filter, fitted columns.

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
TIME_FORMAT = "hh:mm"
SCORE_FORMAT = "0.00"
RUPIAH_FORMAT = '"Rp" #,##0'
XLSX_VISIT_COLUMNS = (*VISIT_COLUMNS, "submitted_at", "reviewed_at", "compliance", "zone", "ikm")
XLSX_LONG_COLUMNS = (*VISIT_COLUMNS, "instrument", "item", "label", "type", "value", "note")
YESNO = {"yes": N_("Yes"), "no": N_("No"), "na": N_("Not applicable")}
XLSX_LABELS = {"submitted_at": N_("Sent (WIB)"), "reviewed_at": N_("Reviewed (WIB)")}
CODES = {"title": N_("Codes"), "kind": N_("Kind"), "code": N_("Code"), "label": N_("Label")}


def _items(db: Database, visits: list[dict]) -> dict[str, Item]:
    """'instrument.item' -> the item, from the versions the visits used (latest wins)."""
    found: dict[str, Item] = scoring.standard_items()
    versions = {(i["id"], i["version"]) for v in visits for i in v["instruments"]}
    for inst_id, version in sorted(versions, key=lambda iv: iv[1]):
        inst = records.instrument(db, inst_id, version)
        found.update({f"{inst.id}.{item.id}": item for item in inst.items})
    return found


def _columns(visits: list[dict]) -> list[str]:
    """Item columns in the order first met (as the wide CSV orders them)."""
    seen: dict[str, None] = {}
    for v in visits:
        for a in v["answers"]:
            seen.setdefault(f"{a['instrument']}.{a['item']}", None)
    return list(seen)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _wib(value: str | None) -> dt.datetime | None:
    """A stored UTC timestamp as the WIB wall-clock time (spreadsheets have no time zones)."""
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(WIB).replace(tzinfo=None)


def _time(value: str) -> Any:
    """'08:34' as a time cell; anything else stays the text it is."""
    try:
        return (dt.time.fromisoformat(value), TIME_FORMAT)
    except (TypeError, ValueError):
        return value


def _zone(scores: dict, locale: str) -> str | None:
    """The compliance zone's label ('Zona Hijau'), from the scores' own scheme."""
    scheme = scoring.load_schemes()[scores["scheme"]]
    band = next((b for b in scheme.bands if b.code == scores["zone"]), None)
    return band.label.get(locale) if band else scores["zone"]


def _option(item: Item, value: Any, locale: str) -> str:
    label = next((o.label for o in item.options if o.value == value), None)
    return label.get(locale) if label else str(value)


def _answer(item: Item | None, value: Any, locale: str, gettext) -> Any:
    """An answer as people read it: labels for codes; numbers, money and times typed."""
    if item is None or value is None:
        return cell_text(value)
    if item.type == "yesno" or (item.na and value == "na"):
        return gettext(YESNO.get(value, str(value)))
    if item.type == "choice":
        return _option(item, value, locale)
    if item.type == "multi":
        return "; ".join(_option(item, v, locale) for v in value)
    if item.type == "time":
        return _time(value)
    if item.role == "fee_asked":
        return (value, RUPIAH_FORMAT)
    if item.type == "photo":
        return len(value)  # how many photos; the ZIP export holds them
    return value


def _visit_cells(v: dict, names: dict, locale: str, gettext) -> list[Any]:
    """The fixed columns of one visit: names, labels, dates and scores as such."""
    skm = v["scores"]["skm"] or {}
    return [
        v["uuid"],
        names.get(v["opd"], v["opd"]),
        names.get(f"{v['opd']}/{v['service']}", v["service"]),
        v["evaluator_id"],
        gettext(labels.STATUSES.get(v["status"], v["status"])),
        (_date(v["visit_date"]), DATE_FORMAT),
        (_wib(v.get("submitted_at")), DATETIME_FORMAT),
        (_wib(v.get("reviewed_at")), DATETIME_FORMAT),
        (scoring.round2(v["scores"]["compliance"]["score"]), SCORE_FORMAT),
        _zone(v["scores"], locale),
        (scoring.round2(skm.get("ikm_converted")), SCORE_FORMAT),
    ]


def _heading(key: str, items: dict[str, Item], locale: str, gettext) -> str:
    """A column's header: the localized name of a fixed column, else the item's label."""
    if key in XLSX_LABELS:
        return gettext(XLSX_LABELS[key])
    if key in labels.COLUMNS:
        return gettext(labels.COLUMNS[key])
    return items[key].label.get(locale) if key in items else key


def xlsx(
    db: Database,
    visits: list[dict],
    locale: str = "id",
    quality_report: dict | None = None,
    probes: list[dict] | None = None,
) -> bytes:
    """Workbook: visits (item labels as headers), answers (long), columns, codes, data quality."""
    # Imported here, not above: openpyxl costs ~0.15 s a process, and only XLSX needs it.
    from survey_app.findings import workbook

    gettext = labels.translations(locale).gettext
    items, names = _items(db, visits), records.names_by_slug(db)
    columns = _columns(visits)
    book = workbook.new()
    wide = book.active
    wide.title = gettext(labels.SHEETS["visits"])
    fixed = list(XLSX_VISIT_COLUMNS)
    workbook.header(wide, [_heading(k, items, locale, gettext) for k in fixed + columns])
    for v in visits:
        given = {f"{a['instrument']}.{a['item']}": a["value"] for a in v["answers"]}
        answers = [_answer(items.get(c), given.get(c), locale, gettext) for c in columns]
        workbook.append(wide, _visit_cells(v, names, locale, gettext) + answers)
    workbook.finish(wide)
    _long_sheet(book, visits, items, names, locale, gettext)
    _key_sheet(book, fixed + columns, items, locale, gettext)
    _codes_sheet(book, visits, columns, items, names, locale, gettext)
    if quality_report:
        sheet = book.create_sheet(gettext(labels.QUALITY["title"]))
        workbook.header(
            sheet, [gettext(labels.QUALITY["measure"]), gettext(labels.QUALITY["value"])]
        )
        for measure, value in quality.rows(quality_report, gettext):
            workbook.append(sheet, [measure, value])
        workbook.finish(sheet)
    if probes:
        _probe_sheet(book, db, probes, locale, gettext)
    return workbook.save(book)


def _probe_sheet(book, db: Database, probes: list[dict], locale: str, gettext) -> None:
    """Sheet "Uji saluran": one row per probe, answers under their items' labels."""
    from survey_app.findings import workbook  # loaded by xlsx() already

    versions = {(p["instrument"], p["instrument_version"]) for p in probes}
    items = {
        f"{inst.id}.{item.id}": item
        for inst in records.instruments(db, sorted(versions, key=lambda v: v[1]))
        for item in inst.items
    }
    columns: list[str] = []
    for p in probes:
        for item in p["answers"]:
            if f"{p['instrument']}.{item}" not in columns:
                columns.append(f"{p['instrument']}.{item}")
    sheet = book.create_sheet(gettext(PROBE_SHEET))
    fixed = [gettext(PROBE_HEADINGS.get(k, k)) for k in probe_figures.PROBE_COLUMNS]
    workbook.header(
        sheet, fixed + [items[c].label.get(locale) if c in items else c for c in columns]
    )
    for p in probes:
        given = {f"{p['instrument']}.{k}": v for k, v in p["answers"].items()}
        answers = [_answer(items.get(c), given.get(c), locale, gettext) for c in columns]
        workbook.append(sheet, [p[k] for k in probe_figures.PROBE_COLUMNS] + answers)
    workbook.finish(sheet)


PROBE_SHEET = N_("Channel probes")
PROBE_HEADINGS = {
    "uuid": N_("Probe UUID"),
    "opd": N_("OPD"),
    "channel": N_("Channel"),
    "evaluator_id": N_("Evaluator (id)"),
    "self_assessed": N_("Self-assessed (1 = yes)"),
    "check_date": N_("Date"),
    "sent_at": N_("Question sent"),
    "answered_at": N_("Answer came"),
    "deadline": N_("Deadline"),
    "outcome": N_("Outcome"),
    "response_minutes": N_("Response time (working minutes)"),
    "response_working_days": N_("Response time (working days)"),
    "score": N_("Score"),
    "akses_informasi": N_("Access to information"),
    "pengaduan": N_("Complaint handling"),
}


def _long_sheet(book, visits: list[dict], items: dict, names: dict, locale: str, gettext) -> None:
    """One row per answer: the visit's names and labels, the item's keys, label and answer."""
    from survey_app.findings import workbook  # loaded by xlsx() already

    sheet = book.create_sheet(gettext(labels.SHEETS["answers"]))
    workbook.header(sheet, [_heading(k, items, locale, gettext) for k in XLSX_LONG_COLUMNS])
    for v in visits:
        visit = _visit_cells(v, names, locale, gettext)[: len(VISIT_COLUMNS)]
        for a in v["answers"]:
            item = items.get(f"{a['instrument']}.{a['item']}")
            question = item.label.get(locale) if item else None
            value = _answer(item, a["value"], locale, gettext)
            keys = [a["instrument"], a["item"], question, a["type"]]
            workbook.append(sheet, [*visit, *keys, value, a["note"]])
    workbook.finish(sheet)


def _key_sheet(book, keys: list[str], items: dict, locale: str, gettext) -> None:
    """Which header stands for which stored key (labels may repeat across instruments)."""
    from survey_app.findings import workbook  # loaded by xlsx() already

    sheet = book.create_sheet(gettext(labels.SHEETS["columns"]))
    workbook.header(
        sheet, [gettext(labels.COLUMNS["column"]), gettext(labels.COLUMNS["label"]), "key"]
    )
    for n, key in enumerate(keys, 1):
        workbook.append(sheet, [n, _heading(key, items, locale, gettext), key])
    workbook.finish(sheet)


def _codes_sheet(book, visits, columns, items: dict, names: dict, locale: str, gettext) -> None:
    """Sheet "Kode": every label the workbook shows in place of a code, with that code."""
    from survey_app.findings import workbook  # loaded by xlsx() already

    sheet = book.create_sheet(gettext(CODES["title"]))
    workbook.header(sheet, [gettext(CODES[k]) for k in ("kind", "code", "label")])
    rows: dict[tuple[str, str], str] = {}
    for v in visits:
        service = f"{v['opd']}/{v['service']}"
        rows[(gettext(labels.COLUMNS["opd"]), v["opd"])] = names.get(v["opd"], v["opd"])
        rows[(gettext(labels.COLUMNS["service"]), service)] = names.get(service, service)
        status = gettext(labels.STATUSES.get(v["status"], v["status"]))
        rows[(gettext(labels.COLUMNS["status"]), v["status"])] = status
        if v["scores"]["zone"]:
            rows[(gettext(labels.COLUMNS["zone"]), v["scores"]["zone"])] = _zone(
                v["scores"], locale
            )
    answer = gettext(labels.COLUMNS["value"])
    rows.update({(answer, code): gettext(text) for code, text in YESNO.items()})
    for key in columns:
        for option in items[key].options if key in items else ():
            rows[(answer, f"{key} = {option.value}")] = option.label.get(locale)
    kinds = [gettext(labels.COLUMNS[k]) for k in ("opd", "service", "status", "zone", "value")]
    for (kind, code), label in sorted(rows.items(), key=lambda r: (kinds.index(r[0][0]), r[0][1])):
        workbook.append(sheet, [kind, code, label])
    workbook.finish(sheet)


# --- ZIP of photos ----------------------------------------------------------------------


def photo_entries(db: Database, visits: list[dict]) -> list[dict[str, Any]]:
    """Each visit's photos and their file names, <date>_<uuid>/<instrument.item>_<n>.<ext>."""
    rows = records.photos_of_visits(db, [v["uuid"] for v in visits])
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
    probes: list[dict] | None = None,
) -> int:
    """Write the visits' photos, a photos.csv manifest and kualitas-data.csv into a ZIP,
    with the period's probes as uji-saluran.csv when there are any."""
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
        if probes:
            archive.writestr(
                "uji-saluran.csv", probes_csv(probes), compress_type=zipfile.ZIP_DEFLATED
            )
            for name, sha in probe_photo_files(db, probes):
                path = records.photo_path(photo_dir, sha)
                if path.is_file():
                    archive.write(path, name, compress_type=zipfile.ZIP_STORED)
                    written += 1
    return written


def probe_photo_files(db: Database, probes: list[dict]) -> list[tuple[str, str]]:
    """(file name in the ZIP, sha256) of the probes' evidence photos:
    uji-saluran/<date>_<uuid>/foto_<n>.<ext>, in the order taken."""
    out = []
    for p in probes:
        for n, sha in enumerate(p["photos"], start=1):
            row = records.photo(db, sha) or {}
            ext = PHOTO_EXTENSIONS.get(row.get("mime"), "bin")
            out.append((f"uji-saluran/{p['check_date']}_{p['uuid']}/foto_{n}.{ext}", sha))
    return out
