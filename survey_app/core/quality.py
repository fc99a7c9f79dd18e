"""The data-quality report that travels with every export and findings PDF (no Flask).

It says how much the figures can be trusted: what was counted and what was
left out, how much was reviewed and corrected, visits reported long after
they happened, service durations far from the OPD's usual, photos taken
outside the visit, and the sample against Krejcie & Morgan.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from survey_app.core import scoring

WIB = dt.timezone(dt.timedelta(hours=7))
LATE_HOURS = 24  # industry practice: report submitted within 24 hours of the visit
PHOTO_SLACK = dt.timedelta(minutes=30)
OUTLIER_FACTOR = 3  # a duration beyond median +/- 3 x MAD of the OPD's visits


REVIEWED = ("returned", "approved", "rejected")


def report(
    visits: list[dict],
    returned: set[str],
    photos: list[tuple[str, str, str]],
    populations: dict[int, int],
    names: dict[int, str],
) -> dict[str, Any]:
    """Every quality figure for the visits of a period, from what the store read.

    `visits` carry uuid, opd_id, status, visit_date, submitted_at, revision and
    scores; `returned` are the uuids ever returned; `photos` are (visit uuid,
    sha256, captured_at); `populations` and `names` are per OPD id.
    """
    statuses = Counter(v["status"] for v in visits)
    submitted = [v for v in visits if v["status"] != "draft"]
    reviewed = [v for v in submitted if v["status"] in REVIEWED]
    approved = [v for v in visits if v["status"] == "approved"]
    returned = returned & {v["uuid"] for v in visits}
    late = [v["uuid"] for v in submitted if (_delay_hours(v) or 0) > LATE_HOURS]
    return {
        "visits": len(visits),
        "by_status": dict(sorted(statuses.items())),
        "counted": len(approved),
        "excluded": len(visits) - len(approved),
        "reviewed_share": _percent(len(reviewed), len(submitted)),
        "returned": len(returned),
        "corrected": sum(1 for u in returned if _revision(visits, u) > 1),
        "late_reports": late,
        "late_hours": LATE_HOURS,
        "duration_outliers": _outliers(approved),
        "photos_outside_visit": _photos_outside(photos, visits),
        "sample": _samples(approved, populations, names),
    }


def _revision(visits: list[dict], uuid: str) -> int:
    return next((v["revision"] or 1) for v in visits if v["uuid"] == uuid)


def _percent(part: int, whole: int) -> float | None:
    """part/whole in percent, rounded half up to one decimal (13 of 16 -> 81.3), as printed."""
    if not whole:
        return None
    exact = Decimal(100 * part) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _end_of_service(visit: dict) -> dt.datetime | None:
    """When the service ended (WIB), by the visit's times or else the end of its day.

    A visit with no time items still counts: it cannot have ended after its
    own day, so a report received more than 24 h after that is late.
    """
    if not visit["visit_date"]:
        return None
    timing = (visit["scores"] or {}).get("timing") or {}
    end = timing.get("service_end") or timing.get("arrival") or "23:59"
    hour, minute = map(int, end.split(":")[:2])
    day = dt.date.fromisoformat(visit["visit_date"])
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


def _delay_hours(visit: dict) -> float | None:
    """Hours from the end of service to the server's receipt of the report."""
    end = _end_of_service(visit)
    if end is None or not visit["submitted_at"]:
        return None
    received = dt.datetime.fromisoformat(visit["submitted_at"])
    return (received - end).total_seconds() / 3600


def _outliers(approved: list[dict]) -> list[dict]:
    """Service durations far outside what the same OPD usually takes."""
    by_opd: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for v in approved:
        minutes = ((v["scores"] or {}).get("timing") or {}).get("service_minutes")
        if minutes is not None:
            by_opd[v["opd_id"]].append((v["uuid"], minutes))
    out = []
    for opd_id, pairs in by_opd.items():
        if len(pairs) < 4:
            continue
        values = [m for _, m in pairs]
        median = statistics.median(values)
        mad = statistics.median(abs(m - median) for m in values) or 1
        out += [
            {"uuid": u, "opd_id": opd_id, "minutes": m, "usual": median}
            for u, m in pairs
            if abs(m - median) > OUTLIER_FACTOR * mad
        ]
    return out


