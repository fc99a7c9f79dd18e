"""Login, logout, language switch, and the role checks every route uses."""

from __future__ import annotations

import functools
import math
import secrets
import time
import unicodedata
from urllib.parse import unquote

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from survey_app.store import users
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.language import LANGUAGES
from survey_app.web.roles import login_required

bp = Blueprint("auth", __name__)


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class LanguageForm(Form):
    lang = HiddenField()
    next = HiddenField()


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Show the login form; log in on valid credentials unless throttled."""
    form = LoginForm()
    if form.validate_on_submit():
        username, address = form.username.data.strip(), request.remote_addr or "-"
        attempt, wait = users.begin_attempt(get_db(), username, address, time.time(), _limits())
        if wait:
            form.username.errors.append(
                _(
                    "Too many failed attempts. Try again in %(minutes)d minutes.",
                    minutes=max(1, math.ceil(wait / 60)),
                )
            )
        else:
            user = _check(username, form.password.data)
            if user:
                users.forgive(get_db(), username, address)
                _start_session(user)
                return redirect(_safe_next(request.args.get("next")))
            form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=("POST",))
def logout():
    """End this user's sessions everywhere (the language choice stays)."""
    if g.user is not None:
        users.end_sessions(get_db(), g.user["id"])
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=("POST",))
def language():
    """Switch between Indonesian and English."""
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in LANGUAGES:
        session["lang"] = form.lang.data
    return redirect(_safe_next(form.next.data))


def _start_session(user: dict) -> None:
    """A fresh session for `user`, tied to their current session generation."""
    lang = session.get("lang", "id")
    session.clear()
    session.permanent = True
    session["user_id"], session["lang"] = user["id"], lang
    session["session_version"] = user["session_version"]
    # One CSRF secret for the new session now: otherwise the pages and
    # the service worker's parallel first requests each mint their own,
    # and whichever cookie lands last makes the others' forms "expired".
    # Flask-WTF keeps this request's token on g: drop it so a new
    # secret goes into the cleared session.
    g.pop("csrf_token", None)
    generate_csrf()


def _limits() -> users.Limits:
    cfg = current_app.config
    return users.Limits(
        pair=cfg["LOGIN_MAX_FAILURES"],
        address=cfg["LOGIN_ADDRESS_MAX_FAILURES"],
        window=cfg["LOGIN_WINDOW_SECONDS"],
    )


def _check(username: str, password: str) -> dict | None:
    """The active user when the password matches; as slow for unknown names as for known."""
    user = users.active_by_name(get_db(), username)
    # An unknown name is checked against a dummy hash, so the answer takes as
    # long as for a real account and does not tell which names exist.
    stored = user["password_hash"] if user else _dummy_hash()
    if check_password_hash(stored, password) and user:
        return user
    return None


@functools.cache
def _dummy_hash() -> str:
    """A hash made the way real ones are (same method and cost), of a random password."""
    return generate_password_hash(secrets.token_hex(16))


def _safe_next(target: str | None) -> str:
    """A same-site path to go to after login, else the start page.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash,
    so "/<tab>/host" or "/<backslash>host" leave the site as "//host" does.
    The percent-decoded form is checked too, as something may decode it once.
    """
    if target and all(_on_site(candidate) for candidate in (target, unquote(target))):
        return target
    return url_for("index")


def _on_site(path: str) -> bool:
    return (
        path.startswith("/")
        and not path.startswith("//")
        and "\\" not in path
        and not any(c.isspace() or unicodedata.category(c)[0] == "C" for c in path)
    )


@bp.route("/csrf-token")
@login_required()
def csrf_token():
    """A fresh CSRF token for this session: a form brought back from history sends again."""
    return jsonify(csrf_token=generate_csrf())
