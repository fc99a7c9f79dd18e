"""Findings as HTML (Jinja) then PDF (WeasyPrint); only our own files are ever fetched.

No Flask: the CLI and the web both call visit_pdf / opd_pdf / city_pdf with a
database, the photo store and a locale. WeasyPrint itself lives in pdf.py,
loaded only when a PDF is laid out; its URL fetcher serves files under
survey_app/static/ and the photo store, and the one configured emblem file,
and refuses everything else.

OPD and city reports become official documents through official_opd_pdf /
official_city_pdf: the next number of the register (store/documents.py),
the letterhead and signer of an `Official`, and the PDF's checksum recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from sqlite_utils import Database

from survey_app.core import checks, formatting, labels, quality
from survey_app.core.errors import DomainError
from survey_app.findings import charts, figures, probes
from survey_app.store import documents, records

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
DEFAULT_ISSUER = "Pemerintah Kota Jambi"


@dataclass
class Rendered:
    """A finished PDF with what the fetcher was asked for and refused."""

    pdf: bytes
    pages: int
    asked: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    number: str | None = None  # the register's document number, when one was issued


# --- Jinja ----------------------------------------------------------------------


@cache
def environment(locale: str) -> Environment:
    """The print templates' environment for one locale (escaping on, strict)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    translations = labels.translations(locale)
    env.install_gettext_translations(translations, newstyle=True)
    env.filters.update(
        num=lambda v, places=2: formatting.number(v, places, locale),
        signed=lambda v, places=2: _signed(v, places, locale),
        rupiah=lambda v: formatting.rupiah(v, locale),
        long_date=lambda v: formatting.long_date(v, locale),
        short_date=lambda v: _short_date(v, locale),
        wib=lambda v: _date_time(v, locale),
        month=lambda v: _month(v, locale),
        loc=lambda v: v.get(locale) if v else "",
        dimension=lambda code: translations.gettext(labels.DIMENSIONS.get(code, labels.OTHER)),
        unsur=lambda code: translations.gettext(labels.UNSUR.get(code, code)),
        quality_rows=lambda report: quality.rows(report, translations.gettext),
        status=lambda code: translations.gettext(labels.STATUSES.get(code, code)),
        channel=lambda code: translations.gettext(checks.CHANNEL_LABELS.get(code, code)),
        probe_outcome=lambda code: translations.gettext(checks.OUTCOME_LABELS.get(code, code)),
    )
    env.globals["locale"] = locale
    return env


def _signed(value, places: int, locale: str) -> str:
    if value is None:
        return "-"
    text = formatting.number(abs(value), places, locale)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def _date_time(value: str | dt.datetime | None, locale: str) -> str:
    """An ISO timestamp (UTC) as 'Jumat, 26 Maret 2021, 17:00 WIB'."""
    if not value:
        return "-"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(WIB)
    return f"{formatting.long_date(local.date(), locale)}, {local:%H:%M} WIB"


def _short_date(value: str | None, locale: str) -> str:
    """'2026-05-05' -> '5 Mei 2026' (tables have no room for the day name)."""
    if not value:
        return "-"
    year, month, day = value[:10].split("-")
    return f"{int(day)} {_month(f'{year}-{month}', locale)}"


def _month(value: str, locale: str) -> str:
    year, month = value.split("-")[:2]
    return f"{formatting.MONTHS.get(locale, formatting.MONTHS['id'])[int(month) - 1]} {year}"