def _photos_outside(photos: list[tuple[str, str, str]], visits: list[dict]) -> list[dict]:
    """Photos whose capture time lies outside arrival..service end (+/- 30 minutes)."""
    by_uuid = {v["uuid"]: v for v in visits}
    out = []
    for p in photos:
        visit = by_uuid.get(p[0])
        window = _window(visit) if visit else None
        if window is None:
            continue
        taken = dt.datetime.fromisoformat(p[2].replace("Z", "+00:00"))
        if taken.tzinfo is None:
            taken = taken.replace(tzinfo=WIB)
        if not window[0] - PHOTO_SLACK <= taken <= window[1] + PHOTO_SLACK:
            out.append({"uuid": p[0], "sha256": p[1], "captured_at": p[2]})
    return out


def _window(visit: dict) -> tuple[dt.datetime, dt.datetime] | None:
    timing = (visit["scores"] or {}).get("timing") or {}
    start, end = timing.get("arrival"), timing.get("service_end")
    if not (start and end and visit["visit_date"]):
        return None
    day = dt.date.fromisoformat(visit["visit_date"])

    def at(clock: str) -> dt.datetime:
        hour, minute = map(int, clock.split(":")[:2])
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)

    return at(start), at(end)


def _samples(
    approved: list[dict], populations: dict[int, int], names: dict[int, str]
) -> list[dict]:
    """Approved visits per OPD against the Krejcie & Morgan sample for its yearly volume."""
    counts = Counter(v["opd_id"] for v in approved)
    rows = []
    for opd_id, count in sorted(counts.items(), key=lambda kv: names.get(kv[0], "")):
        population = populations.get(opd_id)
        required = scoring.sample_size(population) if population else None
        rows.append(
            {
                "opd_id": opd_id,
                "opd": names.get(opd_id),
                "visits": count,
                "population": population,
                "required": required,
                "below": bool(required and count < required),
            }
        )
    return rows


def rows(report: dict[str, Any], gettext) -> list[tuple[str, Any]]:
    """The report as (measure, value) rows in a locale: the same rows in every export and PDF.

    `gettext` is the document's own translation function (findings.labels).
    """
    from survey_app.core.labels import QUALITY, STATUSES  # labels imports nothing of ours

    out: list[tuple[str, Any]] = [
        (gettext(QUALITY["visits"]), report["visits"]),
        (gettext(QUALITY["counted"]), report["counted"]),
        (gettext(QUALITY["excluded"]), report["excluded"]),
    ]
    for status, count in report["by_status"].items():
        name = gettext(STATUSES.get(status, status))
        out.append((gettext(QUALITY["by_status"]) % {"status": name}, count))
    out += [
        (gettext(QUALITY["reviewed_share"]), report["reviewed_share"]),
        (gettext(QUALITY["returned"]), report["returned"]),
        (gettext(QUALITY["corrected"]), report["corrected"]),
        (
            gettext(QUALITY["late_reports"]) % {"hours": report["late_hours"]},
            len(report["late_reports"]),
        ),
        (gettext(QUALITY["duration_outliers"]), len(report["duration_outliers"])),
        (gettext(QUALITY["photos_outside_visit"]), len(report["photos_outside_visit"])),
        (gettext(QUALITY["sample_below"]), sum(1 for s in report["sample"] if s["below"])),
    ]
    for s in report["sample"]:
        if s["required"]:
            text = gettext(QUALITY["sample"]) % {
                "opd": s["opd"],
                "visits": s["visits"],
                "required": s["required"],
            }
            out.append((text, gettext(QUALITY["below"] if s["below"] else QUALITY["enough"])))
    return out
