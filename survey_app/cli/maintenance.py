"""`survey-app backup|restore|import`: keeping and moving the data."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.cli.common import domain_errors
from survey_app.store import maintenance
from survey_app.web.database import get_db
from survey_app.web.forms import check_answers  # the sync API's own answer rules


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
@domain_errors
def backup_command(target):
    """Back up the database (online, while serving) and its photos into TARGET."""
    cfg = current_app.config
    with click.progressbar(length=100, label="Backup") as bar:
        done = [0]

        def step(copied, total):
            pct = int(100 * copied / total) if total else 100
            bar.update(pct - done[0])
            done[0] = pct

        summary = maintenance.backup(cfg["DATABASE"], cfg["PHOTOS_DIR"], target, step)
        bar.update(100 - done[0])
    check = maintenance.verify(target)
    click.echo(
        f"Backup written to {target}: {check['approved_visits']} approved visits, "
        f"{summary['photos']} photos, integrity {check['integrity']}."
    )


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Replace an existing database (never one a server has open)."
)
@with_appcontext
@domain_errors
def restore_command(source, force):
    """Check a backup, then restore it as the configured database and photo store.

    Stop the server first: a database in use is refused.
    """
    cfg = current_app.config
    summary = maintenance.restore(source, cfg["DATABASE"], cfg["PHOTOS_DIR"], force=force)
    click.echo(
        f"Restored {summary['approved_visits']} approved visits and "
        f"{summary['photos']} photos into {cfg['DATABASE']}."
    )


@click.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option(
    "--photos",
    "photo_zip",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The photo ZIP of the same export (`export --format zip`): its photos come along.",
)
@click.option(
    "--keep-status",
    is_flag=True,
    help="Keep each visit's reviewed status from the file (audited); by default every "
    "imported visit arrives submitted, for a supervisor here to review.",
)
@with_appcontext
@domain_errors
def import_command(source, photo_zip, keep_status):
    """Import visits from `export --format json`, each checked as the sync API checks it.

    All or nothing: one refused visit and nothing of the file is stored.
    """
    try:
        visits = json.load(source)
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{source.name}:{exc.lineno}: not valid JSON: {exc.msg}"
        ) from None
    if isinstance(visits, dict):  # {"quality": ..., "visits": [...]} since exports carry it
        visits = visits.get("visits", [])
    if not isinstance(visits, list):
        raise click.ClickException(f"{source.name}: expected a list of visits")
    result = maintenance.import_visits(
        get_db(),
        visits,
        check_answers,
        keep_status=keep_status,
        photo_bytes=_zip_photos(photo_zip) if photo_zip else None,
        photo_dir=current_app.config["PHOTOS_DIR"],
    )
    for uuid, reason in result.refused:
        click.echo(f"{source.name}: visit {uuid}: {reason}", err=True)
    if result.refused:
        raise click.ClickException(
            f"{len(result.refused)} visit(s) refused; nothing of {source.name} was imported."
        )
    click.echo(f"{result.stored} visits imported, {result.present} already present.")


def _zip_photos(path: Path) -> dict[str, bytes]:
    """The photos of an export ZIP by their SHA-256, as its photos.csv lists them."""
    with zipfile.ZipFile(path) as archive:
        manifest = csv.DictReader(io.StringIO(archive.read("photos.csv").decode("utf-8")))
        return {row["sha256"]: archive.read(row["file"]) for row in manifest if row.get("sha256")}


COMMANDS = (backup_command, restore_command, import_command)
