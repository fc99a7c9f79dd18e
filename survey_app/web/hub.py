"""The hub's screens: login, the province or national dashboard, the PDF and exports."""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
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
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from survey_app.findings import hub as hub_figures
from survey_app.findings import hub_rapor, render
from survey_app.store.hub import figures as hub_reads
from survey_app.store.hub import governments
from survey_app.web.forms import Form
from survey_app.web.hub_session import get_hub, hub_login_required
from survey_app.web.language import LANGUAGES
from survey_app.web.periods import date_arg

bp = Blueprint("hub", __name__, url_prefix="/hub")


class HubLoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=("GET", "POST"))
def login():
    """The hub's own accounts (survey-app hub create-user)."""
    form = HubLoginForm()
    if form.validate_on_submit():
        user = governments.check_user(get_hub(), form.username.data.strip(), form.password.data)
        if user:
            lang = session.get("lang")
            session.clear()
            session["hub_user"], session["lang"] = user["username"], lang or "id"
            return redirect(url_for("hub.index"))
        form.password.errors.append(_("Wrong username or password."))
    return render_template("hub/login.html", form=form), 200 if not form.errors else 400


@bp.route("/logout", methods=("POST",))
def logout():
    """Log out of the hub (the language choice stays)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("hub.login"))


@bp.route("/language", methods=("POST",))
def language():
    """Switch between Indonesian and English."""
    if request.form.get("lang") in LANGUAGES:
        session["lang"] = request.form["lang"]
    return redirect(url_for("hub.index"))


def _period() -> tuple[str, str]:
    """From and to of the query string; by default the last 90 days."""
    today = dt.date.today()
    date_from = date_arg(request.args.get("from")) or (today - dt.timedelta(days=89)).isoformat()
    return date_from, date_arg(request.args.get("to")) or today.isoformat()


@bp.route("/")
@hub_login_required
def index():
    """Governments ranked; one kind of OPD across governments; zones, mutu, trend, versions."""
    date_from, date_to = _period()
    province = request.args.get("province") or None
    kind = request.args.get("kind") or None
    doc = hub_figures.overview(get_hub(), date_from, date_to, province, kind)
    provinces = governments.provinces(get_hub())
    return render_template("hub/index.html", doc=doc, provinces=provinces)


@bp.route("/rapor")
@hub_login_required
def rapor():
    """The Ombudsman readiness view: governments ranked by readiness, their OPDs, a forecast."""
    date_from, date_to = _period()
    province = request.args.get("province") or None
    if hub_rapor.per_province_only(get_hub(), province):
        doc = hub_rapor.choose_province(date_from, date_to)
    else:
        doc = hub_rapor.readiness(get_hub(), date_from, date_to, province)
    provinces = governments.provinces(get_hub())
    return render_template("hub/rapor.html", doc=doc, provinces=provinces)


@bp.route("/report.pdf")
@hub_login_required
def report_pdf():
    """The province (or national) report as PDF."""
    date_from, date_to = _period()
    province = request.args.get("province") or None
    official = render.Official.from_config(current_app.config, created_by=g.user["username"])
    rendered = hub_figures.official_province_pdf(
        get_hub(), date_from, date_to, current_app.config["PHOTOS_DIR"], official, province, g.lang
    )
    name = f"laporan-{province or 'nasional'}-{date_from}-{date_to}.pdf"
    return Response(
        rendered.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/scores.json")
@hub_login_required
def scores_json():
    """`scores --by government|opd` as a download."""
    date_from, date_to = _period()
    by = "opd" if request.args.get("by") == "opd" else "government"
    province = request.args.get("province") or None
    return {"scores": hub_figures.scores(get_hub(), by, date_from, date_to, province)}


@bp.route("/visits.csv")
@hub_login_required
def visits_csv():
    """Every approved visit of the period, one row each, with its scores."""
    date_from, date_to = _period()
    rows = hub_reads.export_visits(get_hub(), date_from, date_to, request.args.get("province"))
    return Response(
        hub_figures.visits_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="hub-{date_from}-{date_to}.csv"'},
    )
