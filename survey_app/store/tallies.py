"""Per OPD, month and status: the totals summaries are made of, kept as rows.

A dashboard or `scores --by opd` for a quarter used to parse every visit's
brief in the period (and the previous period, and every visit's per-item
lists). A tally holds, for one OPD's visits of one month and status, what
`scoring.aggregate` and `scoring.failed_counts` compute from them, in a form
that adds up exactly: sums of floats as integers over a power of two (so the
mean of merged tallies is the correctly rounded sum divided by the count,
bit for bit what `math.fsum(values) / len(values)` gives), SKM answers as
integer sums and counts, and the failed and applied counts per item.

Tallies are made when first needed and kept in the `tallies` table; the
triggers of migration m010 drop one whenever a visit in it is added, changed
or removed, so they never go stale whichever program writes. Months the period
covers only in part are counted from the visits on the spot.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlite_utils import Database

from survey_app.core import scoring
from survey_app.store import records
from survey_app.store.connection import transaction


def new() -> dict[str, Any]:
    """An empty tally."""
    return {
        "visits": 0,
        "scheme": None,
        "compliance": [0, 0, 0],
        "dimensions": {},
        "skm": {},
        "waiting": [0, 0, 0],
        "service": [0, 0, 0],
        "over_max": 0,
        "fee_over": 0,
        "failed": Counter(),
        "applied": Counter(),
    }


def _add(total: list[int], value: float | int | None) -> None:
    """Add a value to an exact sum [m, e, count] standing for m / 2**e."""
    if value is None:
        return
    m, d = value.as_integer_ratio()
    e = d.bit_length() - 1  # d is a power of two
    if e > total[1]:
        total[0] <<= e - total[1]
        total[1] = e
    total[0] += m << (total[1] - e)
    total[2] += 1


def _join(total: list[int], other: list[int]) -> None:
    m, e, n = other
    if e > total[1]:
        total[0] <<= e - total[1]
        total[1] = e
    total[0] += m << (total[1] - e)
    total[2] += n


def _mean(total: list[int]) -> float | None:
    m, e, n = total
    return (m / (1 << e)) / n if n else None  # int / int is correctly rounded


def count(tally: dict[str, Any], brief: Mapping[str, Any], items: Mapping[str, Any]) -> None:
    """Add one visit (its brief scores and per-item lists) to a tally."""
    tally["visits"] += 1
    if tally["scheme"] is None:
        tally["scheme"] = brief["scheme"]
    compliance, timing = brief["compliance"], brief["timing"]
    _add(tally["compliance"], compliance["score"])
    for key, value in compliance["dimensions"].items():
        if value is not None:
            _add(tally["dimensions"].setdefault(key, [0, 0, 0]), value)
    for unsur, values in brief.get("skm_values", {}).items():
        total = tally["skm"].setdefault(unsur, [0, 0])
        total[0] += sum(values)
        total[1] += len(values)
    _add(tally["waiting"], timing["waiting_minutes"])
    _add(tally["service"], timing["service_minutes"])
    tally["over_max"] += 1 if timing["over_max"] else 0
    tally["fee_over"] += 1 if brief["fee"]["over_published"] else 0
    if failed := items.get("failed"):
        tally["failed"].update(failed)
        tally["applied"].update(failed)
    if passed := items.get("passed"):
        tally["applied"].update(passed)


def merge(tally: dict[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """Add another tally into this one; returns it."""
    tally["visits"] += other["visits"]
    tally["scheme"] = tally["scheme"] or other["scheme"]
    for key in ("compliance", "waiting", "service"):
        _join(tally[key], other[key])
    for key, total in other["dimensions"].items():
        _join(tally["dimensions"].setdefault(key, [0, 0, 0]), total)
    for unsur, (total, n) in other["skm"].items():
        mine = tally["skm"].setdefault(unsur, [0, 0])
        mine[0] += total
        mine[1] += n
    tally["over_max"] += other["over_max"]
    tally["fee_over"] += other["fee_over"]
    tally["failed"].update(other["failed"])
    tally["applied"].update(other["applied"])
    return tally


def aggregate(tally: Mapping[str, Any], population: int | None = None) -> dict[str, Any]:
    """What scoring.aggregate gives for the visits' briefs, from their tally."""
    scheme_id = tally["scheme"] or scoring.COMPLIANCE_DEFAULT_SCHEME
    comp = _mean(tally["compliance"])
    band = scoring.load_schemes()[scheme_id].band(comp)
    required = scoring.sample_size(population) if population else None
    return {
        "visits": tally["visits"],
        "compliance": comp,
        "scheme": scheme_id,
        "zone": band.code if band else None,
        "dimensions": {k: _mean(t) for k, t in sorted(tally["dimensions"].items())},
        "components": {},
        "sections": {},
        "skm": scoring.skm_totals({u: tuple(t) for u, t in tally["skm"].items()}),
        "waiting_minutes": _mean(tally["waiting"]),
        "service_minutes": _mean(tally["service"]),
        "over_max_time": tally["over_max"],
        "fee_over_published": tally["fee_over"],
        "population": population,
        "sample_required": required,
        "sample_below": bool(required and tally["visits"] < required),
        "failed_items": failed_counts(tally),
    }


def failed_counts(tally: Mapping[str, Any]) -> list[dict[str, Any]]:
    """scoring.failed_counts of the tallied visits."""
    return scoring.failed_rows(tally["failed"], tally["applied"])


# --- kept in the database ---------------------------------------------------------


