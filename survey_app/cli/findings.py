"""`survey-app findings visit|opd|city|all-opds` and `verify-document`: PDFs from the CLI.

OPD and city reports are official documents: each takes the next number of
the register (store/documents.py) and its checksum is recorded, which
`verify-document` checks a file against. Visit sheets stay unnumbered.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlite_utils import Database

from survey_app.cli.common import DATE, domain_errors
from survey_app.findings import figures, rapor, render
from survey_app.store import records
from survey_app.store.connection import connect
from survey_app.web.database import get_db

findings_group = AppGroup("findings", help="PDF findings: one visit, one OPD or the city.")
LANG = click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default="id",
    show_default=True,
    help="Language of the report.",
)
PERIOD_FROM = click.option("--from", "date_from", type=DATE, required=True)
PERIOD_TO = click.option("--to", "date_to", type=DATE, required=True)


def _span(date_from, date_to) -> tuple[str, str]:
    """The period as ISO dates; a usage error when it ends before it starts."""
    if date_to < date_from:
        raise click.UsageError("--to is before --from")
    return date_from.date().isoformat(), date_to.date().isoformat()


def _settings() -> dict:
    cfg = current_app.config
    return {"photo_dir": cfg["PHOTOS_DIR"], "issuer": cfg.get("REPORT_ISSUER", "")}


def _target(out: Path | None, name: str) -> Path:
    """--out when given, else the exports folder; parent folders are created."""
    path = out or Path(current_app.config["EXPORTS_DIR"]) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _official() -> render.Official:
    """Letterhead, numbering and signer from the REPORT_* settings; the register notes the CLI."""
    return render.Official.from_config(current_app.config, created_by="cli")


def _write(rendered: render.Rendered, path: Path) -> None:
    path.write_bytes(rendered.pdf)
    number = f", No. {rendered.number}" if rendered.number else ""
    click.echo(f"{path} ({rendered.pages} pages{number})")


@findings_group.command("visit")
@click.argument("visit_uuid")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@LANG
@domain_errors
def visit_command(visit_uuid, out, lang):
    """The visit sheet (lembar kunjungan) of one visit."""
    db = get_db()
    rendered = render.visit_pdf(db, visit_uuid, locale=lang, **_settings())
    date = records.visit_date(db, visit_uuid)
    _write(rendered, _target(out, render.visit_filename(date, visit_uuid)))


@findings_group.command("opd")
@click.argument("slug")
@PERIOD_FROM
@PERIOD_TO
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@LANG
@domain_errors
def opd_command(slug, date_from, date_to, out, lang):
    """The findings report (laporan temuan) of one OPD for a period."""
    start, end = _span(date_from, date_to)
    photo_dir = current_app.config["PHOTOS_DIR"]
    rendered = render.official_opd_pdf(get_db(), slug, start, end, photo_dir, _official(), lang)
    _write(rendered, _target(out, render.opd_filename(slug, start, end)))


@findings_group.command("city")
@PERIOD_FROM
@PERIOD_TO
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@LANG
@domain_errors
def city_command(date_from, date_to, out, lang):
    """The city-wide report (laporan kota) for a period."""
    start, end = _span(date_from, date_to)
    photo_dir = current_app.config["PHOTOS_DIR"]
    rendered = render.official_city_pdf(get_db(), start, end, photo_dir, _official(), lang)
    _write(rendered, _target(out, render.city_filename(start, end)))


@findings_group.command("rapor")
@click.argument("slug")
@PERIOD_FROM
@PERIOD_TO
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@LANG
@domain_errors
def rapor_command(slug, date_from, date_to, out, lang):
    """The Ombudsman readiness report (rapor) of one OPD, or of the city with SLUG 'city'."""
    start, end = _span(date_from, date_to)
    target = None if slug == "city" else slug
    photo_dir = current_app.config["PHOTOS_DIR"]
    rendered = rapor.official_rapor_pdf(get_db(), target, start, end, photo_dir, _official(), lang)
    _write(rendered, _target(out, rapor.filename(target, start, end)))


@findings_group.command("all-opds")
@PERIOD_FROM
@PERIOD_TO
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the PDFs (default: the exports folder).",
)
@LANG
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="PDFs rendered at once, one process each (default: one per CPU core).",
)
@domain_errors
def all_opds_command(date_from, date_to, out, lang, jobs):
    """One findings report per OPD with approved visits in the period."""
    db = get_db()
    start, end = _span(date_from, date_to)
    folder = out or Path(current_app.config["EXPORTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    slugs = figures.opd_slugs_with_visits(db, start, end)
    # Numbered here, in OPD order, so the register reads the same whatever the jobs.
    tasks = [_task(db, slug, start, end, lang, folder) for slug in slugs]
    pages = 0
    with click.progressbar(length=len(tasks), label="Findings", show_pos=True) as bar:
        for done in _rendered(tasks, jobs or os.cpu_count() or 1):
            pages += done
            bar.update(1)
    click.echo(f"{len(slugs)} OPD reports ({pages} pages) written to {folder}")


@dataclass(frozen=True)
class _Task:
    """One OPD report to render: all a worker process needs, picklable."""

    database: str
    photo_dir: str
    slug: str
    period: tuple[str, str]
    locale: str
    official: render.Official
    document: dict
    path: Path


def _task(db: Database, slug: str, start: str, end: str, lang: str, folder: Path) -> _Task:
    """Issue the OPD's document number and describe its rendering."""
    cfg = current_app.config
    opd_id = records.opd_by_slug(db, slug)["id"]
    official, row = render.issue(db, _official(), "opd", (start, end), opd_id)
    path = folder / render.opd_filename(slug, start, end)
    return _Task(cfg["DATABASE"], cfg["PHOTOS_DIR"], slug, (start, end), lang, official, row, path)


def _rendered(tasks: list[_Task], jobs: int):
    """Each task's page count as it finishes: in this process for one job, else in a pool."""
    if jobs == 1 or len(tasks) < 2:
        for task in tasks:
            yield _render(task, get_db())
        return
    # Fork (Linux's default): the workers start with the code already imported,
    # WeasyPrint included (imported here once rather than in every worker).
    import survey_app.findings.pdf  # noqa: F401

    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        for future in as_completed([pool.submit(_render, t) for t in tasks]):
            yield future.result()


_connections: dict[str, Database] = {}


def _render(task: _Task, db: Database | None = None) -> int:
    """Render one OPD report, write it and record its checksum; its page count."""
    if db is None:  # a worker: its own connection, opened once, never one inherited over fork
        db = _connections.get(task.database) or connect(task.database)
        _connections[task.database] = db
    rendered = render.opd_pdf(
        db, task.slug, *task.period, task.photo_dir, task.locale, official=task.official
    )
    task.path.write_bytes(rendered.pdf)
    render.seal(db, task.document, rendered)
    return rendered.pages


@click.command("verify-document")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_command(file):
    """Say whether FILE is a findings PDF issued here, unchanged: its number and date."""
    data = file.read_bytes()
    row = render.verify(get_db(), data)
    if row is None:
        digest = hashlib.sha256(data).hexdigest()
        click.echo(f"{file}: unknown document (sha256 {digest} is not in the register)")
        raise SystemExit(1)
    about = row["opd_name"] or "city"
    click.echo(
        f"{file}: document {row['number']}, issued {row['created_at']} by "
        f"{row['created_by'] or '-'}, {about}, {row['period_from']} to {row['period_to']}"
    )


COMMANDS = (findings_group, verify_command)
