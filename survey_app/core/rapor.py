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
from functools import cache
from typing import Any

from survey_app.core import scoring
from survey_app.core.instruments import OMBUDSMAN, Instrument

RAPOR_SCHEMES = ("ombudsman-2015", "ombudsman-2022", "ombudsman-2025")


QUARTERS = 4  # credits are counted in quarters: a pass 4, a fail 0, an SKM answer v is v


@dataclass
class ItemStat:
    """One item's results pooled over the period, counted in whole numbers.

    `by_weight` maps each weight the item carried (a version may change it) to
    [results, quarters of credit]; the exact sums are made from it once.
    """

    key: str
    dimension: str
    results: int = 0
    short: int = 0  # results below full credit: failed, or an SKM answer below 4
    by_weight: dict[float, list[int]] = field(default_factory=dict)

    @property
    def weight(self) -> Fraction:
        """Sum of the weights of its results."""
        if len(self.by_weight) == 1:  # the usual case, built at once (Fraction arithmetic is slow)
            [(w, (n, _))] = self.by_weight.items()
            exact = _exact(w)
            return Fraction(exact.numerator * n, exact.denominator)
        return sum((_exact(w) * n for w, (n, _) in self.by_weight.items()), Fraction(0))

    @property
    def credit(self) -> Fraction:
        """Sum of weight x credit over its results."""
        if len(self.by_weight) == 1:
            [(w, (_, q))] = self.by_weight.items()
            exact = _exact(w)
            return Fraction(exact.numerator * q, exact.denominator * QUARTERS)
        return sum(
            (_exact(w) * Fraction(q, QUARTERS) for w, (_, q) in self.by_weight.items()),
            Fraction(0),
        )


