"""Master data: OPDs and their services with the published standard, users, instruments.

OPDs and services are kept by supervisors and admins; users and roles by
admins only; instruments are read-only here (they are files, loaded by
`survey-app init-db`), shown with their versions and the validation result.
Every change is written to the audit log with the fields before and after.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from survey_app.core.instruments import load_directory
from survey_app.store import opds as opd_store
from survey_app.store import records
from survey_app.store import users as user_store
from survey_app.web import forms
from survey_app.web.audit import audit_trail, changes
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
SLUG = Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lower-case letters, digits and hyphens only."))
ROLE_LABELS = {
    "evaluator": _l("Evaluator"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
    "opd": _l("OPD officer (own OPD: findings, follow-ups, self-assessment)"),
}


def _none_or_int(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class OpdForm(Form):
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=80), SLUG])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = StringField(_l("Kind"), validators=[Optional(), Length(max=80)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    min_days_between_visits = IntegerField(
        _l("Days between two visits by one evaluator"),
        validators=[Optional(), NumberRange(min=0, max=365)],
    )
    max_visits_per_quarter = IntegerField(
        _l("Visits per evaluator per quarter"), validators=[Optional(), NumberRange(0, 100)]
    )


class ServiceForm(Form):
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=80), SLUG])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    max_minutes = IntegerField(
        _l("Published maximum time (minutes)"), validators=[Optional(), NumberRange(1, 100000)]
    )
    # upper bounds keep values inside SQLite's integers (a larger one was a 500, not an error)
    fee = IntegerField(
        _l("Published fee (rupiah)"), validators=[Optional(), NumberRange(0, 10**12)]
    )
    requirements = TextAreaField(
        _l("Published requirements (one per line)"), validators=[Optional(), Length(max=5000)]
    )
    yearly_volume = IntegerField(
        _l("Yearly service volume"), validators=[Optional(), NumberRange(0, 10**9)]
    )


class UserForm(Form):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[a-z0-9._-]+$", message=_l("Lower-case letters, digits, . _ - only.")),
        ],
    )
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=forms.choices(ROLE_LABELS.items()))
    opd = SelectField(_l("Works at (home OPD)"), coerce=_none_or_int, validate_choice=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)])
    active = BooleanField(_l("Active"), default=True)


@bp.route("/")
@login_required(*SUPERVISORS)
def index():
    """What can be kept here."""
    return render_template("admin/index.html")


# --- OPDs and services -----------------------------------------------------------------


@bp.route("/opds", methods=("GET", "POST"))
@login_required(*SUPERVISORS)
def opds():
    """Every OPD with its services and visits; the form to add one."""
    db = get_db()
    form = OpdForm()
    if form.validate_on_submit() and _slug_free(db, form.slug, None):
        row = {**_opd_row(form), "created_at": records.now()}
        opd_store.create(db, "opd", row, g.user["id"], {"changes": changes({}, row)})
        flash(_("OPD added."), "success")
        return redirect(url_for(".opd", slug=row["slug"]))
    rows = opd_store.listing(db)
    return render_template("admin/opds.html", rows=rows, form=form), (400 if form.errors else 200)


def _opd_row(form: OpdForm) -> dict[str, Any]:
    return {
        "slug": form.slug.data.strip(),
        "name": form.name.data.strip(),
        "kind": (form.kind.data or "").strip(),
        "address": (form.address.data or "").strip(),
        "min_days_between_visits": form.min_days_between_visits.data,
        "max_visits_per_quarter": form.max_visits_per_quarter.data,
    }


def _slug_free(db: Database, field, own_id: int | None, opd_id: int | None = None) -> bool:
    """True when no other OPD (or, given its OPD, no other service there) has the slug."""
    slug = field.data.strip()
    if opd_id is None:
        taken = opd_store.slug_taken(db, slug, own_id)
    else:
        taken = opd_store.service_slug_taken(db, slug, own_id, opd_id)
    if taken:
        field.errors = [*field.errors, _("This short name is already taken.")]
    return not taken


@bp.route("/opds/<slug>", methods=("GET", "POST"))
@login_required(*SUPERVISORS)
def opd(slug: str):
    """Edit an OPD; its services; the form to add a service."""
    db = get_db()
    record = records.opd_by_slug(db, slug)
    form = OpdForm(prefix="opd", data=record)
    if form.validate_on_submit() and _slug_free(db, form.slug, record["id"]):
        row = _opd_row(form)
        _update(db, "opd", record, row)
        flash(_("OPD saved."), "success")
        return redirect(url_for(".opd", slug=row["slug"]))
    return _opd_page(db, record, form, ServiceForm(prefix="svc", formdata=None))


def _opd_page(db: Database, record: dict, form: OpdForm, service_form: ServiceForm):
    services = opd_store.services_of(db, record["id"])
    status = 400 if form.errors or service_form.errors else 200
    return render_template(
        "admin/opd.html",
        opd=record,
        form=form,
        service_form=service_form,
        services=services,
        trail=audit_trail(db, "opd", record["id"]),
    ), status


def _update(db: Database, entity: str, record: dict, row: dict) -> None:
    """Write the changed fields of an OPD or service and log them."""
    diff = changes(record, row)
    if diff:
        opd_store.update(db, entity, record["id"], row, g.user["id"], {"changes": diff})


@bp.route("/opds/<slug>/services", methods=("POST",))
@login_required(*SUPERVISORS)
def add_service(slug: str):
    """Add a service with its published standard to an OPD."""
    db = get_db()
    record = records.opd_by_slug(db, slug)
    form = ServiceForm(prefix="svc")
    if form.validate_on_submit() and _slug_free(db, form.slug, None, record["id"]):
        row = {**_service_row(form), "opd_id": record["id"]}
        opd_store.create(db, "service", row, g.user["id"], {"changes": changes({}, row)})
        flash(_("Service added."), "success")
        return redirect(url_for(".opd", slug=slug))
    return _opd_page(db, record, OpdForm(prefix="opd", formdata=None, data=record), form)


def _service_row(form: ServiceForm) -> dict[str, Any]:
    lines = [line.strip() for line in (form.requirements.data or "").splitlines()]
    return {
        "slug": form.slug.data.strip(),
        "name": form.name.data.strip(),
        "max_minutes": form.max_minutes.data,
        "fee": form.fee.data,
        "requirements": json.dumps([line for line in lines if line], ensure_ascii=False),
        "yearly_volume": form.yearly_volume.data,
    }


@bp.route("/services/<int:service_id>", methods=("GET", "POST"))
@login_required(*SUPERVISORS)
def service(service_id: int):
    """Edit a service's published standard."""
    db = get_db()
    found = records.service(db, service_id)
    record = {**found, "requirements": json.dumps(found["requirements"], ensure_ascii=False)}
    form = ServiceForm(data={**found, "requirements": "\n".join(found["requirements"])})
    opd_row = opd_store.by_id(db, record["opd_id"])
    if form.validate_on_submit() and _slug_free(db, form.slug, service_id, record["opd_id"]):
        _update(db, "service", record, _service_row(form))
        flash(_("Service saved."), "success")
        return redirect(url_for(".opd", slug=opd_row["slug"]))
    return render_template(
        "admin/service.html",
        form=form,
        service=found,
        opd=opd_row,
        trail=audit_trail(db, "service", service_id),
    ), (400 if form.errors else 200)


