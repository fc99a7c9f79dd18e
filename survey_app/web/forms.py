"""Instrument sections -> WTForms form classes, and the fixed forms of a visit."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    DecimalField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from survey_app.core.instruments import Instrument, Item, Section
from survey_app.web.form_messages import BabelTranslations

TEXT_MAX = 5000
_TRANSLATIONS = BabelTranslations()


class Form(FlaskForm):
    """Every form: CSRF from Flask-WTF, messages in the user's language."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, one per option."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def field_name(inst: Instrument, item: Item) -> str:
    """The form field name of an item: '<instrument>__<item>'."""
    return f"{inst.id}__{item.id}"


def _locale() -> str:
    return str(get_locale() or "id")


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(item: Item, locale: str) -> list[SelectChoice]:
    if item.type == "yesno":
        pairs = [("yes", str(_l("Yes"))), ("no", str(_l("No")))]
        return choices(pairs + ([("na", str(_l("Not applicable")))] if item.na else []))
    if item.type == "scale4":
        return choices((n, f"{n}. {p.get(locale)}") for n, p in enumerate(item.points, 1))
    return choices((o.value, o.label.get(locale)) for o in item.options)


def _bounds(item: Item) -> list:
    if item.min is None and item.max is None:
        return []
    return [
        NumberRange(
            min=item.min,
            max=item.max,
            message=_l(
                "Enter a number between %(min)s and %(max)s.",
                min=item.min if item.min is not None else "-",
                max=item.max if item.max is not None else "-",
            ),
        )
    ]


def make_field(item: Item, locale: str) -> Field:
    """One WTForms field for an item; `required` is checked at submit, not per save."""
    label, hint = item.label.get(locale), item.hint.get(locale) if item.hint else ""
    opts = {"label": label, "description": hint}
    if item.type in ("yesno", "scale4", "choice"):
        coerce = int if item.type == "scale4" else str
        return RadioField(
            choices=_choices(item, locale),
            coerce=coerce,
            validators=[Optional()],
            validate_choice=True,
            **opts,
        )
    if item.type == "multi":
        return MultiCheckboxField(choices=_choices(item, locale), validators=[Optional()], **opts)
    if item.type in ("integer", "duration"):
        return IntegerField(validators=[Optional(), *_bounds(item)], **opts)
    if item.type == "decimal":
        return DecimalField(validators=[Optional(), *_bounds(item)], places=None, **opts)
    if item.type == "time":
        return TimeField(validators=[Optional()], format="%H:%M", **opts)
    if item.type == "text" and item.multiline:
        return TextAreaField(validators=[Optional(), Length(max=TEXT_MAX)], **opts)
    return StringField(validators=[Optional(), Length(max=TEXT_MAX)], **opts)


_CLASSES: dict[tuple, type] = {}


def form_class(inst: Instrument, items: tuple[Item, ...], name: str) -> type[Form]:
    """The WTForms class for some items of an instrument, built once per locale."""
    locale = _locale()
    key = (inst.id, inst.version, inst.content_hash, name, locale)
    if key not in _CLASSES:
        fields = {
            field_name(inst, item): make_field(item, locale)
            for item in items
            if item.type != "photo"
        }
        _CLASSES[key] = type(f"Form_{inst.id}_{name}", (Form,), fields)
    return _CLASSES[key]


def section_form(
    inst: Instrument,
    section: Section,
    formdata=None,
    data: dict[str, Any] | None = None,
    csrf: bool = True,
) -> Form:
    """A form for one section, filled from stored answers or the posted data."""
    initial = {
        field_name(inst, item): _to_field(item, value)
        for item_id, value in (data or {}).items()
        for item in section.items
        if item.id == item_id and item.type != "photo"
    }
    cls = form_class(inst, section.items, section.id)
    return cls(formdata=formdata, data=initial, meta={} if csrf else {"csrf": False})


