"""Per government and day, the sums of its approved visits, kept as records arrive.

The national dashboard added up every visit of the period twice (ranking and
trend): 2.14 s cold at a million visits. A government's day holds the same
sums the figures add up (store/hub/figures.SUMS), so a period of any length,
whole months or not, is read from about 365 rows a government a year instead
of its visits. The rows of the days a batch touches (the new visit dates and
the dates the changed visits had before) are counted again from the visits in
the batch's transaction: a re-review that moves a visit to another day or
withdraws it leaves no stale day behind, and the totals are what a count of
the visits would give. `rebuild` counts them all again (after a bulk load).
"""

from __future__ import annotations

from collections.abc import Iterable

from survey_app.store.hub.backend import HubDB
from survey_app.store.hub.schema import UNSUR

CHUNK = 500  # days per IN (...) list

# the columns of hub_day_totals after (government, day), and how each is counted from visits
COUNTED = (
    ("visits", "count(*)"),
    ("c_sum", "sum(v.compliance)"),
    ("c_n", "count(v.compliance)"),
    ("w_sum", "sum(v.waiting_minutes)"),
    ("w_n", "count(v.waiting_minutes)"),
    ("s_sum", "sum(v.service_minutes)"),
    ("s_n", "count(v.service_minutes)"),
    ("over_max", "sum(v.over_max)"),
    ("fee_over", "sum(v.fee_over)"),
    ("scheme", "max(v.scheme)"),
    *((f"{u}_{part}", f"sum(v.{u}_{part})") for u in UNSUR for part in ("sum", "n")),
)
COLUMNS = ", ".join(name for name, _ in COUNTED)
_COUNT = (
    f"insert into hub_day_totals (government, day, {COLUMNS}) "
    f"select v.government, v.visit_date, {', '.join(sql for _, sql in COUNTED)} "
    "from hub_visits v where {where} group by v.government, v.visit_date"
)
# the sums of a group of visits, and of a group of days under the same names
VISIT_SUMS = ", ".join(f"{sql} as {name}" for name, sql in COUNTED)
SUMS = ", ".join(
    f"max(t.{name}) as {name}" if name == "scheme" else f"sum(t.{name}) as {name}"
    for name, _ in COUNTED
)


def recount(db: HubDB, government: str, days: Iterable[str]) -> None:
    """Count these days of one government again from its approved visits.

    In the transaction that changed them, holding the government's lock
    (receive.receive): no other batch of it counts the same days meanwhile.
    """
    days = sorted({d for d in days if d})
    for start in range(0, len(days), CHUNK):
        part = days[start : start + CHUNK]
        marks = ", ".join("?" * len(part))
        db.execute(
            f"delete from hub_day_totals where government = ? and day in ({marks})",
            [government, *part],
        )
        db.execute(
            _COUNT.format(
                where=f"v.government = ? and v.status = 'approved' and v.visit_date in ({marks})"
            ),
            [government, *part],
        )


def rebuild(db: HubDB) -> int:
    """Count every government's days again from the visits; how many day rows there are."""
    with db.transaction():
        db.execute("delete from hub_day_totals")
        db.execute(_COUNT.format(where="v.status = 'approved'"))
    return int(db.value("select count(*) from hub_day_totals") or 0)
