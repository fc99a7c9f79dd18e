"""Channel probes as the dashboard, the OPD and city PDFs and the exports show them (no Flask).

One function per figure, called by screens and documents alike. A probe's
outcome is judged here against the deadline in working days (the holidays
table, SURVEY_APP_PROBE_DEADLINE_DAYS) at the moment the figure is made:
"answered" by the deadline, "late", "no_answer" once it passed, "waiting"
before. Response times count answered probes (late ones too), in working
minutes and working days. Independent figures read independent probes only
(self_assessed = 0); the self-assessed side is asked for by name.

Assessors are never named: an OPD report must not tell who probed it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Collection
from typing import Any

from sqlite_utils import Database

from survey_app.core import checks, scoring
from survey_app.store import checks as check_store

round2 = scoring.round2
PROBE_DIMENSIONS = ("akses_informasi", "pengaduan")
WITHIN_DAYS = 1  # "menjawab dalam 1 hari kerja"
OUTCOMES = ("answered", "late", "no_answer", "waiting")


def probe_rows(
    db: Database,
    date_from: str | None,
    date_to: str | None,
    *,
    opd_id: int | None = None,
    self_assessed: bool = False,
    deadline_days: int = checks.DEADLINE_DAYS,
    now: dt.datetime | None = None,
    holidays: Collection[dt.date] | None = None,
) -> list[dict[str, Any]]:
    """The probes of a period, each with its outcome and response time (no assessor name)."""
    days_off = check_store.holiday_dates(db) if holidays is None else holidays
    now = now or dt.datetime.now()
    out = []
    found = check_store.for_period(
        db, date_from, date_to, self_assessed=self_assessed, kind="probe", opd_id=opd_id
    )
    for c in found:
        timing = checks.probe_timing(c["sent_at"], c["answered_at"], days_off, deadline_days, now)
        scores = c["scores"] or {}
        out.append(
            {
                "uuid": c["uuid"],
                "opd_id": c["opd_id"],
                "opd": c["opd_slug"],
                "opd_name": c["opd_name"],
                "channel": c["channel"],
                "self_assessed": c["self_assessed"],
                "assessor_id": c["assessor_id"],
                "check_date": c["check_date"],
                "sent_at": c["sent_at"],
                "answered_at": c["answered_at"],
                "deadline": timing.deadline.isoformat(timespec="minutes")
                if timing.deadline
                else None,
                "outcome": timing.outcome,
                "minutes": timing.minutes,
                "working_days": timing.working_days,
                "within_day": timing.outcome == "answered"
                and timing.working_days is not None
                and timing.working_days <= WITHIN_DAYS,
                "score": scores.get("score"),
                "dimensions": scores.get("dimensions") or {},
                "failed": scores.get("failed") or [],
                "instrument": c["instrument_id"],
                "instrument_version": c["instrument_version"],
                "answers": c["answers"],
                "notes": c["notes"],
                "photos": c["photos"],
            }
        )
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, response times and dimension scores over probes (all channels, or one)."""
    answered = [r for r in rows if r["outcome"] in ("answered", "late")]
    minutes = [r["minutes"] for r in answered if r["minutes"] is not None]
    days = [r["working_days"] for r in answered if r["working_days"] is not None]
    dims = {}
    for code in PROBE_DIMENSIONS:
        values = [r["dimensions"][code] for r in rows if r["dimensions"].get(code) is not None]
        dims[code] = round2(statistics.fmean(values)) if values else None
    scores = [r["score"] for r in rows if r["score"] is not None]
    return {
        "probes": len(rows),
        **{o: sum(1 for r in rows if r["outcome"] == o) for o in OUTCOMES},
        "within_day": sum(1 for r in rows if r["within_day"]),
        "median_minutes": round2(statistics.median(minutes)) if minutes else None,
        "median_working_days": round2(statistics.median(days)) if days else None,
        "score": round2(statistics.fmean(scores)) if scores else None,
        "dimensions": dims,
    }