@dataclass
class Pool:
    """Item results gathered, and those that could not be placed in a dimension."""

    items: dict[str, ItemStat] = field(default_factory=dict)
    unmapped: int = 0

    def add(self, key: str, dimension: str, weight: float, quarters: int) -> None:
        """One result: its item, dimension, weight and credit in quarters (0-4)."""
        stat = self.items.get(key)
        if stat is None:
            stat = self.items[key] = ItemStat(key, dimension)
        stat.results += 1
        if quarters < QUARTERS:
            stat.short += 1
        tally = stat.by_weight.get(weight)
        if tally is None:
            tally = stat.by_weight[weight] = [0, 0]
        tally[0] += 1
        tally[1] += quarters

    def merge(self, other: Pool) -> Pool:
        """Add another pool's results to this one (whole numbers: exact in any order)."""
        self.unmapped += other.unmapped
        for key, theirs in other.items.items():
            stat = self.items.get(key)
            if stat is None:
                stat = self.items[key] = ItemStat(key, theirs.dimension)
            stat.results += theirs.results
            stat.short += theirs.short
            for weight, (n, quarters) in theirs.by_weight.items():
                tally = stat.by_weight.setdefault(weight, [0, 0])
                tally[0] += n
                tally[1] += quarters
        return self

    def dump(self) -> dict[str, Any]:
        """The pool as JSON-ready data (weights as their float's repr: read back exactly)."""
        return {
            "unmapped": self.unmapped,
            "items": {
                key: [s.dimension, s.results, s.short, {repr(w): t for w, t in s.by_weight.items()}]
                for key, s in self.items.items()
            },
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Pool:
        """A pool from dump()'s data."""
        return cls().merge_dumped(data)

    def merge_dumped(self, data: Mapping[str, Any]) -> Pool:
        """Add dump()'s data of another pool to this one (without building that pool)."""
        self.unmapped += int(data["unmapped"])
        items = self.items
        for key, (dimension, results, short, by_weight) in data["items"].items():
            stat = items.get(key)
            if stat is None:
                stat = items[key] = ItemStat(key, dimension)
            stat.results += results
            stat.short += short
            for w, (n, quarters) in by_weight.items():
                tally = stat.by_weight.setdefault(float(w), [0, 0])
                tally[0] += n
                tally[1] += quarters
        return self


@cache
def _exact(weight: float) -> Fraction:
    """A weight from YAML as the fraction it stands for (0.1 -> 1/10, not binary noise)."""
    return Fraction(weight).limit_denominator(10**6)


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


_SPECS: dict[tuple, tuple[tuple, dict, dict]] = {}


def _specs(instruments: Sequence[Instrument]) -> tuple[dict, dict]:
    """Per instrument set, once: 'instrument.item' -> (dimension or None, weight) for
    its scored items and the standard items, and unsur -> 'instrument.item'.

    Kept by the objects' identity (and the objects kept with it, so an id is never
    reused): the content hash leaves the Ombudsman tags out, so it cannot tell a
    tagged version from the same version stored before the tag existed.
    """
    ident = tuple(id(i) for i in instruments)
    if ident not in _SPECS:
        specs: dict[str, tuple[str | None, float]] = {}
        unsur: dict[str, str] = {}
        pairs = [(f"{inst.id}.{item.id}", item) for inst in instruments for item in inst.items]
        pairs += list(scoring.standard_items().items())
        for key, item in pairs:
            if item.scored:
                specs[key] = (item.tags.get("ombudsman"), item.weight)
            if item.type == "scale4" and "unsur" in item.tags:
                unsur.setdefault(item.tags["unsur"], key)
        if len(_SPECS) > 256:
            _SPECS.clear()
        _SPECS[ident] = (tuple(instruments), specs, unsur)
    return _SPECS[ident][1:]


def visit_results(
    instruments: Sequence[Instrument],
    item_results: Mapping[str, Sequence[str]],
    skm_values: Mapping[str, Sequence[int]],
    fallback: Mapping[str, str],
    *pools: Pool,
) -> None:
    """Add one visit's stored verdicts ("passed"/"failed" keys) and SKM answers to `pools`."""
    specs, unsur = _specs(instruments)
    for quarters, keys in (
        (QUARTERS, item_results.get("passed", ())),
        (0, item_results.get("failed", ())),
    ):
        for key in keys:
            _add(pools, key, specs.get(key), quarters, fallback)
    for code, values in skm_values.items():
        key = unsur.get(code, code)
        for value in values:
            _add(pools, key, specs.get(key), int(value), fallback)


def check_results(
    instrument: Instrument,
    answers: Mapping[str, Any],
    fallback: Mapping[str, str],
    *pools: Pool,
) -> None:
    """Add one check's (probe, desk review) answers to `pools`, scored against its instrument."""
    specs, _ = _specs([instrument])
    given = instrument.relevant_answers(answers)
    for item in instrument.items:
        if not item.scored:
            continue
        key = f"{instrument.id}.{item.id}"
        value = given.get(item.id)
        if item.checkable:
            verdict = item.passed(value)
            if verdict is not None:
                _add(pools, key, specs.get(key), QUARTERS if verdict else 0, fallback)
        elif value not in (None, "", "na"):
            _add(pools, key, specs.get(key), int(value), fallback)


def _add(pools, key: str, spec: tuple | None, quarters: int, fallback: Mapping[str, str]) -> None:
    dimension, weight = spec if spec else (None, 1.0)
    dimension = dimension or fallback.get(key)  # a version stored before the tag existed
    for pool in pools:
        if dimension in OMBUDSMAN:
            pool.add(key, dimension, weight, quarters)
        else:
            pool.unmapped += 1


def figures(
    pool: Pool,
    follow_ups: Sequence[Mapping[str, Any]] = (),
    today: str = "",
    schemes: Mapping[str, scoring.Scheme] | None = None,
    gaps: bool = True,
) -> dict[str, Any]:
    """Dimension scores, the overall score, the forecast per scheme and the gap list
    (empty without `gaps`: the hub's OPD lines show none, and it is half the work).

    Scores are exact until here and rounded once (half up, two decimals);
    each forecast bands the rounded overall score, so the printed number and
    its band agree.
    """
    schemes = schemes or scoring.load_schemes()
    exact = {key: (stat.weight, stat.credit) for key, stat in pool.items.items()}
    dims: dict[str, dict[str, Any]] = {}
    for dim in OMBUDSMAN:
        stats = [s for s in pool.items.values() if s.dimension == dim]
        weight = sum((exact[s.key][0] for s in stats), Fraction(0))
        credit = sum((exact[s.key][1] for s in stats), Fraction(0))
        dims[dim] = {
            "code": dim,
            "exact": 100 * credit / weight if weight else None,
            "weight": weight,
            "results": sum(s.results for s in stats),
            "items": len(stats),
        }
    with_data = [d for d in dims.values() if d["exact"] is not None]
    overall = sum(d["exact"] for d in with_data) / len(with_data) if with_data else None
    lost_items = []
    for stat in pool.items.values() if gaps else ():
        weight, credit = exact[stat.key]
        lost = weight - credit
        if lost <= 0:
            continue
        cost = 100 * lost / dims[stat.dimension]["weight"]
        lost_items.append(
            {
                "item": stat.key,
                "dimension": stat.dimension,
                "short": stat.short,
                "of": stat.results,
                "share": scoring.round2(100 * credit / weight),
                "points": scoring.round2(cost),
                "overall_points": scoring.round2(cost / len(with_data)),
                "_exact": cost,
            }
        )
    lost_items.sort(key=lambda g: (-g["_exact"], g["item"]))
    for g in lost_items:
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
        "gaps": lost_items,
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
