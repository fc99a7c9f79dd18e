"""Web wiring: translations, CSRF, sessions, error pages and the blueprints."""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError

from survey_app.core import formatting, i18n
from survey_app.core.errors import DomainError
from survey_app.store.connection import is_busy
from survey_app.web import (
    admin,
    api,
    assignments,
    auth,
    dashboard,
    database,
    desk,
    field,
    field_app,
    followups,
    holidays,
    hub,
    hub_api,
    opd,
    probes,
    reports,
    review,
)
from survey_app.web.hub_session import load_hub_user
from survey_app.web.language import select_locale, status_label
from survey_app.web.roles import load_user

csrf = CSRFProtect()
babel = Babel()
HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in again."),
    403: _l("You are not allowed to open this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    413: _l("The upload is too large."),
    503: _l("The server is busy. Nothing was lost: try again in a moment."),
}


class SessionInterface(SecureCookieSessionInterface):
    """Session cookie marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app: Flask) -> None:
    """Register extensions, handlers and the blueprints of the instance's role."""
    babel.init_app(app, locale_selector=select_locale)
    i18n.set_locale_source(select_locale)  # domain messages follow the user's language
    csrf.init_app(app)
    app.session_interface = SessionInterface()
    app.after_request(_security_headers)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    _filters(app)
    if app.config["ROLE"] == "hub":
        _init_hub(app)
    else:
        _init_city(app)


def _init_hub(app: Flask) -> None:
    """A hub: the forwarding API (token, no CSRF) and the hub's own screens only."""
    app.before_request(_before_hub)
    app.register_blueprint(hub.bp)
    app.register_blueprint(hub_api.bp)
    csrf.exempt(hub_api.bp)  # a city's server posts with a bearer token, not a browser
    app.add_url_rule("/", "index", lambda: redirect(url_for("hub.index")))
    app.add_url_rule("/login", "login", lambda: redirect(url_for("hub.login")))


def _before_hub() -> None:
    g.lang = select_locale()
    load_hub_user()


def _init_city(app: Flask) -> None:
    """A city: the field app, the desk and its sync API."""
    database.init_app(app)
    app.before_request(_before)
    app.register_error_handler(sqlite3.OperationalError, _database_error)
    app.register_blueprint(auth.bp)
    app.register_blueprint(field.bp)
    app.register_blueprint(field_app.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(reports.bp)
    for bp in (
        dashboard.bp,
        assignments.bp,
        admin.bp,
        followups.bp,
        holidays.bp,
        probes.bp,
        desk.bp,
        opd.bp,
    ):
        app.register_blueprint(bp)
    app.add_url_rule("/", "index", _index)


def _filters(app: Flask) -> None:
    """The Jinja globals and filters every page uses."""
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.filters["num"] = lambda v, places=2: formatting.number(v, places, g.lang)
    app.jinja_env.filters["signed"] = lambda v, places=2: formatting.signed(v, places, g.lang)
    app.jinja_env.filters["rupiah"] = lambda v: formatting.rupiah(v, g.lang)
    app.jinja_env.filters["long_date"] = lambda v: formatting.long_date(v, g.lang)
    app.jinja_env.filters["short_date"] = lambda v: formatting.short_date(v, g.lang)
    app.jinja_env.filters["minutes"] = lambda v: formatting.minutes(v, g.lang)


def _before() -> None:
    g.lang = select_locale()
    load_user()


def _index():
    if g.user is None:
        return redirect(url_for("auth.login"))
    if g.user["role"] == "evaluator":
        return redirect(url_for("field_app.shell"))
    if g.user["role"] == "opd":
        return redirect(url_for("opd.index"))
    return redirect(url_for("review.queue"))


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _wants_json() -> bool:
    api = request.path.startswith(("/api/", "/hub/api/"))
    return api or request.accept_mimetypes.best == "application/json"


def _error_page() -> str:
    return "hub/error.html" if current_app.config["ROLE"] == "hub" else "error.html"


def _domain_error(exc: DomainError):
    if _wants_json():
        return jsonify(error=exc.code, message=exc.message), exc.status
    return render_template(_error_page(), message=exc.message), exc.status


def _csrf_error(exc: CSRFError):
    if _wants_json():
        message = str(_l("The form expired. Reload the page and try again."))
        return jsonify(error="csrf", message=message), 400
    message = str(
        _l(
            "The form expired, so nothing was saved. Go back to it: what you typed is "
            "still there, and it can be sent again."
        )
    )
    # history.back() (static/js/forms.js) brings the form back as typed; the link is the
    # way without JavaScript, to our own pages only
    back = request.referrer if _same_site(request.referrer) else url_for("index")
    return render_template(_error_page(), message=message, back=back), 400


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


def _http_error(exc: HTTPException):
    message = str(HTTP_MESSAGES.get(exc.code, exc.name))
    if _wants_json():
        return jsonify(error=exc.name, message=message), exc.code
    return render_template(_error_page(), message=message), exc.code


def _database_error(exc: sqlite3.OperationalError):
    """A locked database or a full disk is a passing overload: 503 and when to retry."""
    if not is_busy(exc):
        current_app.logger.exception("database error", exc_info=exc)
        return _http_error(InternalServerError())
    message = str(HTTP_MESSAGES[503])
    if _wants_json():
        response = jsonify(error="busy", message=message)
    else:
        response = current_app.make_response(render_template("error.html", message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return response
