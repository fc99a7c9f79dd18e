"""A self-assessment beside the independent view: the same figures from both, and the gap.

Pure: each side is a list of assessments, each the verdicts of its checkable
items (item id -> True passed, False failed, None not applicable). A side's
score is the mean over its assessments of each one's weighted share of
applicable items passed (0-100), as the compliance of visits is averaged; an
item's figure is the share of assessments where it applied that passed it;
a dimension's, the mean over assessments of the share of its items passed.
The gap is self minus independent, on the printed (rounded) figures.
Nothing here reads which side an assessment came from: callers keep the two
apart (store.checks.for_period's `self_assessed`), so a self-assessment can
never reach an independent figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from survey_app.core.instruments import Item
from survey_app.core.scoring import round2

Verdicts = Mapping[str, bool | None]


def _share(verdicts: Verdicts, items: Iterable[Item]) -> Fraction | None:
    """Weighted share (0-100) of these items passed in one assessment; None if none applied."""
    passed = total = Fraction(0)
    for item in items:
        verdict = verdicts.get(item.id)
        if verdict is None:
            continue
        weight = Fraction(str(item.weight))
        total += weight
        passed += weight if verdict else 0
    return 100 * passed / total if total else None


def _mean(values: Iterable[Fraction | None]) -> Fraction | None:
    kept = [v for v in values if v is not None]
    return sum(kept, Fraction(0)) / len(kept) if kept else None


def side(
    assessments: Sequence[Verdicts], items: Sequence[Item], group: Mapping[str, str]
) -> dict[str, Any]:
    """One side's figures: how many assessments, the score, per group and per item (rounded).

    `items` are the checkable items compared, in order; `group` maps an item id
    to its dimension (items without one are in no group).
    """
    groups: dict[str, list[Item]] = {}
    for item in items:
        if item.id in group:
            groups.setdefault(group[item.id], []).append(item)
    per_item = {}
    for item in items:
        verdicts = [a.get(item.id) for a in assessments if a.get(item.id) is not None]
        per_item[item.id] = {
            "share": round2(Fraction(100 * sum(verdicts), len(verdicts))) if verdicts else None,
            "passed": sum(verdicts),
            "of": len(verdicts),
        }
    return {
        "assessments": len(assessments),
        "score": round2(_mean(_share(a, items) for a in assessments)),
        "groups": {
            code: round2(_mean(_share(a, members) for a in assessments))
            for code, members in groups.items()
        },
        "items": per_item,
    }


def gap(own: float | None, independent: float | None) -> float | None:
    """Self minus independent on the printed figures (exact on two decimals); None if either is."""
    if own is None or independent is None:
        return None
    return round2(Fraction(str(own)) - Fraction(str(independent)))


def compare(
    own: Mapping[str, Any],
    independent: Mapping[str, Any],
    items: Sequence[Item],
    groups: Sequence[str],
) -> dict[str, Any]:
    """The two sides next to each other: overall, per group (in `groups` order), per item.

    Items and groups that neither side could judge are left out.
    """
    rows = []
    for item in items:
        mine, theirs = own["items"][item.id], independent["items"][item.id]
        if mine["of"] or theirs["of"]:
            rows.append(
                {
                    "item": item.id,
                    "self": mine,
                    "independent": theirs,
                    "gap": gap(mine["share"], theirs["share"]),
                }
            )
    dims = []
    for code in groups:
        mine, theirs = own["groups"].get(code), independent["groups"].get(code)
        if mine is not None or theirs is not None:
            pair = {"code": code, "self": mine, "independent": theirs}
            dims.append({**pair, "gap": gap(mine, theirs)})
    return {
        "self": {"assessments": own["assessments"], "score": own["score"]},
        "independent": {"assessments": independent["assessments"], "score": independent["score"]},
        "gap": gap(own["score"], independent["score"]),
        "dimensions": dims,
        "items": rows,
    }
