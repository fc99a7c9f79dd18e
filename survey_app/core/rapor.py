"""The Ombudsman readiness report's figures (rapor), from item results: pure, no SQL.

Every scored item carries the Ombudsman dimension it feeds (`tags.ombudsman`:
input, proses, output, pengaduan). One item result is a weight and a credit
between 0 and 1:

- a yes/no (or passing choice) item: credit 1 when it passed, 0 when it failed;
- an SKM unsur on the 1-4 scale: credit = answer / 4, so a dimension's SKM
  part is the mean answer x 25, the IKM conversion (4 -> 100, 1 -> 25);
- the derived "time kept" and "fee kept" (core/scoring.py): as yes/no, weight 1.

A dimension's score = 100 x sum(weight x credit) / sum(weight), pooled over
every result in the period (visits, probes and desk reviews alike). The
overall score is the mean of the dimensions that have data, with equal
weights: an ASSUMPTION, since the Ombudsman does not publish its weights.

What an item costs (the gap list) is the points its shortfall takes from its
dimension: 100 x sum(weight x (1 - credit)) / the dimension's sum(weight). The
costs of a dimension add up to exactly 100 minus its score; divided by the
number of dimensions with data, they are the points taken from the overall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from survey_app.core import scoring
from survey_app.core.instruments import OMBUDSMAN, Instrument, Item

RAPOR_SCHEMES = ("ombudsman-2015", "ombudsman-2022", "ombudsman-2025")


@dataclass(frozen=True)
class Result:
    """One scored item's result in one visit or check."""

    key: str  # "instrument.item", or "standar.waktu"
    dimension: str
    weight: Fraction
    credit: Fraction  # 0..1


@dataclass
class ItemStat:
    """One item's results pooled over the period."""

    key: str
    dimension: str
    results: int = 0
    short: int = 0  # results below full credit: failed, or an SKM answer below 4
    weight: Fraction = Fraction(0)
    credit: Fraction = Fraction(0)  # sum of weight x credit


@dataclass
class Pool:
    """Item results gathered, and those that could not be placed in a dimension."""

    items: dict[str, ItemStat] = field(default_factory=dict)
    unmapped: int = 0

    def add(self, result: Result) -> None:
        stat = self.items.setdefault(result.key, ItemStat(result.key, result.dimension))
        stat.results += 1
        stat.short += 1 if result.credit < 1 else 0
        stat.weight += result.weight
        stat.credit += result.weight * result.credit


def fallback_dimensions(instruments: Iterable[Instrument]) -> dict[str, str]:
    """'instrument.item' -> dimension, from the current versions: for a version stored
    before the tag existed, whose item keeps its id and meaning."""
    found = {
        f"{inst.id}.{item.id}": item.tags["ombudsman"]
        for inst in instruments
        for item in inst.items
        if item.scored and "ombudsman" in item.tags
    }
    for key, item in scoring.standard_items().items():
        found[key] = item.tags["ombudsman"]
    return found


def _dimension(key: str, item: Item, fallback: Mapping[str, str]) -> str | None:
    return item.tags.get("ombudsman") or fallback.get(key)


def _weight(item: Item) -> Fraction:
    return Fraction(item.weight).limit_denominator(10**6)


def visit_results(
    instruments: Sequence[Instrument],
    item_results: Mapping[str, Sequence[str]],
    skm_values: Mapping[str, Sequence[int]],
    fallback: Mapping[str, str],
    pool: Pool,
) -> None:
    """Add one visit's stored verdicts ("passed"/"failed" keys) and SKM answers to `pool`."""
    by_key = {f"{inst.id}.{item.id}": item for inst in instruments for item in inst.items}
    by_key.update(scoring.standard_items())
    for key in item_results.get("passed", ()):
        _add(pool, key, by_key.get(key), Fraction(1), fallback)
    for key in item_results.get("failed", ()):
        _add(pool, key, by_key.get(key), Fraction(0), fallback)
    unsur_items = {
        item.tags["unsur"]: (f"{inst.id}.{item.id}", item)
        for inst in instruments
        for item in inst.items
        if item.type == "scale4" and "unsur" in item.tags
    }
    for unsur, values in skm_values.items():
        key, item = unsur_items.get(unsur, (unsur, None))
        for value in values:
            _add(pool, key, item, Fraction(int(value), 4), fallback)