def in_period(
    db: Database, date_from: str, date_to: str, status: str = "approved"
) -> dict[int, dict[str, Any]]:
    """One tally per OPD with visits in [date_from, date_to] (ISO dates)."""
    return per_opd(by_month(db, date_from, date_to, status).values())


def total(
    db: Database, date_from: str, date_to: str, status: str = "approved", opd_id: int | None = None
) -> dict[str, Any]:
    """One tally of every visit in the period (of one OPD when given), merged once."""
    months = by_month(db, date_from, date_to, status, opd_id).values()
    with records.collector_paused():
        return merged(t for month in months for t in month.values())


def by_month(
    db: Database, date_from: str, date_to: str, status: str = "approved", opd_id: int | None = None
) -> dict[str, dict[int, dict[str, Any]]]:
    """Per month the period touches ('YYYY-MM', in order): one tally per OPD with visits.

    Whole months are read as kept; the part of a month at either end is counted.
    With `opd_id`, only that OPD's tallies are read, kept or counted.
    """
    months, edges = split(date_from, date_to)
    found = kept(db, months, status, opd_id)
    for start, end in edges:
        found += [(o, start[:7], t) for o, t in counted(db, status, start, end, opd_id).items()]
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for opd_id, month, tally in sorted(found, key=lambda f: f[1]):
        if tally["visits"]:
            out.setdefault(month, {})[opd_id] = tally
    return out


def per_opd(months: Iterable[Mapping[int, Mapping[str, Any]]]) -> dict[int, dict[str, Any]]:
    """One tally per OPD from by_month's tallies (all months, or those given)."""
    out: dict[int, dict[str, Any]] = {}
    with records.collector_paused():
        for month in months:
            for opd_id, tally in month.items():
                merge(out.setdefault(opd_id, new()), tally)
    return out


def split(date_from: str, date_to: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The months wholly inside [from, to] ('YYYY-MM'), and the date ranges left over."""
    day, end = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    months, edges = [], []
    while day <= end:
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if day == first and last <= end:
            months.append(first.isoformat()[:7])
        else:
            edges.append((day.isoformat(), min(last, end).isoformat()))
        day = last + dt.timedelta(days=1)
    return months, edges


FEW = 8  # missing tallies of a month counted OPD by OPD; more: the whole month at once


def kept(
    db: Database, months: list[str], status: str, opd_id: int | None = None
) -> list[tuple[int, str, dict]]:
    """(OPD id, month, tally) for every OPD (or the one given) and month.

    Those missing are counted and kept.
    """
    if not months:
        return []
    marks = ", ".join("?" * len(months))
    query = f"select opd_id, month, tally from tallies where status = ? and month in ({marks})"
    params: list[Any] = [status, *months]
    if opd_id is not None:
        query += " and opd_id = ?"
        params.append(opd_id)
    rows = db.execute(query, params).fetchall()
    opds = [opd_id] if opd_id is not None else [r[0] for r in db.execute("select id from opds")]
    if len(rows) < len(opds) * len(months):
        with transaction(db):  # no visit can change between counting and keeping
            have = {(r[0], r[1]) for r in db.execute(query, params)}
            for month in months:
                wanted = {o for o in opds if (o, month) not in have}
                if wanted:
                    _keep(db, status, month, wanted)
        rows = db.execute(query, params).fetchall()
    with records.collector_paused():
        return [(r[0], r[1], _loads(r[2])) for r in rows]


def _keep(db: Database, status: str, month: str, opd_ids: set[int]) -> None:
    """Count and keep the tallies of these OPDs for the month.

    A few OPDs (an approval drops one tally) are counted one by one, so the
    rest of the month's visits are not read again; more in one pass.
    """
    span = (f"{month}-01", f"{month}-31")
    if len(opd_ids) > FEW:
        counts = counted(db, status, *span)
    else:
        counts = {o: t for o in opd_ids for t in counted(db, status, *span, o).values()}
    db.conn.executemany(
        "insert or replace into tallies (opd_id, month, status, tally) values (?, ?, ?, ?)",
        [(o, month, status, _dumps(counts.get(o) or new())) for o in sorted(opd_ids)],
    )


def counted(
    db: Database, status: str, date_from: str, date_to: str, opd_id: int | None = None
) -> dict[int, dict]:
    """Tallies per OPD (or of one OPD) counted from the visits themselves."""
    out: dict[int, dict] = {}
    inputs = records.tally_inputs(db, status, date_from, date_to, opd_id)
    with records.collector_paused():
        for opd, brief, items in inputs:
            count(out.setdefault(opd, new()), brief, items)
    return out


def _dumps(tally: Mapping[str, Any]) -> str:
    def exact(t: list[int]) -> list:
        return [str(t[0]), t[1], t[2]]

    return orjson.dumps(
        {
            **tally,
            "compliance": exact(tally["compliance"]),
            "waiting": exact(tally["waiting"]),
            "service": exact(tally["service"]),
            "dimensions": {k: exact(t) for k, t in tally["dimensions"].items()},
        }
    ).decode()


def _loads(text: str) -> dict[str, Any]:
    raw = orjson.loads(text)

    def exact(t: list) -> list[int]:
        return [int(t[0]), t[1], t[2]]

    raw["compliance"], raw["waiting"], raw["service"] = (
        exact(raw[k]) for k in ("compliance", "waiting", "service")
    )
    raw["dimensions"] = {k: exact(t) for k, t in raw["dimensions"].items()}
    raw["failed"], raw["applied"] = Counter(raw["failed"]), Counter(raw["applied"])
    return raw


def merged(tallies: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One tally of many."""
    total = new()
    for tally in tallies:
        merge(total, tally)
    return total