def _css_string(text: str) -> str:
    """A CSS string literal: quotes, backslashes and '<' escaped."""
    escaped = "".join(c if c.isalnum() or c in " .,:;-()" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def page_css(locale: str) -> Markup:
    """The footer's 'Halaman 3 dari 12' in the document's language, as @page CSS."""
    text = labels.translations(locale).gettext(labels.PAGE_OF)
    parts = []
    for piece in re.split(r"(%\(pages?\)s)", text):
        if piece == "%(page)s":
            parts.append("counter(page)")
        elif piece == "%(pages)s":
            parts.append("counter(pages)")
        elif piece:
            parts.append(_css_string(piece))
    return Markup(f"@page {{ @bottom-right {{ content: {' '.join(parts)}; }} }}")


def render_html(template: str, locale: str, **context: Any) -> str:
    """One print template rendered in `locale`."""
    return environment(locale).get_template(template).render(**context)


def html_to_pdf(html: str, photo_dir: str | Path, files: tuple[str | Path, ...] = ()) -> Rendered:
    """Lay out and write the PDF; only static files, stored photos and `files` can be loaded."""
    # Imported here, not above: WeasyPrint costs ~0.5 s and 28 MB, and only a PDF needs it.
    from survey_app.findings import pdf

    fetcher = pdf.LocalFetcher(STATIC, photo_dir, files=files)
    data, pages = pdf.write(html, STATIC.as_uri() + "/", fetcher)
    return Rendered(data, pages, fetcher.asked, fetcher.refused)


# --- the three documents ------------------------------------------------------------


def _document(
    template: str,
    doc: dict,
    locale: str,
    photo_dir: str | Path,
    issuer: str,
    charts: dict,
    official: Official | None = None,
) -> Rendered:
    """Render one document's template and lay it out as PDF."""
    official = official or Official(issuer=issuer or DEFAULT_ISSUER)
    html = document_html(template, doc, locale, photo_dir, issuer, charts, official)
    rendered = html_to_pdf(html, photo_dir, files=(official.emblem,))
    rendered.number = official.number
    return rendered


def document_html(
    template: str,
    doc: dict,
    locale: str,
    photo_dir: str | Path,
    issuer: str,
    charts: dict,
    official: Official | None = None,
) -> str:
    """The print HTML of one document (what WeasyPrint is then given)."""
    official = official or Official(issuer=issuer or DEFAULT_ISSUER)
    printed_at = dt.datetime.now(WIB)
    return render_html(
        template,
        locale,
        doc=doc,
        charts=charts,
        issuer=official.issuer,
        official=official,
        signed_on=(official.issued_at or printed_at).date().isoformat(),
        months=filled_months(doc) if "months" in doc else [],
        printed_at=printed_at,
        page_css=page_css(locale),
        photo_src=lambda digest: records.print_copy(photo_dir, digest).as_uri(),
    )


def visit_pdf(
    db: Database, visit_uuid: str, photo_dir: str | Path, locale: str = "id", issuer: str = ""
) -> Rendered:
    """The visit sheet (lembar kunjungan) of one visit."""
    doc = figures.visit_sheet(db, visit_uuid)
    return _document("findings/visit.html", doc, locale, photo_dir, issuer, {})


def opd_pdf(
    db: Database,
    slug: str,
    date_from: str,
    date_to: str,
    photo_dir: str | Path,
    locale: str = "id",
    issuer: str = "",
    official: Official | None = None,
    probe_deadline: int = checks.DEADLINE_DAYS,
) -> Rendered:
    """The findings report (laporan temuan) of one OPD for a period, with its channel probes."""
    doc = figures.opd_report(db, slug, date_from, date_to)
    doc["probes"] = probes.probe_figures(
        db,
        date_from,
        date_to,
        opd_id=records.opd_by_slug(db, slug)["id"],
        deadline_days=probe_deadline,
    )
    charts = opd_charts(doc, locale)
    return _document("findings/opd.html", doc, locale, photo_dir, issuer, charts, official)


def city_pdf(
    db: Database,
    date_from: str,
    date_to: str,
    photo_dir: str | Path,
    locale: str = "id",
    issuer: str = "",
    official: Official | None = None,
    probe_deadline: int = checks.DEADLINE_DAYS,
) -> Rendered:
    """The city-wide report (laporan kota) for a period, with the channel probes."""
    doc = figures.city_report(db, date_from, date_to)
    doc["probes"] = probes.probe_figures(db, date_from, date_to, deadline_days=probe_deadline)
    charts = city_charts(doc, locale)
    return _document("findings/city.html", doc, locale, photo_dir, issuer, charts, official)


# --- official documents: letterhead, register number, approval -------------------------

DEFAULT_UNIT = "Inspektorat"
DEFAULT_PLACE = "Jambi"
DEFAULT_SIGNER_POSITION = "Inspektur"
DEFAULT_EMBLEM = STATIC / "print" / "emblem.svg"  # a neutral shield, no real coat of arms
# LT-MS: laporan temuan mystery shopping; numbered per year as government letters are.
DEFAULT_NUMBER_PATTERN = "{seq:03d}/LT-MS/{unit}/{roman_month}/{year}"
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


# Official's fields read from the REPORT_* settings (REPORT_SIGNER_NAME -> signer_name).
_SETTINGS = (
    "issuer",
    "unit",
    "address",
    "emblem",
    "number_pattern",
    "signer_name",
    "signer_position",
    "signer_nip",
    "place",
)


@dataclass(frozen=True)
class Official:
    """What makes an OPD or city PDF an official document: letterhead, number, signer."""

    issuer: str = DEFAULT_ISSUER
    unit: str = DEFAULT_UNIT
    address: str = ""
    emblem: Path = DEFAULT_EMBLEM
    number_pattern: str = DEFAULT_NUMBER_PATTERN
    signer_name: str = ""
    signer_position: str = DEFAULT_SIGNER_POSITION
    signer_nip: str = ""
    place: str = DEFAULT_PLACE
    created_by: str = ""
    number: str | None = None  # set once the register has issued one
    issued_at: dt.datetime | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], created_by: str = "") -> Official:
        """The REPORT_* settings of an app's config (blank ones keep their default)."""
        given = {name: config.get(f"REPORT_{name.upper()}") for name in _SETTINGS}
        kept = {k: str(v) for k, v in given.items() if v not in (None, "")}
        if "emblem" in kept:
            kept["emblem"] = Path(kept["emblem"]).resolve()
        return cls(**kept, created_by=created_by)

    def number_for(self, seq: int, when: dt.datetime, kind: str) -> str:
        """The printed number of the seq-th document of when's year, per the pattern."""
        fields = {
            "seq": seq,
            "year": when.year,
            "month": when.month,
            "roman_month": ROMAN_MONTHS[when.month - 1],
            "unit": re.sub(r"\s+", "-", self.unit.strip().upper()),
            "kind": kind,
        }
        try:
            return self.number_pattern.format_map(fields)
        except (KeyError, ValueError, IndexError, AttributeError) as exc:
            raise DomainError("bad_setting", f"REPORT_NUMBER_PATTERN: {exc}") from None


