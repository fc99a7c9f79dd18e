"""Admin: the national holidays and cuti bersama that working days skip, per year.

Seeded from core/holidays.yaml (SKB 3 Menteri, 2025-2027); the admin adds a
day the government declares, renames one, or removes one (asked to confirm).
Every change is in the audit log. Probe response times (core/workdays.py)
read the table, so a change applies to every figure computed after it.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from survey_app.store import checks as check_store
from survey_app.web import forms
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.roles import login_required

bp = Blueprint("holidays", __name__, url_prefix="/admin/holidays")
KIND_LABELS = {
    "libur": _l("National holiday"),
    "cuti_bersama": _l("Collective leave (cuti bersama)"),
}
YEARS = range(2000, 2101)


class HolidayForm(Form):
    date = DateField(_l("Date"), validators=[InputRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=forms.choices(KIND_LABELS.items()))


class ConfirmForm(Form):
    """Only the CSRF token."""


def _year() -> int:
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() else dt.date.today().year
    return year if year in YEARS else dt.date.today().year


@bp.route("/", methods=("GET", "POST"))
@login_required("admin")
def index():
    """A year's holidays and cuti bersama, and the form to add (or rename) one."""
    db, year = get_db(), _year()
    form = HolidayForm()
    if form.validate_on_submit():
        day = form.date.data
        if day.year not in YEARS:
            form.date.errors = [_("Choose a date between 2000 and 2100.")]
        else:
            check_store.add_holiday(db, day, form.name.data.strip(), form.kind.data, g.user["id"])
            flash(_("%(date)s saved as a day off.", date=day.isoformat()), "success")
            return redirect(url_for(".index", year=day.year))
    elif request.method == "GET":
        form.date.data = None
    years = sorted({*check_store.holiday_years(db), year, dt.date.today().year})
    return render_template(
        "admin/holidays.html",
        form=form,
        year=year,
        years=years,
        rows=check_store.holidays(db, year),
        kinds=KIND_LABELS,
    ), (400 if form.errors else 200)


@bp.route("/<day>/remove", methods=("GET", "POST"))
@login_required("admin")
def remove(day: str):
    """Ask before removing a day off; remove it on confirmation."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        abort(404)
    db = get_db()
    row = next((h for h in check_store.holidays(db, date.year) if h["date"] == day), None)
    if row is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        check_store.remove_holiday(db, date, g.user["id"])
        flash(_("%(date)s is no longer a day off.", date=day), "success")
        return redirect(url_for(".index", year=date.year))
    return render_template("admin/holiday_remove.html", row=row, form=form, kinds=KIND_LABELS)
