"""The reads behind the Ombudsman readiness report (rapor): approved visits' item results."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlite_utils import Database

from survey_app.store import records


def visit_results(
    db: Database, date_from: str, date_to: str, opd_id: int | None = None
) -> list[dict[str, Any]]:
    """Each approved visit of the period (of one OPD when given): its OPD, its instrument
    versions, its stored pass/fail lists and SKM answers, as the review scored them."""
    where, params = records.visits_where("approved", date_from, date_to, opd_id)
    refs: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for uuid, inst_id, version in db.execute(
        "select visit_uuid, instrument_id, instrument_version from visit_instruments "
        f"where visit_uuid in (select uuid from visits where {where}) "
        "order by visit_uuid, position",
        params,
    ):
        refs[uuid].append((inst_id, version))
    out = []
    rows = db.execute(
        f"select uuid, opd_id, brief, item_results from visits where {where} order by uuid",
        params,
    ).fetchall()
    for uuid, opd_id, brief, items in rows:
        if brief and items:
            scores, lists = orjson.loads(brief), orjson.loads(items)
        else:  # stored before briefs or item lists had their columns
            scores = records.scores_of(db, records.visit(db, uuid))
            lists = scores["compliance"]
        out.append(
            {
                "uuid": uuid,
                "opd_id": opd_id,
                "instruments": refs[uuid],
                "item_results": {k: lists.get(k, []) for k in ("passed", "failed")},
                "skm_values": scores.get("skm_values", {}),
            }
        )
    return out