def probe_figures(
    db: Database,
    date_from: str | None,
    date_to: str | None,
    *,
    opd_id: int | None = None,
    self_assessed: bool = False,
    deadline_days: int = checks.DEADLINE_DAYS,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The probe section of a screen or document: the whole, per channel and per OPD.

    {"total": summary, "channels": [{"code", **summary}], "opds": [{"slug", "name",
    **summary}], "rows": [...], "deadline_days": n, "within_days": 1}
    """
    rows = probe_rows(
        db,
        date_from,
        date_to,
        opd_id=opd_id,
        self_assessed=self_assessed,
        deadline_days=deadline_days,
        now=now,
    )
    channels = [
        {"code": code, **summary([r for r in rows if r["channel"] == code])}
        for code in checks.CHANNELS
        if any(r["channel"] == code for r in rows)
    ]
    opds: dict[int, list] = {}
    for r in rows:
        opds.setdefault(r["opd_id"], []).append(r)
    per_opd = sorted(
        (
            {"slug": group[0]["opd"], "name": group[0]["opd_name"], **summary(group)}
            for group in opds.values()
        ),
        key=lambda o: (-o["within_day"] / o["probes"], o["name"]),
    )
    return {
        "total": summary(rows),
        "channels": channels,
        "opds": per_opd,
        "rows": [{k: v for k, v in r.items() if k != "assessor_id"} for r in rows],
        "deadline_days": deadline_days,
        "within_days": WITHIN_DAYS,
        "self_assessed": self_assessed,
    }


# --- exports ---------------------------------------------------------------------------

PROBE_COLUMNS = (
    "uuid",
    "opd",
    "channel",
    "evaluator_id",
    "self_assessed",
    "check_date",
    "sent_at",
    "answered_at",
    "deadline",
    "outcome",
    "response_minutes",
    "response_working_days",
    "score",
    "akses_informasi",
    "pengaduan",
)
PROBE_LONG_COLUMNS = (
    "uuid",
    "opd",
    "channel",
    "evaluator_id",
    "self_assessed",
    "check_date",
    "instrument",
    "item",
    "value",
    "note",
)


def export_rows(
    db: Database,
    date_from: str | None,
    date_to: str | None,
    opd_id: int | None = None,
    deadline_days: int = checks.DEADLINE_DAYS,
) -> list[dict[str, Any]]:
    """Every probe of the period, independent and self-assessed (marked), for the exports.

    Carries evaluator_id (never a name), as the visit exports do.
    """
    out = []
    for self_assessed in (False, True):
        for r in probe_rows(
            db,
            date_from,
            date_to,
            opd_id=opd_id,
            self_assessed=self_assessed,
            deadline_days=deadline_days,
        ):
            out.append(
                {
                    "uuid": r["uuid"],
                    "opd": r["opd"],
                    "channel": r["channel"],
                    "evaluator_id": r["assessor_id"],
                    "self_assessed": int(r["self_assessed"]),
                    "check_date": r["check_date"],
                    "sent_at": r["sent_at"],
                    "answered_at": r["answered_at"],
                    "deadline": r["deadline"],
                    "outcome": r["outcome"],
                    "response_minutes": r["minutes"],
                    "response_working_days": r["working_days"],
                    "score": r["score"],
                    "akses_informasi": r["dimensions"].get("akses_informasi"),
                    "pengaduan": r["dimensions"].get("pengaduan"),
                    "instrument": r["instrument"],
                    "instrument_version": r["instrument_version"],
                    "answers": r["answers"],
                    "notes": r["notes"],
                    "photos": [p["sha256"] for p in r["photos"]],
                }
            )
    return sorted(out, key=lambda p: (p["check_date"], p["opd"], p["uuid"]))


def long_rows(probes: list[dict[str, Any]]):
    """One row per probe answer."""
    for p in probes:
        for item, value in p["answers"].items():
            yield {
                **{k: p[k] for k in PROBE_LONG_COLUMNS[:6]},
                "instrument": p["instrument"],
                "item": item,
                "value": value,
                "note": p["notes"].get(item),
            }
