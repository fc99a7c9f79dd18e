"""Per government and month, the readiness view's item tallies, kept until a visit in it changes.

The Ombudsman readiness view scores every forwarded visit again from its
answers: about 2 ms a visit, 20 s for a province of 21,000 visits. A
government's month is scored once instead, its item results pooled per OPD
(core/rapor.Pool: whole numbers, so merged tallies are exactly what pooling
the visits gives) and kept here as JSON; a period merges the tallies of its
whole months and scores only the days of its partial months.

A tally is dropped when a batch changes a visit of that government and
month (receive.receive, `forget`), and every tally when the hub learns an
instrument definition (`forget_all`). A tally made from the visits is kept
only if the government's change counter (`hub_governments.changes`, moved by
every batch under the government's row lock) still has the value read before
the visits were: a batch that arrived meanwhile leaves it unkept, never stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from survey_app.store.hub.backend import HubDB

CHUNK = 500


def changes(db: HubDB, governments: Iterable[str]) -> dict[str, int]:
    """Each government's change counter, read before its visits are."""
    slugs = sorted(set(governments))
    out: dict[str, int] = {}
    for start in range(0, len(slugs), CHUNK):
        part = slugs[start : start + CHUNK]
        rows = db.rows(
            "select slug, changes from hub_governments "
            f"where slug in ({', '.join('?' * len(part))})",
            part,
        )
        out.update({r["slug"]: int(r["changes"]) for r in rows})
    return out


def months_with_visits(db: HubDB, months: list[str], province: str | None) -> set[tuple[str, str]]:
    """(government, month) pairs among these months that hold approved visits."""
    if not months:
        return set()
    sql = (
        "select distinct government, substr(day, 1, 7) as month from hub_day_totals "
        "where day >= ? and day <= ?"
    )
    params: list[Any] = [f"{min(months)}-01", f"{max(months)}-31"]
    if province:
        sql += " and government in (select slug from hub_governments where province = ?)"
        params.append(province)
    wanted = set(months)
    return {(r["government"], r["month"]) for r in db.rows(sql, params) if r["month"] in wanted}


def kept(db: HubDB, months: list[str], province: str | None) -> dict[tuple[str, str], Any]:
    """(government, month) -> its kept tallies (as `keep` was given them), for these months."""
    if not months:
        return {}
    marks = ", ".join("?" * len(months))
    sql = f"select government, month, tallies from hub_rapor_tallies where month in ({marks})"
    params: list[Any] = list(months)
    if province:
        sql += " and government in (select slug from hub_governments where province = ?)"
        params.append(province)
    return {(r["government"], r["month"]): orjson.loads(r["tallies"]) for r in db.rows(sql, params)}


def keep(db: HubDB, government: str, month: str, tallies: Any, seen: int) -> bool:
    """Keep a month's tallies if no batch changed the government since `seen` was read."""
    with db.transaction():
        lock = " for share" if db.postgres else ""  # waits for a batch being stored
        now = db.value(f"select changes from hub_governments where slug = ?{lock}", [government])
        if now is None or int(now) != seen:
            return False
        db.execute(
            "insert into hub_rapor_tallies (government, month, tallies) values (?, ?, ?) "
            "on conflict (government, month) do update set tallies = excluded.tallies",
            [government, month, orjson.dumps(tallies).decode()],
        )
    return True


def forget(db: HubDB, government: str, months: Iterable[str]) -> None:
    """Drop the tallies of these months of one government (a visit in them changed)."""
    months = sorted({m for m in months if m})
    for start in range(0, len(months), CHUNK):
        part = months[start : start + CHUNK]
        db.execute(
            f"delete from hub_rapor_tallies where government = ? "
            f"and month in ({', '.join('?' * len(part))})",
            [government, *part],
        )


def forget_all(db: HubDB) -> None:
    """Drop every tally and move every government's counter (the definitions changed)."""
    with db.transaction():
        db.execute("update hub_governments set changes = changes + 1")
        db.execute("delete from hub_rapor_tallies")