# --- users (admin only) ------------------------------------------------------------------


def _user_form(db: Database, **kwargs) -> UserForm:
    form = UserForm(**kwargs)
    form.opd.choices = forms.choices(
        [("", "-")] + [(r["id"], r["name"]) for r in opd_store.names(db)]
    )
    return form


@bp.route("/users", methods=("GET", "POST"))
@login_required("admin")
def users():
    """Every user with role and home OPD; the form to add one."""
    db = get_db()
    form = _user_form(db)
    if form.validate_on_submit() and _user_ok(db, form, None):
        row = {**_user_row(form), "active": 1, "username": form.username.data.strip()}
        detail = {"changes": changes({}, row)}
        user_store.create(db, row, form.password.data, g.user["id"], detail)
        flash(_("User added."), "success")
        return redirect(url_for(".users"))
    rows = user_store.listing(db)
    return render_template("admin/users.html", rows=rows, form=form, roles=ROLE_LABELS), (
        400 if form.errors else 200
    )


def _user_row(form: UserForm) -> dict[str, Any]:
    return {
        "name": form.name.data.strip(),
        "role": form.role.data,
        "opd_id": form.opd.data,
        "active": 1 if form.active.data else 0,
    }


def _user_ok(db: Database, form: UserForm, user_id: int | None) -> bool:
    """Rules beyond the fields: unique name, a password for new users, the OPD of an
    evaluator or an OPD user."""
    problems = []
    if user_store.username_taken(db, form.username.data.strip(), user_id):
        problems.append((form.username, _("This username is already taken.")))
    if user_id is None and not form.password.data:
        problems.append((form.password, _("Give the new user a password.")))
    if form.role.data == "evaluator" and form.opd.data is None:
        problems.append((form.opd, _("An evaluator needs the OPD where they work.")))
    if form.role.data == "opd" and form.opd.data is None:
        problems.append((form.opd, _("An OPD user needs the OPD they belong to.")))
    if user_id == g.user["id"] and (form.role.data != "admin" or not form.active.data):
        problems.append((form.role, _("You cannot remove your own administrator access.")))
    for field, message in problems:
        field.errors = [*field.errors, message]
    return not problems


