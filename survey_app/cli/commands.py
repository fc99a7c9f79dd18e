"""The data commands: init-db, check-instruments, seed-demo, create-user, run, export, scores."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app import create_app
from survey_app.cli import hub, serving
from survey_app.cli.common import DATE, day, domain_errors
from survey_app.core.instruments import load_directory, load_file
from survey_app.findings import exports
from survey_app.findings import probes as probe_figures
from survey_app.store import demo, opds, records, summaries
from survey_app.store import quality as quality_reads
from survey_app.store.connection import migrate
from survey_app.web.database import get_db


@click.command("init-db")
@with_appcontext
@domain_errors
def init_db_command():
    """Create or migrate the database and load the instruments directory."""
    if hub.is_hub():
        hub.init_hub()
        return
    db = get_db()
    migrate(db)
    problems = records.load_instruments_dir(db, current_app.config["INSTRUMENTS_DIR"])
    click.echo(f"Database ready: {current_app.config['DATABASE']}")
    if problems:
        raise click.ClickException("\n".join(problems))


@click.command("check-instruments")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def check_instruments_command(files):
    """Validate instrument files (default: the instruments directory)."""
    errors, count = [], 0
    if files:
        for path in files:
            try:
                load_file(path)
                count += 1
            except Exception as exc:  # InstrumentInvalid carries every error
                errors.extend(getattr(exc, "errors", [f"{path}: {exc}"]))
    else:
        loaded, errors = load_directory(current_app.config["INSTRUMENTS_DIR"])
        count = len(loaded)
    for line in errors:
        click.echo(line, err=True)
    if errors:
        sys.exit(1)
    click.echo(f"{count} instrument file(s) valid.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when OPDs already exist.")
@click.option("--seed", default=2026, show_default=True, help="Random seed.")
@with_appcontext
@domain_errors
def seed_demo_command(if_empty, seed):
    """Create demo OPDs, users and about 30 approved visits."""
    db = get_db()
    migrate(db)
    records.load_instruments_dir(db, current_app.config["INSTRUMENTS_DIR"])
    if if_empty and opds.exist(db):
        click.echo("Demo data already present; keeping it.")
    else:
        count = demo.seed(db, current_app.config["PHOTOS_DIR"], seed=seed)
        click.echo(f"Seeded {count} demo visits.")
    click.echo(
        "Demo logins (demo only): " + ", ".join(demo.USERNAMES) + f" / password '{demo.PASSWORD}'"
    )


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(records.ROLES), required=True)
@click.option("--name", default="")
@click.option("--opd", "opd_slug", default=None, help="Home OPD slug.")
@click.password_option()
@with_appcontext
@domain_errors
def create_user_command(username, role, name, opd_slug, password):
    """Add a user with a hashed password."""
    db = get_db()
    opd_id = records.opd_by_slug(db, opd_slug)["id"] if opd_slug else None
    records.create_user(db, username, password, role, name=name, opd_id=opd_id)
    click.echo(f"User {username} ({role}) created.")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Request threads per process; with several processes, 4.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port; two per CPU core serve the most.",
)
@domain_errors
def run_command(host, port, threads, workers):
    """Serve the app with waitress."""
    create_app()  # configuration problems show here, before any process is forked
    click.echo(f"Serving on http://{host}:{port} ({workers} process(es), {threads} threads each)")
    serving.serve(create_app, host, port, threads, workers)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="json")
@click.option("--from", "date_from", type=DATE)
@click.option("--to", "date_to", type=DATE)
@click.option("--status", type=click.Choice(records.STATUSES), default=None)
@click.option("--opd", "opd_slug", default=None)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
@domain_errors
def export_command(fmt, date_from, date_to, status, opd_slug, out):
    """Export visits (and the channel probes) with answers and scores: JSON, CSV, XLSX or ZIP."""
    db = get_db()
    opd_id = records.opd_by_slug(db, opd_slug)["id"] if opd_slug else None
    visits = summaries.export_visits(db, day(date_from), day(date_to), status, opd_id)
    if fmt in exports.BINARY and not out:
        raise click.ClickException(f"--format {fmt} needs --out FILE")
    report = quality_reads.report(db, day(date_from), day(date_to), opd_id)
    deadline = current_app.config["PROBE_DEADLINE_DAYS"]
    probes = probe_figures.export_rows(db, day(date_from), day(date_to), opd_id, deadline)
    photo_dir = current_app.config["PHOTOS_DIR"]
    payload = exports.render(db, fmt, visits, photo_dir, "id", report, probes)
    if out:
        out.write_bytes(payload)
        click.echo(f"{len(visits)} visits written to {out}")
    else:
        click.echo(payload.decode("utf-8"))
    if fmt in ("csv", "csv-long"):  # their rows are visits or answers: the report goes beside
        companion = exports.quality_csv(report)
        if out:
            side = out.with_name(f"{out.stem}-kualitas.csv")
            side.write_text(companion, encoding="utf-8")
            click.echo(f"data-quality report written to {side}")
        else:
            click.echo(companion, err=True)
        # the period's channel probes go beside too, one row per probe or per answer
        probe_fmt = "probes" if fmt == "csv" else "probes-long"
        probe_text = exports.render(db, probe_fmt, [], photo_dir, "id", report, probes)
        if out:
            side = out.with_name(f"{out.stem}-uji-saluran.csv")
            side.write_bytes(probe_text)
            click.echo(f"{len(probes)} channel probes written to {side}")
        else:
            click.echo(probe_text.decode("utf-8"), err=True)


@click.command("scores")
@click.option("--by", type=click.Choice(["opd", "city", "government"]), default="opd")
@click.option("--from", "date_from", type=DATE)
@click.option("--to", "date_to", type=DATE)
@click.option("--status", type=click.Choice(records.STATUSES), default="approved")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
@click.option("--province", default=None, help="On a hub: one province's governments.")
@with_appcontext
@domain_errors
def scores_command(by, date_from, date_to, status, fmt, province):
    """Scores per OPD or for the city over a period (on a hub: per government or OPD)."""
    if hub.is_hub() or by == "government":
        rows = hub.hub_scores("government" if by != "opd" else "opd", date_from, date_to, province)
        _print_hub_scores(rows, fmt)
        return
    db = get_db()
    span = (day(date_from), day(date_to), status)
    rows = (
        summaries.opd_summaries(db, *span) if by == "opd" else [summaries.city_summary(db, *span)]
    )
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'OPD':<28} {'visits':>6} {'compl.':>7} {'zone':<7} {'IKM':>6} mutu")
    for r in rows:
        click.echo(
            f"{r['opd'][:28]:<28} {r['visits']:>6} {_num(r['compliance']):>7} "
            f"{r['zone'] or '-':<7} {_num(r['ikm']):>6} {r['mutu'] or '-'}"
        )


def _print_hub_scores(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(f"{'#':>3} {'government':<20} {'name':<28} {'visits':>6} {'compl.':>7} {'IKM':>6}")
    for r in rows:
        click.echo(
            f"{r['rank']:>3} {r['government'][:20]:<20} {r['name'][:28]:<28} {r['visits']:>6} "
            f"{_num(r['compliance']):>7} {_num(r['ikm']):>6}"
        )


def _num(value) -> str:
    return "-" if value is None else f"{value:.2f}"


COMMANDS = (
    init_db_command,
    check_instruments_command,
    seed_demo_command,
    create_user_command,
    run_command,
    export_command,
    scores_command,
)
