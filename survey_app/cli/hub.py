"""Hub commands (`survey-app hub ...`) and the city's `survey-app forward`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey_app.cli.common import DATE, day, domain_errors
from survey_app.core.errors import DomainError
from survey_app.core.hub_client import HubError, last_seq, post_batch
from survey_app.core.instruments import load_directory
from survey_app.findings import hub as hub_findings
from survey_app.findings import render
from survey_app.store import outbox
from survey_app.store.hub import figures as hub_reads
from survey_app.store.hub import governments, schema
from survey_app.store.hub.backend import HubDB, open_hub
from survey_app.web.database import get_db


def is_hub() -> bool:
    """Whether this instance is a hub (SURVEY_APP_ROLE=hub)."""
    return current_app.config["ROLE"] == "hub"


def hub_db(command: str) -> HubDB:
    """The hub database; a clear error on a city."""
    if not is_hub():
        raise DomainError("hub_only", command)
    db = open_hub(current_app.config["DATABASE"])
    click.get_current_context().call_on_close(db.close)
    return db


def init_hub() -> None:
    """Create or update the hub's tables and load the instrument versions it accepts."""
    db = hub_db("init-db")
    version = schema.migrate(db)
    loaded, problems = load_directory(current_app.config["INSTRUMENTS_DIR"])
    added = governments.load_instruments(db, loaded)
    click.echo(f"Hub ready (schema {version}, {len(added)} new instrument versions)")
    if problems:
        raise click.ClickException("\n".join(problems))


@click.group("hub")
def hub_group():
    """Run a hub: governments, their tokens, users, reports (SURVEY_APP_ROLE=hub)."""


@hub_group.command("add-government")
@click.argument("slug")
@click.option("--name", required=True, help="The government's name, e.g. 'Kota Jambi'.")
@click.option("--province", default=None, help="Its province, for province figures.")
@with_appcontext
@domain_errors
def add_government(slug, name, province):
    """Register a government and print its forwarding token (shown this once)."""
    token = governments.add_government(hub_db("hub add-government"), slug, name, province)
    click.echo(token)
    click.echo(f"(forwarding token of {slug}: set SURVEY_APP_HUB_TOKEN to it there)", err=True)


@hub_group.command("new-token")
@click.argument("slug")
@with_appcontext
@domain_errors
def new_token(slug):
    """Issue another token for a government (then revoke the old one)."""
    click.echo(governments.new_token(hub_db("hub new-token"), slug))


@hub_group.command("revoke-token")
@click.argument("slug")
@with_appcontext
@domain_errors
def revoke_token(slug):
    """Revoke every token of a government: its forwarding stops until a new one is set."""
    count = governments.revoke_tokens(hub_db("hub revoke-token"), slug)
    click.echo(f"{count} token(s) of {slug} revoked")


@hub_group.command("create-user")
@click.argument("username")
@click.option("--name", default=None)
@click.password_option()
@with_appcontext
@domain_errors
def create_hub_user(username, name, password):
    """Add a user of the hub's screens (or set a new password)."""
    governments.create_user(hub_db("hub create-user"), username, password, name)
    click.echo(f"Hub user {username} saved")


@hub_group.command("report")
@click.option("--from", "date_from", type=DATE, required=True)
@click.option("--to", "date_to", type=DATE, required=True)
@click.option("--province", default=None)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id")
@with_appcontext
@domain_errors
def report(date_from, date_to, province, out, lang):
    """The province (or national) report as PDF."""
    official = render.Official.from_config(current_app.config, created_by="cli")
    rendered = hub_findings.official_province_pdf(
        hub_db("hub report"), day(date_from), day(date_to),
        current_app.config["PHOTOS_DIR"], official, province, lang,
    )  # fmt: skip
    name = f"laporan-{province or 'nasional'}-{day(date_from)}-{day(date_to)}.pdf"
    out = out or Path(current_app.config["EXPORTS_DIR"]) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(rendered.pdf)
    click.echo(f"{out} ({rendered.pages} pages)")


@hub_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json")
@click.option("--from", "date_from", type=DATE)
@click.option("--to", "date_to", type=DATE)
@click.option("--province", default=None)
@with_appcontext
@domain_errors
def export(fmt, date_from, date_to, province):
    """Every approved visit the hub holds for the period, with scores (and answers in JSON)."""
    rows = hub_reads.export_visits(hub_db("hub export"), day(date_from), day(date_to), province)
    if fmt == "csv":
        click.echo(hub_findings.visits_csv(rows), nl=False)
        return
    for row in rows:
        for key in ("instruments", "brief", "answers"):
            row[key] = json.loads(row[key]) if row[key] else None
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@hub_group.command("verify-document")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
@domain_errors
def verify_document(file):
    """Say whether FILE is a report this hub issued, unchanged: its number and date."""
    data = file.read_bytes()
    row = hub_findings.verify(hub_db("hub verify-document"), data)
    if row is None:
        digest = hashlib.sha256(data).hexdigest()
        click.echo(f"{file}: unknown document (sha256 {digest} is not in the register)")
        raise SystemExit(1)
    click.echo(
        f"{file}: document {row['number']}, issued {row['created_at']} by "
        f"{row['created_by'] or '-'}, {row['province'] or 'national'}, "
        f"{row['period_from']} to {row['period_to']}"
    )


@hub_group.command("counts")
@click.option("--government", default=None)
@with_appcontext
@domain_errors
def counts(government):
    """How many visits, actions and receipts the hub holds (all, or of one government)."""
    click.echo(json.dumps(hub_reads.counts(hub_db("hub counts"), government)))


def hub_scores(by: str, date_from, date_to, province) -> list[dict]:
    """`scores --by government|opd` on a hub."""
    return hub_findings.scores(hub_db("scores"), by, day(date_from), day(date_to), province)


@click.command("forward")
@click.option("--batch", default=outbox.BATCH, show_default=True, type=click.IntRange(1, 2000))
@click.option("--retry-refused", is_flag=True, help="Queue again what the hub refused with 422.")
@with_appcontext
@domain_errors
def forward_command(batch, retry_refused):
    """Send this city's pending approved visits and follow-ups to the hub (cron-safe)."""
    url, token = current_app.config["HUB_URL"], current_app.config["HUB_TOKEN"]
    if not url or not token:
        raise click.ClickException("Set SURVEY_APP_HUB_URL and SURVEY_APP_HUB_TOKEN first.")
    db = get_db()
    if retry_refused:
        click.echo(f"{outbox.retry_refused(db)} refused record(s) queued again")
    try:
        send = lambda records: post_batch(url, token, records)  # noqa: E731
        counts = outbox.forward(
            db,
            send,
            batch,
            photo_dir=photo_dir(current_app.config),
            last_seq=lambda: last_seq(url, token),
        )
    except HubError as exc:
        left = outbox.status(db)["pending"]
        raise click.ClickException(f"{exc}; {left} record(s) still pending") from None
    click.echo(f"sent {counts.sent}, already there {counts.already}, refused {counts.refused}")
    for reason in counts.reasons:
        click.echo(f"  refused: {reason}", err=True)


def photo_dir(config) -> str | None:
    """The photos folder when thumbnails are forwarded (SURVEY_APP_HUB_PHOTOS), else None."""
    return config["PHOTOS_DIR"] if config["HUB_PHOTOS"] == "thumbnails" else None


COMMANDS = (hub_group, forward_command)