def issue(
    db: Database, official: Official, kind: str, period: tuple[str, str], opd_id: int | None
) -> tuple[Official, dict]:
    """Take the next number of this year from the register; the official, numbered, and its row."""
    now = dt.datetime.now(WIB)
    row = documents.issue(
        db,
        kind,
        period,
        opd_id,
        official.created_by,
        lambda seq, when: official.number_for(seq, when, kind),
        now,
    )
    return replace(official, number=row["number"], issued_at=now), row


def seal(db: Database, row: dict, rendered: Rendered) -> None:
    """Record the SHA-256 of the bytes handed out, so verify-document can find them."""
    documents.seal(db, row["id"], hashlib.sha256(rendered.pdf).hexdigest())


def official_opd_pdf(
    db: Database,
    slug: str,
    date_from: str,
    date_to: str,
    photo_dir: str | Path,
    official: Official,
    locale: str = "id",
    probe_deadline: int = checks.DEADLINE_DAYS,
) -> Rendered:
    """The OPD report under the next document number, its checksum registered."""
    opd_id = records.opd_by_slug(db, slug)["id"]  # an unknown OPD takes no number
    figures.period(date_from, date_to)  # nor does a bad period
    numbered, row = issue(db, official, "opd", (date_from, date_to), opd_id)
    rendered = opd_pdf(
        db,
        slug,
        date_from,
        date_to,
        photo_dir,
        locale,
        official=numbered,
        probe_deadline=probe_deadline,
    )
    seal(db, row, rendered)
    return rendered


def official_city_pdf(
    db: Database,
    date_from: str,
    date_to: str,
    photo_dir: str | Path,
    official: Official,
    locale: str = "id",
    probe_deadline: int = checks.DEADLINE_DAYS,
) -> Rendered:
    """The city report under the next document number, its checksum registered."""
    figures.period(date_from, date_to)
    numbered, row = issue(db, official, "city", (date_from, date_to), None)
    rendered = city_pdf(
        db, date_from, date_to, photo_dir, locale, official=numbered, probe_deadline=probe_deadline
    )
    seal(db, row, rendered)
    return rendered


