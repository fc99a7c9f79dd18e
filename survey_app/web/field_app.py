"""The installable, offline-first field app: shell page, form fragments, service worker."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, g, render_template, request, url_for
from flask_babel import force_locale

from survey_app.core.errors import DomainError
from survey_app.store import records
from survey_app.web import forms
from survey_app.web.database import get_db
from survey_app.web.language import LANGUAGES
from survey_app.web.roles import login_required

bp = Blueprint("field_app", __name__)
PACKAGE = Path(__file__).resolve().parent.parent
STATIC = PACKAGE / "static"
# What the service worker keeps for offline use (photos excluded).
PRECACHE = (
    "css/app.css",
    "js/relevant.js",
    "js/format.js",
    "js/form-core.js",
    "js/idb.js",
    "js/offline-app.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


@cache
def _static_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    digest.update(PACKAGE.joinpath("templates").joinpath("field_app", "shell.html").read_bytes())
    return digest.hexdigest()


def build_version() -> str:
    """Changes with any static asset or any stored instrument version."""
    digest = hashlib.sha256(_static_hash().encode())
    for inst_id, version, content_hash in records.instrument_hashes(get_db()):
        digest.update(f"{inst_id}:{version}:{content_hash}".encode())
    return digest.hexdigest()[:16]


def _in_language(lang: str | None, render: Callable[[], str]) -> str:
    """What `render` makes, in `lang` (one of LANGUAGES), else in the user's language."""
    if lang not in LANGUAGES:
        return render()
    g.lang = lang
    with force_locale(lang):
        return render()


@bp.route("/field/")
@login_required("evaluator")
def shell():
    """The offline-capable field app (cached by the service worker)."""
    return render_template("field_app/shell.html", version=build_version())


@bp.route("/field/<lang>/")
@login_required("evaluator")
def shell_in(lang: str):
    """The field app in one language; both are cached, so switching works offline."""
    if lang not in LANGUAGES:
        abort(404)
    version = build_version()
    return _in_language(lang, lambda: render_template("field_app/shell.html", version=version))


@bp.route("/field/fragment/<inst_id>/<int:version>")
@login_required("evaluator")
def fragment(inst_id: str, version: int):
    """Every section of one instrument version as WTForms-rendered, empty HTML (?lang=id|en)."""
    try:
        inst = records.instrument(get_db(), inst_id, version)
    except DomainError:
        abort(404)
    return _in_language(request.args.get("lang"), lambda: _fragment(inst))


def _fragment(inst) -> str:
    """The forms are built in the language asked for: their labels are made then."""
    sections = [(sec, forms.section_form(inst, sec, csrf=False)) for sec in inst.sections]
    return render_template("field_app/fragment.html", inst=inst, sections=sections)


@bp.route("/sw.js")
def service_worker():
    """The service worker, with the cache version and the files to keep written in."""
    urls = [url_for("field_app.shell"), url_for("field_app.manifest")]
    urls += [url_for("field_app.shell_in", lang=lang) for lang in LANGUAGES]
    urls += [url_for("static", filename=name) for name in PRECACHE]
    body = render_template("field_app/sw.js", version=build_version(), urls=urls)
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest (installable on the tablet's home screen)."""
    body = render_template("field_app/manifest.json")
    return Response(body, mimetype="application/manifest+json")