@bp.route("/users/<int:user_id>", methods=("GET", "POST"))
@login_required("admin")
def user(user_id: int):
    """Edit a user's name, role, home OPD, active flag; optionally set a new password."""
    db = get_db()
    row = user_store.get(db, user_id)
    if row is None:
        abort(404)
    record = {**row, "opd": row["opd_id"], "active": bool(row["active"])}
    form = _user_form(db, data=record)
    if form.validate_on_submit() and _user_ok(db, form, user_id):
        new = {**_user_row(form), "username": form.username.data.strip()}
        diff = changes(row, new)
        if form.password.data:
            diff["password"] = ["", _("changed")]
        if diff:
            detail = {"changes": diff}
            user_store.update(db, user_id, new, g.user["id"], detail, form.password.data)
        flash(_("User saved."), "success")
        return redirect(url_for(".users"))
    return render_template(
        "admin/user.html", form=form, user=record, trail=audit_trail(db, "user", user_id)
    ), (400 if form.errors else 200)


# --- instruments (read-only) ---------------------------------------------------------------


@bp.route("/instruments")
@login_required(*SUPERVISORS)
def instruments():
    """Stored instrument versions with their use, and the instrument files' validation."""
    db = get_db()
    rows = records.instrument_versions(db)
    loaded, errors = load_directory(current_app.config["INSTRUMENTS_DIR"])
    stored = {(r["id"], r["version"]): r["content_hash"] for r in rows}
    files = [
        {
            "id": inst.id,
            "version": inst.version,
            "source": inst.source,
            "state": _file_state(stored.get((inst.id, inst.version)), inst.content_hash),
            "title": inst.title.get(g.lang),
        }
        for inst in loaded
    ]
    # The stored title is Indonesian; each version's own definition has both languages.
    versions = records.instruments(db, [(r["id"], r["version"]) for r in rows])
    titles = {(i.id, i.version): i.title.get(g.lang) for i in versions}
    rows = [{**r, "title": titles.get((r["id"], r["version"])) or r["title"]} for r in rows]
    return render_template(
        "admin/instruments.html",
        rows=rows,
        files=files,
        errors=errors,
        directory=current_app.config["INSTRUMENTS_DIR"],
    )


def _file_state(stored_hash: str | None, file_hash: str) -> str:
    """Whether a valid file is what the database holds under its version."""
    if stored_hash is None:
        return "new"
    return "loaded" if stored_hash == file_hash else "changed"