def verify(db: Database, pdf: bytes) -> dict | None:
    """The register's row for these exact bytes, or None when they were never issued."""
    return documents.by_checksum(db, hashlib.sha256(pdf).hexdigest())


def filled_months(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every month of the period, a month without visits as an empty row (a gap stays visible)."""
    have = {m["month"]: m for m in doc["months"]}
    start = dt.date.fromisoformat(doc["period"]["from"])
    end = dt.date.fromisoformat(doc["period"]["to"])
    empty = {"visits": 0, "compliance": None, "zone": None, "ikm_converted": None, "mutu": None}
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        key = f"{year:04d}-{month:02d}"
        months.append(have.get(key) or {"month": key, **empty})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- charts (SVG from survey_app.charts, labels escaped there) ------------------------


def _number(locale: str):
    return lambda v: formatting.number(v, 2, locale)


def _short(name: str, limit: int = 30) -> str:
    """A chart label that fits left of the bars (the tables carry the full name)."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _bars(rows: list[tuple[str, float | None, dict | None]], locale: str) -> Markup:
    """A bar chart of (label, value, band) rows, coloured by the band's zone."""
    bars = [charts.Bar(label, value, band["zone"] if band else None) for label, value, band in rows]
    return Markup(charts.bar_chart(bars, number=_number(locale)))


def _compare(names: list[str], current: list, previous: list, locale: str) -> Markup | None:
    """This period against the previous one; None when there is nothing to compare."""
    if all(v is None for v in previous):
        return None
    gettext = labels.translations(locale).gettext
    legend = (gettext(labels.THIS_PERIOD), gettext(labels.PREVIOUS_PERIOD))
    return Markup(charts.compare_chart(names, current, previous, legend, number=_number(locale)))


def _priorities(figures: dict, locale: str) -> Markup:
    gettext = labels.translations(locale).gettext
    return _bars(
        [
            (gettext(labels.DIMENSIONS[d["code"]]), d["score"], d["band"])
            for d in figures["dimensions"]
        ],
        locale,
    )


def opd_charts(doc: dict[str, Any], locale: str) -> dict[str, Markup | None]:
    """The four priorities, and the headline figures against the previous period."""
    gettext = labels.translations(locale).gettext
    names = {"compliance": gettext(labels.OVERALL), "ikm_converted": "IKM"}
    names.update({code: gettext(text) for code, text in labels.DIMENSIONS.items()})
    shown = [r for r in doc["change"] if r["code"] in names]
    return {
        "priorities": _priorities(doc["figures"], locale),
        "change": _compare(
            [names[r["code"]] for r in shown],
            [r["current"] for r in shown],
            [r["previous"] for r in shown],
            locale,
        ),
    }


def city_charts(doc: dict[str, Any], locale: str) -> dict[str, Markup | None]:
    """OPD ranking, the four priorities, month by month, OPDs against the previous period."""
    opds = doc["opds"]
    return {
        "ranking": _bars(
            [(_short(o["name"]), o["figures"]["compliance"], o["figures"]["zone"]) for o in opds],
            locale,
        ),
        "priorities": _priorities(doc["figures"], locale),
        "months": _bars(
            [(_month(m["month"], locale), m["compliance"], m["zone"]) for m in filled_months(doc)],
            locale,
        ),
        "change": _compare(
            [_short(o["name"]) for o in opds],
            [o["figures"]["compliance"] for o in opds],
            [o["previous_compliance"] for o in opds],
            locale,
        ),
    }


# --- file names ----------------------------------------------------------------------


def _safe(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "x"


def visit_filename(visit_date: str, visit_uuid: str) -> str:
    """kunjungan-2026-04-03-1a2b3c4d.pdf"""
    return f"kunjungan-{_safe(visit_date or '')}-{_safe(visit_uuid)[:8]}.pdf"


def opd_filename(slug: str, date_from: str, date_to: str) -> str:
    """temuan-dishub-2026-04-01-2026-09-30.pdf"""
    return f"temuan-{_safe(slug)}-{_safe(date_from)}-{_safe(date_to)}.pdf"


def city_filename(date_from: str, date_to: str) -> str:
    """laporan-kota-2026-04-01-2026-09-30.pdf"""
    return f"laporan-kota-{_safe(date_from)}-{_safe(date_to)}.pdf"
