"""survey_app: mystery-shopper field surveys for Indonesian public services.

`create_app` is the one composition root: it reads the configuration and
wires the web layer. The `survey-app` command line (survey_app.cli) builds
on it; nothing below imports it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the source checkout; a pip install has no instruments/ there


def create_app(test_config: dict | None = None, *, check_secret: bool = True) -> Flask:
    """Build the app: defaults, then SURVEY_APP_* environment, then test_config."""
    # Imported here, not above: `import survey_app.core...` must not pull in Flask.
    from flask import Flask

    from survey_app import web

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE=str(Path(app.instance_path) / "survey.db"),
        PHOTOS_DIR=str(Path(app.instance_path) / "photos"),
        INSTRUMENTS_DIR=str(_first_dir(ROOT / "instruments", PACKAGE / "shipped_instruments")),
        EXPORTS_DIR=str(_first_dir(ROOT / "exports", Path(app.instance_path) / "exports")),
        # The official findings PDFs (README, Configuration). Blank keeps the default of
        # findings.render.Official: Pemerintah Kota Jambi, Inspektorat, a placeholder
        # emblem, numbers "{seq:03d}/LT-MS/{unit}/{roman_month}/{year}", Inspektur, Jambi.
        REPORT_ISSUER="",
        REPORT_UNIT="",
        REPORT_ADDRESS="",
        REPORT_EMBLEM="",
        REPORT_NUMBER_PATTERN="",
        REPORT_SIGNER_NAME="",
        REPORT_SIGNER_POSITION="",
        REPORT_SIGNER_NIP="",
        REPORT_PLACE="",
        SECRET_KEY=None,
        DEMO=False,
        BABEL_DEFAULT_LOCALE="id",
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
        MAX_PHOTO_BYTES=8 * 1024 * 1024,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24,
        # A day from login, not from the last request: the cookie is sent again
        # only when the session changes, so concurrent requests (the service
        # worker's fetches, a sync batch) no longer overwrite each other's
        # session, and no response pays for signing an unchanged one.
        SESSION_REFRESH_EACH_REQUEST=False,
        # How long a request waits for the database's write lock before it
        # answers 503 with Retry-After, so a held lock cannot take every thread.
        WRITE_WAIT_SECONDS=10,
        RETRY_AFTER_SECONDS=30,
        LOCKOUT_MIN_DAYS=14,
        LOCKOUT_MAX_PER_QUARTER=3,
        # Working days a probed channel has to answer before "no answer" (core/workdays.py).
        PROBE_DEADLINE_DAYS=3,
        LOGIN_MAX_FAILURES=5,  # per account at one address
        LOGIN_ADDRESS_MAX_FAILURES=50,  # per address, over all accounts (an office's NAT)
        LOGIN_WINDOW_SECONDS=15 * 60,
        # A form's CSRF token is good for as long as its session (a day at most,
        # ended by logout): a return note written over an hour is not lost.
        WTF_CSRF_TIME_LIMIT=None,
        TRUST_PROXY=0,  # how many reverse proxies in front set X-Forwarded-For/-Proto
        # "city" (the field app and desk, SQLite) or "hub" (what cities forward; DATABASE may
        # then be a postgresql:// URL).
        ROLE="city",
        # A city forwards its approved visits and follow-ups to this hub with this token.
        HUB_URL="",
        HUB_TOKEN="",
        HUB_FORWARD_SECONDS=60,  # a serving city's forwarding round; failures back off to 30 min
        HUB_PHOTOS="thumbnails",  # or "none": what of the evidence photos goes to the hub
    )
    app.config.from_prefixed_env("SURVEY_APP")
    if test_config:
        app.config.update(test_config)
    _secret_key(app, check_secret)
    _trust_proxy(app)

    web.init_app(app)
    return app


def _first_dir(*candidates: Path) -> Path:
    """The first folder that exists: the checkout's, else the installed package's own."""
    return next((c for c in candidates if c.is_dir()), candidates[-1])


def _secret_key(app: Flask, required: bool) -> None:
    """Demo and tests get a key kept in the instance folder; production must set one."""
    if app.config["SECRET_KEY"]:
        return
    if app.config["DEMO"] or app.config.get("TESTING"):
        key_file = Path(app.instance_path) / "secret_key"
        key_file.parent.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    elif required:
        from survey_app.core.errors import DomainError

        raise DomainError("no_secret_key")


def _trust_proxy(app: Flask) -> None:
    """Behind TRUST_PROXY proxies, take the client's address and scheme from their headers.

    Off by default: without a proxy that sets them, anyone could send these
    headers (and pick the address their failed logins are counted under).
    """
    hops = int(app.config["TRUST_PROXY"] or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
