"""The supervisor's downloads: PDF findings (visit, OPD, city) and data exports."""

from __future__ import annotations

import datetime as dt
import io
import tempfile

from flask import Blueprint, abort, current_app, g, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from survey_app.findings import exports, rapor, render
from survey_app.store import opds, records, summaries, visit_lists
from survey_app.store import quality as quality_reads
from survey_app.store.records import VisitFilter
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.language import STATUS_LABELS
from survey_app.web.roles import login_required

bp = Blueprint("reports", __name__, url_prefix="/reports")
RECENT_VISITS = 100
SPOOL_BYTES = 32 * 1024 * 1024  # a photo ZIP larger than this goes to a temporary file


class FilterForm(Form):
    """Period, OPD, status and report language: a read-only GET filter."""

    class Meta:
        csrf = False  # a GET that only filters what is listed; nothing changes

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    opd = SelectField(_l("OPD"), default="")
    status = SelectField(_l("Status"), default="approved")
    lang = SelectField(_l("Report language"), default="")

    def validate_date_to(self, field):
        """The period must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end of the period is before its start."))


def _filter_form(db) -> FilterForm:
    """The filter form on this request's query string, with its choices."""
    form = FilterForm(formdata=request.args)
    form.opd.choices = [("", _l("All OPDs"))] + [(r["slug"], r["name"]) for r in opds.names(db)]
    form.status.choices = [("approved", STATUS_LABELS["approved"]), ("", _l("Any status"))] + [
        (s, STATUS_LABELS[s]) for s in records.STATUSES if s != "approved"
    ]
    form.lang.choices = [
        ("", _l("As the interface")),
        ("id", "Bahasa Indonesia"),
        ("en", "English"),
    ]
    return form


def _filters(page: bool = False) -> dict:
    """The validated filters of this request, default period filled in.

    A download with bad filters is a 400; the page shows the errors instead.
    """
    db = get_db()
    form = _filter_form(db)
    valid = not request.args or form.validate()
    if not valid and not page:
        abort(400)
    if not valid:
        form.date_from.data = form.date_to.data = None
    first, last = _default_period(db)
    form.date_from.data = form.date_from.data or first
    form.date_to.data = form.date_to.data or last
    return {
        "form": form,
        "date_from": form.date_from.data.isoformat(),
        "date_to": form.date_to.data.isoformat(),
        "opd": form.opd.data or None,
        "status": form.status.data or None,
        "lang": form.lang.data or g.lang,
    }


def _default_period(db) -> tuple[dt.date, dt.date]:
    """The span of the approved visits, or this calendar year when there are none."""
    first, last = visit_lists.date_span(db, VisitFilter(status="approved"))
    if first:
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    today = dt.date.today()
    return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)


def _pdf(rendered: render.Rendered, name: str):
    return send_file(
        io.BytesIO(rendered.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=name,
    )


def _render_args() -> dict:
    cfg = current_app.config
    return {"photo_dir": cfg["PHOTOS_DIR"], "issuer": cfg.get("REPORT_ISSUER", "")}


def _official_args() -> dict:
    """Letterhead, numbering and signer from the REPORT_* settings; the register notes who."""
    cfg = current_app.config
    official = render.Official.from_config(cfg, created_by=g.user["username"])
    return {"photo_dir": cfg["PHOTOS_DIR"], "official": official}


@bp.route("/")
@login_required("supervisor", "admin")
def index():
    """The download page: filters, then the PDFs and exports they select."""
    f = _filters(page=True)
    db = get_db()
    approved = VisitFilter(status="approved", date_from=f["date_from"], date_to=f["date_to"])
    shown = VisitFilter(f["status"], f["date_from"], f["date_to"], opd_slug=f["opd"])
    html = render_template(
        "reports/index.html",
        f=f,
        form=f["form"],
        opds=visit_lists.per_opd(db, approved),
        visits=visit_lists.recent(db, shown, RECENT_VISITS),
    )
    return html, 400 if f["form"].errors else 200


@bp.route("/visit/<visit_uuid>.pdf")
@login_required("supervisor", "admin")
def visit_pdf(visit_uuid: str):
    """The visit sheet of one visit."""
    lang = request.args.get("lang") if request.args.get("lang") in ("id", "en") else g.lang
    rendered = render.visit_pdf(get_db(), visit_uuid, locale=lang, **_render_args())
    date = records.visit_date(get_db(), visit_uuid)
    return _pdf(rendered, render.visit_filename(date, visit_uuid))


@bp.route("/opd/<slug>.pdf")
@login_required("supervisor", "admin")
def opd_pdf(slug: str):
    """The findings report of one OPD for the period."""
    f = _filters()
    rendered = render.official_opd_pdf(
        get_db(), slug, f["date_from"], f["date_to"], **_official_args(), locale=f["lang"]
    )
    return _pdf(rendered, render.opd_filename(slug, f["date_from"], f["date_to"]))


@bp.route("/city.pdf")
@login_required("supervisor", "admin")
def city_pdf():
    """The city-wide report for the period."""
    f = _filters()
    rendered = render.official_city_pdf(
        get_db(), f["date_from"], f["date_to"], **_official_args(), locale=f["lang"]
    )
    return _pdf(rendered, render.city_filename(f["date_from"], f["date_to"]))


@bp.route("/rapor/<slug>.pdf")
@login_required("supervisor", "admin")
def rapor_pdf(slug: str):
    """The Ombudsman readiness report (rapor) of one OPD for the period."""
    f = _filters()
    rendered = rapor.official_rapor_pdf(
        get_db(), slug, f["date_from"], f["date_to"], **_official_args(), locale=f["lang"]
    )
    return _pdf(rendered, rapor.filename(slug, f["date_from"], f["date_to"]))


@bp.route("/rapor-city.pdf")
@login_required("supervisor", "admin")
def rapor_city_pdf():
    """The city's Ombudsman readiness report, the OPDs ranked by readiness."""
    f = _filters()
    rendered = rapor.official_rapor_pdf(
        get_db(), None, f["date_from"], f["date_to"], **_official_args(), locale=f["lang"]
    )
    return _pdf(rendered, rapor.filename(None, f["date_from"], f["date_to"]))


@bp.route("/export/<fmt>")
@login_required("supervisor", "admin")
def export(fmt: str):
    """Visits with answers and scores in one of the export formats, filtered."""
    if fmt not in exports.FORMATS:
        abort(404)
    f = _filters()
    db = get_db()
    opd_id = records.opd_by_slug(db, f["opd"])["id"] if f["opd"] else None
    visits = summaries.export_visits(db, f["date_from"], f["date_to"], f["status"], opd_id)
    report = quality_reads.report(db, f["date_from"], f["date_to"], opd_id)
    photo_dir = current_app.config["PHOTOS_DIR"]
    if fmt == "zip":
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        exports.write_photos_zip(body, db, visits, photo_dir, report, f["lang"])
        body.seek(0)
    else:
        body = io.BytesIO(exports.render(db, fmt, visits, photo_dir, f["lang"], report))
    return send_file(
        body,
        mimetype=exports.MIMETYPES[fmt],
        as_attachment=True,
        download_name=exports.filename(fmt, f["date_from"], f["date_to"], f["opd"]),
    )
