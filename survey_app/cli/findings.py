"""`survey-app findings visit|opd|city|all-opds`: the PDF findings from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from survey_app.cli.common import DATE, domain_errors
from survey_app.findings import figures, render
from survey_app.store import records
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


def _write(rendered: render.Rendered, path: Path) -> None:
    path.write_bytes(rendered.pdf)
    click.echo(f"{path} ({rendered.pages} pages)")


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
    rendered = render.opd_pdf(get_db(), slug, start, end, locale=lang, **_settings())
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
    rendered = render.city_pdf(get_db(), start, end, locale=lang, **_settings())
    _write(rendered, _target(out, render.city_filename(start, end)))


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
@domain_errors
def all_opds_command(date_from, date_to, out, lang):
    """One findings report per OPD with approved visits in the period."""
    db = get_db()
    start, end = _span(date_from, date_to)
    folder = out or Path(current_app.config["EXPORTS_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    slugs = figures.opd_slugs_with_visits(db, start, end)
    pages = 0
    with click.progressbar(slugs, label="Findings", item_show_func=lambda s: s or "") as bar:
        for slug in bar:
            rendered = render.opd_pdf(db, slug, start, end, locale=lang, **_settings())
            (folder / render.opd_filename(slug, start, end)).write_bytes(rendered.pdf)
            pages += rendered.pages
    click.echo(f"{len(slugs)} OPD reports ({pages} pages) written to {folder}")


COMMANDS = (findings_group,)