def _to_field(item: Item, value: Any) -> Any:
    if item.type == "time" and isinstance(value, str):
        try:
            return dt.datetime.strptime(value, "%H:%M").time()
        except ValueError:
            return None
    return value


def answers_from(form: Form, inst: Instrument, section: Section | None = None) -> dict[str, Any]:
    """The section's (or every) answers as stored values (None where left empty)."""
    answers: dict[str, Any] = {}
    for item in section.items if section else inst.items:
        if item.type == "photo":
            continue
        value = form[field_name(inst, item)].data
        if isinstance(value, dt.time):
            value = value.strftime("%H:%M")
        elif item.type == "decimal" and value is not None:
            value = float(value)
        elif isinstance(value, str):
            value = value.strip()
        answers[item.id] = value if value not in ("", [], "None") else None
    return answers


def missing_required(
    inst: Instrument, answers: dict[str, Any], photos: set[str] | None = None
) -> list[Item]:
    """Required items that are shown but unanswered."""
    kept = inst.relevant_answers(answers)
    missing = []
    for item in inst.items:
        if not item.required or not item.is_relevant(kept):
            continue
        if item.type == "photo":
            if item.id not in (photos or set()):
                missing.append(item)
        elif kept.get(item.id) in (None, "", []):
            missing.append(item)
    return missing


def id_or_none(value) -> int | None:
    """A chosen record id; None for the "Choose…" placeholder (value ""), which
    InputRequired then refuses: no record is chosen for the user."""
    return None if value in ("", None) else int(value)


# how far ahead a plan (an assignment, a channel probe) may reach: the coming year
# (a window ending 9999-12-31 overflowed the date arithmetic)
PLAN_AHEAD = dt.timedelta(days=366)


class WhereForm(Form):
    """The OPD and service of a visit, each chosen explicitly: no default but a placeholder."""

    opd = SelectField(
        _l("OPD visited"),
        coerce=id_or_none,
        validators=[InputRequired(message=_l("Choose the OPD you visit."))],
    )
    service = SelectField(
        _l("Service"),
        coerce=id_or_none,
        validators=[InputRequired(message=_l("Choose the service you ask for."))],
    )


class StartVisitForm(WhereForm):
    instruments = MultiCheckboxField(
        _l("Instruments for this visit"),
        validators=[DataRequired(message=_l("Choose at least one instrument."))],
    )
    visit_date = DateField(_l("Date of the visit"), validators=[InputRequired()])

    def validate_visit_date(self, field):
        today = dt.date.today()
        if field.data and (field.data > today or field.data < today - dt.timedelta(30)):
            raise ValidationError(_l("The date must be within the last 30 days."))


def check_answers(inst: Instrument, given: dict, with_photos: set[str]) -> tuple[dict, dict]:
    """One instrument's answers by the web form's own fields, required items included.

    The answer rules the sync API, the import and the checks' forms all pass on
    (core.sync.validate_visit, store.checks.receive).
    """
    cleaned, errors = clean_answers(inst, given)
    for item in missing_required(inst, cleaned, with_photos):
        errors.setdefault(item.id, []).append(gettext("This field is required."))
    return cleaned, errors


def clean_answers(inst: Instrument, answers: dict[str, Any]) -> tuple[dict, dict]:
    """Validate JSON answers by the same rules as the web form.

    Returns (cleaned answers by item id, errors by item id). Used by the sync
    API so that a visit filled offline meets exactly the rules of the form.
    Answers in the shape the tablet sends are checked by `quick_clean`; any
    other value, and every problem, goes through the WTForms fields, so the
    result and the messages are the form's own.
    """
    cleaned = quick_clean(inst, answers)
    if cleaned is not None:
        return inst.relevant_answers(cleaned), {}
    return wtforms_clean(inst, answers)


