"""How a visit's scores are kept: the full blob, the item results, and the brief summaries read.

Shared by the records and by migration m009, which filled the briefs of
visits stored before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


def _dumps(value: Any) -> str:
    """Scores as JSON text, by orjson (what reads them back): a tenth of json.dumps' time."""
    return orjson.dumps(value).decode()


def split_scores(scores: Mapping[str, Any]) -> tuple[str, str, str]:
    """(scores JSON without the per-item lists, the lists' JSON, the brief) for storing."""
    compliance = dict(scores["compliance"])
    items = {k: compliance.pop(k) for k in ("passed", "failed") if k in compliance}
    return _dumps({**scores, "compliance": compliance}), _dumps(items), brief_of(scores)


def brief_of(scores: Mapping[str, Any]) -> str:
    """The part of a visit's scores that per-OPD and city summaries read, as JSON.

    The same shape as the scores (so scoring.aggregate takes it unchanged),
    without sections, components, per-item lists and SKM detail: a fifth of
    the bytes to parse for every visit of a period.
    """
    compliance = scores["compliance"]
    timing, fee = scores["timing"], scores["fee"]
    return _dumps(
        {
            "compliance": {
                "score": compliance["score"],
                "dimensions": compliance["dimensions"],
                "sections": {},
                "components": {},
            },
            "scheme": scores["scheme"],
            "skm_values": scores.get("skm_values", {}),
            "timing": {k: timing[k] for k in ("waiting_minutes", "service_minutes", "over_max")},
            "fee": {"over_published": fee["over_published"]},
        }
    )


def join_scores(blob: str | None, items: str | None) -> dict | None:
    """Stored scores back as one dict, with the per-item lists when given."""
    if not blob:
        return None
    scores = orjson.loads(blob)
    if items:
        scores["compliance"].update(orjson.loads(items))
    return scores