def check_results(
    instrument: Instrument,
    answers: Mapping[str, Any],
    fallback: Mapping[str, str],
    pool: Pool,
) -> None:
    """Add one check's (probe, desk review) answers to `pool`, scored against its instrument."""
    given = instrument.relevant_answers(answers)
    for item in instrument.items:
        if not item.scored:
            continue
        key = f"{instrument.id}.{item.id}"
        value = given.get(item.id)
        if item.checkable:
            verdict = item.passed(value)
            if verdict is not None:
                _add(pool, key, item, Fraction(1 if verdict else 0), fallback)
        elif value not in (None, "", "na"):
            _add(pool, key, item, Fraction(int(value), 4), fallback)


def _add(pool: Pool, key: str, item: Item | None, credit: Fraction, fallback) -> None:
    dimension = (_dimension(key, item, fallback) if item else None) or fallback.get(key)
    if dimension not in OMBUDSMAN:
        pool.unmapped += 1
        return
    weight = _weight(item) if item else Fraction(1)
    pool.add(Result(key, dimension, weight, credit))


def figures(
    pool: Pool,
    follow_ups: Sequence[Mapping[str, Any]] = (),
    today: str = "",
    schemes: Mapping[str, scoring.Scheme] | None = None,
) -> dict[str, Any]:
    """Dimension scores, the overall score, the forecast per scheme and the gap list.

    Scores are exact until here and rounded once (half up, two decimals);
    each forecast bands the rounded overall score, so the printed number and
    its band agree.
    """
    schemes = schemes or scoring.load_schemes()
    dims: dict[str, dict[str, Any]] = {}
    for dim in OMBUDSMAN:
        stats = [s for s in pool.items.values() if s.dimension == dim]
        weight = sum((s.weight for s in stats), Fraction(0))
        credit = sum((s.credit for s in stats), Fraction(0))
        dims[dim] = {
            "code": dim,
            "exact": 100 * credit / weight if weight else None,
            "weight": weight,
            "results": sum(s.results for s in stats),
            "items": len(stats),
        }
    with_data = [d for d in dims.values() if d["exact"] is not None]
    overall = sum(d["exact"] for d in with_data) / len(with_data) if with_data else None
    gaps = []
    for stat in pool.items.values():
        lost = stat.weight - stat.credit
        if lost <= 0:
            continue
        cost = 100 * lost / dims[stat.dimension]["weight"]
        gaps.append(
            {
                "item": stat.key,
                "dimension": stat.dimension,
                "short": stat.short,
                "of": stat.results,
                "share": scoring.round2(100 * stat.credit / stat.weight),
                "points": scoring.round2(cost),
                "overall_points": scoring.round2(cost / len(with_data)),
                "_exact": cost,
            }
        )
    gaps.sort(key=lambda g: (-g["_exact"], g["item"]))
    for g in gaps:
        del g["_exact"]
    printed = scoring.round2(overall)
    return {
        "dimensions": [
            {
                "code": d["code"],
                "score": scoring.round2(d["exact"]),
                "results": d["results"],
                "item_count": d["items"],
            }
            for d in dims.values()
        ],
        "overall": printed,
        "dimensions_with_data": len(with_data),
        "forecast": forecast(printed, follow_ups, today, schemes),
        "gaps": gaps,
        "unmapped": pool.unmapped,
        "results": sum(d["results"] for d in dims.values()),
    }


def forecast(
    overall: float | None,
    follow_ups: Sequence[Mapping[str, Any]],
    today: str,
    schemes: Mapping[str, scoring.Scheme],
) -> list[dict[str, Any]]:
    """Where the overall score falls in each Ombudsman scheme, with the 2025 condition."""
    out = []
    for scheme_id in RAPOR_SCHEMES:
        scheme = schemes[scheme_id]
        band = scheme.band(overall)
        condition = scheme.condition
        met = condition.met(follow_ups, today) if condition and band else None
        out.append(
            {
                "scheme": scheme_id,
                "title": scheme.title,
                "band": band,
                "condition": condition,
                "condition_met": met,
                "confirmed": bool(band and band.confirmed)
                and (condition is None or condition.confirmed),
                "cut_offs": scheme.bands,
            }
        )
    return out


def readiness_key(figures_: Mapping[str, Any]) -> tuple:
    """Sort key for the city's ranking: highest overall first, no data last."""
    return scoring.best_first(figures_["overall"])
