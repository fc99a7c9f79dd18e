"""Login, logout, language switch, and the role checks every route uses."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf
from werkzeug.security import check_password_hash
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from survey_app.store.connection import transaction
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.language import LANGUAGES

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
        wait = _throttled(username, address)
        if wait:
            form.username.errors.append(
                _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=wait)
            )
        else:
            user = _check(username, form.password.data)
            if user:
                lang = session.get("lang", "id")
                session.clear()
                session.permanent = True
                session["user_id"], session["lang"] = user["id"], lang
                # One CSRF secret for the new session now: otherwise the pages and
                # the service worker's parallel first requests each mint their own,
                # and whichever cookie lands last makes the others' forms "expired".
                # Flask-WTF keeps this request's token on g: drop it so a new
                # secret goes into the cleared session.
                g.pop("csrf_token", None)
                generate_csrf()
                return redirect(_safe_next(request.args.get("next")))
            _record_failure(username, address)
            form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=("POST",))
def logout():
    """Forget the session (the language choice stays)."""
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


def _check(username: str, password: str) -> dict | None:
    row = (
        get_db()
        .execute("select * from users where username = ? and active = 1", [username])
        .fetchone()
    )
    if row and check_password_hash(row["password_hash"], password):
        return dict(row)
    return None


def _throttled(username: str, address: str) -> int:
    """Minutes to wait when the account or address has too many recent failures."""
    cfg = current_app.config
    since = time.time() - cfg["LOGIN_WINDOW_SECONDS"]
    db = get_db()
    for column, value in (("username", username), ("address", address)):
        rows = db.execute(
            f"select at from login_failures where {column} = ? and at > ? order by at",
            [value, since],
        ).fetchall()
        if len(rows) >= cfg["LOGIN_MAX_FAILURES"]:
            oldest = rows[-cfg["LOGIN_MAX_FAILURES"]]["at"]
            return max(1, int((oldest - since) // 60) + 1)
    return 0


def _record_failure(username: str, address: str) -> None:
    db = get_db()
    with transaction(db):
        db.table("login_failures").insert(
            {"username": username, "address": address, "at": time.time()}
        )


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("index")