_NOT_SURE = object()
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _quick_check(item: Item):
    """value -> cleaned value, or _NOT_SURE, by the item's WTForms rules.

    It accepts only values whose WTForms result is certain: the tablet's own
    shapes (option strings, scale points and whole numbers as JSON numbers,
    "HH:MM", non-blank text). Anything else is _NOT_SURE, never refused here.
    """
    if item.type in ("yesno", "choice"):
        if item.type == "yesno":
            allowed = {"yes", "no", "na"} if item.na else {"yes", "no"}
        else:
            allowed = {o.value for o in item.options}
        return lambda v: v.strip() if type(v) is str and v in allowed else _NOT_SURE
    if item.type == "scale4":
        points = range(1, len(item.points) + 1)
        return lambda v: v if type(v) is int and v in points else _NOT_SURE
    if item.type == "multi":
        allowed = {o.value for o in item.options}

        def multi(v):
            ok = type(v) is list and v and all(type(x) is str and x in allowed for x in v)
            return list(v) if ok else _NOT_SURE

        return multi

    def within(number) -> bool:  # NumberRange, compared exactly as WTForms does
        return not (item.min is not None and number < item.min) and not (
            item.max is not None and number > item.max
        )

    if item.type in ("integer", "duration"):
        return lambda v: v if type(v) is int and within(v) else _NOT_SURE
    if item.type == "decimal":

        def decimal(v):
            if type(v) not in (int, float) or not math.isfinite(v):
                return _NOT_SURE
            number = Decimal(str(v))  # DecimalField reads the posted text
            return float(number) if within(number) else _NOT_SURE

        return decimal
    if item.type == "time":
        return lambda v: v if type(v) is str and _TIME.fullmatch(v) else _NOT_SURE
    # Text: Length counts the string as sent; the form's reading strips it.
    return lambda v: v.strip() if type(v) is str and len(v) <= TEXT_MAX and v.strip() else _NOT_SURE


_QUICK: dict[tuple, tuple[dict, frozenset]] = {}


def quick_clean(inst: Instrument, answers: dict[str, Any]) -> dict[str, Any] | None:
    """The cleaned answers when every one is surely valid; None when WTForms must look."""
    key = (inst.id, inst.version, inst.content_hash)
    if key not in _QUICK:
        _QUICK[key] = (
            {item.id: _quick_check(item) for item in inst.items if item.type != "photo"},
            frozenset(item.id for item in inst.items if item.type == "photo"),
        )
    checks, photos = _QUICK[key]
    cleaned: dict[str, Any] = {}
    for item_id, value in answers.items():
        if item_id in photos:
            continue
        check = checks.get(item_id)
        if check is None:
            return None
        if value is None or value == []:  # posted as nothing: WTForms reads None
            continue
        value = check(value)
        if value is _NOT_SURE or value in ("", "None"):
            return None
        cleaned[item_id] = value
    return {item.id: cleaned[item.id] for item in inst.items if item.id in cleaned}


def wtforms_clean(inst: Instrument, answers: dict[str, Any]) -> tuple[dict, dict]:
    """clean_answers through the instrument's WTForms fields, with their messages."""
    errors: dict[str, list[str]] = {}
    unknown = set(answers) - {item.id for item in inst.items}
    for item_id in sorted(unknown):
        errors[item_id] = [str(_l("Unknown item."))]
    formdata = MultiDict()
    for item in inst.items:
        value = answers.get(item.id)
        if item.type == "photo" or value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            formdata.add(field_name(inst, item), "" if one is None else str(one))
    form = form_class(inst, inst.items, "all")(formdata=formdata, meta={"csrf": False})
    form.validate()
    for item in inst.items:
        if item.type != "photo" and form[field_name(inst, item)].errors:
            errors[item.id] = [str(e) for e in form[field_name(inst, item)].errors]
    cleaned = {
        k: v for k, v in answers_from(form, inst).items() if v is not None and k not in errors
    }
    return inst.relevant_answers(cleaned), errors
