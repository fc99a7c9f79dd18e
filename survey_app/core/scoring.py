"""Pure scoring: answers -> compliance, SKM/IKM, timing, fee, bands, aggregates.

No Flask and no database here. Arithmetic is exact (fractions) and rounding
happens once, at the edge, half up to two decimals, so the 1/9 weights of
PermenPANRB 14/2017 reach exactly 100.00 when every answer is 4.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from survey_app.core.instruments import UNSUR, Instrument, Item, Label

SCHEMES_FILE = Path(__file__).with_name("schemes.yaml")
COMPLIANCE_DEFAULT_SCHEME = "ombudsman-2015"
SKM_SCHEME = "skm-2017"

# Krejcie & Morgan (1970), Table 1: population N -> sample s. A population
# between two rows takes the larger row, as the table is used in practice.
KREJCIE_MORGAN = (
    (10, 10),
    (15, 14),
    (20, 19),
    (25, 24),
    (30, 28),
    (35, 32),
    (40, 36),
    (45, 40),
    (50, 44),
    (55, 48),
    (60, 52),
    (65, 56),
    (70, 59),
    (75, 63),
    (80, 66),
    (85, 70),
    (90, 73),
    (95, 76),
    (100, 80),
    (110, 86),
    (120, 92),
    (130, 97),
    (140, 103),
    (150, 108),
    (160, 113),
    (170, 118),
    (180, 123),
    (190, 127),
    (200, 132),
    (210, 136),
    (220, 140),
    (230, 144),
    (240, 148),
    (250, 152),
    (260, 155),
    (270, 159),
    (280, 162),
    (290, 165),
    (300, 169),
    (320, 175),
    (340, 181),
    (360, 186),
    (380, 191),
    (400, 196),
    (420, 201),
    (440, 205),
    (460, 210),
    (480, 214),
    (500, 217),
    (550, 226),
    (600, 234),
    (650, 242),
    (700, 248),
    (750, 254),
    (800, 260),
    (850, 265),
    (900, 269),
    (950, 274),
    (1000, 278),
    (1100, 285),
    (1200, 291),
    (1300, 297),
    (1400, 302),
    (1500, 306),
    (1600, 310),
    (1700, 313),
    (1800, 317),
    (1900, 320),
    (2000, 322),
    (2200, 327),
    (2400, 331),
    (2600, 335),
    (2800, 338),
    (3000, 341),
    (3500, 346),
    (4000, 351),
    (4500, 354),
    (5000, 357),
    (6000, 361),
    (7000, 364),
    (8000, 367),
    (9000, 368),
    (10000, 370),
    (15000, 375),
    (20000, 377),
    (30000, 379),
    (40000, 380),
    (50000, 381),
    (75000, 382),
    (100000, 384),  # the table's last row (DOMAIN.md); beyond it the sample stays 384
)


# --- the published standard kept -------------------------------------------------

# DOMAIN.md: keeping the published time and fee is compliance (kesesuaian harapan,
# components jangka waktu and biaya), scored like any item, not only flagged. Two items
# derived from the visit's timing and fee against its service's standard; each leaves
# the denominator when the visit or the service does not give what it needs.
STANDARD = "standar"
STANDARD_ITEMS = {
    "waktu": Item(
        id="waktu",
        type="kept",
        section=STANDARD,
        label=Label(
            "Layanan selesai dalam waktu maksimal yang dipublikasikan",
            "Service completed within the published maximum time",
        ),
        tags={
            "dimension": "kesesuaian_harapan",
            "component": "jangka_waktu",
            "ombudsman": "proses",
        },
        finding=Label(
            "Lama layanan melebihi waktu maksimal dalam standar pelayanan.",
            "The service took longer than the maximum time in the service standard.",
        ),
        recommendation=Label(
            "Tepati jangka waktu penyelesaian yang dipublikasikan, atau tinjau standarnya.",
            "Keep to the published completion time, or review the standard.",
        ),
    ),
    "biaya": Item(
        id="biaya",
        type="kept",
        section=STANDARD,
        label=Label(
            "Biaya yang diminta tidak melebihi tarif yang dipublikasikan",
            "Fee asked no higher than the published tariff",
        ),
        tags={"dimension": "kesesuaian_harapan", "component": "biaya", "ombudsman": "proses"},
        finding=Label(
            "Biaya yang diminta melebihi tarif dalam standar pelayanan (potensi pungli).",
            "The fee asked was above the tariff in the service standard (possible illegal levy).",
        ),
        recommendation=Label(
            "Pungut hanya tarif yang dipublikasikan dan umumkan dasar hukumnya.",
            "Charge only the published tariff and display its legal basis.",
        ),
    ),
}


def standard_items() -> dict[str, Item]:
    """The derived items by 'standar.<id>', as documents and exports name items."""
    return {f"{STANDARD}.{key}": item for key, item in STANDARD_ITEMS.items()}


def kept_standard(time: Mapping[str, Any], paid: Mapping[str, Any]) -> dict[str, bool | None]:
    """Whether the visit kept the published time and fee; None where either is unknown."""
    return {
        "waktu": None
        if time["total_minutes"] is None or time["max_minutes"] is None
        else not time["over_max"],
        "biaya": None
        if paid["asked"] is None or paid["published"] is None
        else not paid["over_published"],
    }


# --- numbers and bands --------------------------------------------------------


def round2(value: Fraction | float | int | None) -> float | None:
    """Round half up to two decimals (85.225 -> 85.23); None stays None."""
    if value is None:
        return None
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else Decimal(repr(value))
    )
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def best_first(score: float | None) -> tuple[bool, float]:
    """Sort key: highest score first, a missing score after every real one (0,00 included)."""
    return (score is None, -(score or 0))


@dataclass(frozen=True)
class Band:
    code: str
    zone: str
    min: float
    label: Label
    kinerja: Label | None = None
    confirmed: bool = True


@dataclass(frozen=True)
class Condition:
    """A qualifier a scheme adds to its band when the follow-ups allow ("Tanpa Maladministrasi")."""

    code: str
    label: Label
    must_be_verified: str  # "all" follow-ups, or those "due"
    overdue_max: int
    confirmed: bool = True

    def met(self, follow_ups: Sequence[Mapping[str, Any]], today: str) -> bool:
        """Whether follow-ups ({status, due_date}) meet it on the ISO date `today`."""
        open_ = [f for f in follow_ups if f["status"] != "verified"]
        # marked done by the OPD and awaiting verification: not verified, but not overdue
        overdue = [f for f in open_ if f["status"] != "done" and f["due_date"] < today]
        must = (
            open_
            if self.must_be_verified == "all"
            else [f for f in open_ if f["due_date"] <= today]
        )
        return not must and len(overdue) <= self.overdue_max


@dataclass(frozen=True)
class Scheme:
    id: str
    title: Label
    measure: str
    bands: tuple[Band, ...]
    condition: Condition | None = None

    @property
    def confirmed(self) -> bool:
        """Whether every cut-off (and the condition) is settled in public sources."""
        return all(b.confirmed for b in self.bands) and (
            self.condition is None or self.condition.confirmed
        )

    def band(self, value: float | Fraction | None) -> Band | None:
        """The band a value falls in, after rounding to two decimals."""
        if value is None:
            return None
        rounded = round2(value)
        index = bisect.bisect_right([b.min for b in self.bands], rounded) - 1
        return self.bands[index] if index >= 0 else None


def _label(raw: Mapping | None) -> Label | None:
    return Label(raw["id"], raw["en"]) if raw else None


ZONES = ("merah", "kuning", "hijau")
MEASURES = {"compliance": 0, "ikm_converted": 25}  # each measure's floor


class SchemesInvalid(Exception):
    """schemes.yaml with one or more problems; `errors` lists them all."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _is_label(raw: Any) -> bool:
    return isinstance(raw, dict) and all(
        isinstance(raw.get(loc), str) and raw[loc].strip() for loc in ("id", "en")
    )


def validate_schemes(raw: Any) -> list[str]:
    """Every problem of a parsed schemes file: titles and labels in id and en, a known
    measure and zones, unique codes, `min`s listed in rising order from the measure's
    floor, `confirmed` a yes/no, and a well-formed condition."""
    if not isinstance(raw, dict) or not raw:
        return ["schemes: the file must map scheme ids to schemes"]
    errors = []
    for scheme_id, spec in raw.items():
        where = f"{scheme_id}"
        if not isinstance(spec, dict):
            errors.append(f"{where}: a scheme must be a mapping")
            continue
        if not _is_label(spec.get("title")):
            errors.append(f"{where}: title needs 'id' and 'en' texts")
        if spec.get("measure") not in MEASURES:
            errors.append(f"{where}: unknown measure {spec.get('measure')!r}")
        bands = spec.get("bands")
        if not isinstance(bands, list) or len(bands) < 2:
            errors.append(f"{where}: a scheme needs at least two bands")
            continue
        mins, codes = [], []
        for n, band in enumerate(bands):
            at = f"{where}.bands[{n}]"
            if not isinstance(band, dict):
                errors.append(f"{at}: a band must be a mapping")
                continue
            code = band.get("code")
            if not isinstance(code, str) or not code or code in codes:
                errors.append(f"{at}: missing or repeated code {code!r}")
            codes.append(code)
            if band.get("zone") not in ZONES:
                errors.append(f"{at}: unknown zone {band.get('zone')!r}")
            if not _is_label(band.get("label")):
                errors.append(f"{at}: label needs 'id' and 'en' texts")
            if "kinerja" in band and not _is_label(band["kinerja"]):
                errors.append(f"{at}: kinerja needs 'id' and 'en' texts")
            if not isinstance(band.get("confirmed", True), bool):
                errors.append(f"{at}: confirmed must be true or false")
            low = band.get("min")
            if isinstance(low, bool) or not isinstance(low, int | float):
                errors.append(f"{at}: min must be a number")
                continue
            if mins and low <= mins[-1]:
                errors.append(f"{at}: min {low} is not above the band before ({mins[-1]})")
            mins.append(low)
        floor = MEASURES.get(spec.get("measure"))
        if mins and floor is not None and mins[0] != floor:
            errors.append(f"{where}: the first band must start at {floor}, not {mins[0]}")
        if mins and mins[-1] > 100:
            errors.append(f"{where}: a band starts above 100")
        if "condition" in spec:
            errors.extend(_condition_errors(f"{where}.condition", spec["condition"]))
    return errors


def _condition_errors(at: str, cond: Any) -> list[str]:
    if not isinstance(cond, dict):
        return [f"{at}: a condition must be a mapping"]
    errors = []
    if not isinstance(cond.get("code"), str) or not cond["code"]:
        errors.append(f"{at}: missing code")
    if not _is_label(cond.get("label")):
        errors.append(f"{at}: label needs 'id' and 'en' texts")
    rule = cond.get("follow_ups")
    if not isinstance(rule, dict) or rule.get("must_be_verified") not in ("all", "due"):
        errors.append(f"{at}: follow_ups.must_be_verified must be 'all' or 'due'")
    elif not isinstance(rule.get("overdue_max"), int) or rule["overdue_max"] < 0:
        errors.append(f"{at}: follow_ups.overdue_max must be a whole number >= 0")
    if not isinstance(cond.get("confirmed", True), bool):
        errors.append(f"{at}: confirmed must be true or false")
    return errors


def build_schemes(raw: Any) -> dict[str, Scheme]:
    """Validated schemes from a parsed file; SchemesInvalid lists every problem."""
    errors = validate_schemes(raw)
    if errors:
        raise SchemesInvalid(errors)
    schemes = {}
    for scheme_id, spec in raw.items():
        bands = sorted(
            (
                Band(
                    b["code"],
                    b["zone"],
                    float(b["min"]),
                    _label(b["label"]),
                    _label(b.get("kinerja")),
                    b.get("confirmed", True),
                )
                for b in spec["bands"]
            ),
            key=lambda b: b.min,
        )
        cond = spec.get("condition")
        condition = (
            Condition(
                cond["code"],
                _label(cond["label"]),
                cond["follow_ups"]["must_be_verified"],
                cond["follow_ups"]["overdue_max"],
                cond.get("confirmed", True),
            )
            if cond
            else None
        )
        schemes[scheme_id] = Scheme(
            scheme_id, _label(spec["title"]), spec["measure"], tuple(bands), condition
        )
    return schemes


@cache
def load_schemes() -> dict[str, Scheme]:
    """Read and validate the band tables of schemes.yaml (once per process)."""
    return build_schemes(yaml.safe_load(SCHEMES_FILE.read_text(encoding="utf-8")))


def sample_size(population: int) -> int:
    """Required sample for a yearly service volume, per Krejcie & Morgan.

    The published table at its own rows; between them the formula rounded
    up, never the next row (DOMAIN.md: N = 2,500 -> 334); past the last row
    (100,000 -> 384) the table's 384.
    """
    if population <= 0:
        return 0
    row = _KM_ROWS.get(population)
    if row is not None:
        return row
    if population > KREJCIE_MORGAN[-1][0]:
        return KREJCIE_MORGAN[-1][1]
    return min(math.ceil(_km_exact(population)), population)


_KM_ROWS = dict(KREJCIE_MORGAN)


def _km_exact(population: int) -> Fraction:
    """The formula in exact arithmetic, so a whole result is not pushed up by float noise."""
    chi2, p, d2 = Fraction("3.841"), Fraction(1, 4), Fraction("0.0025")
    return chi2 * population * p / (d2 * (population - 1) + chi2 * p)


def sample_size_formula(population: int) -> float:
    """The formula behind the table: 3.841 N 0.25 / (0.0025 (N-1) + 3.841 x 0.25)."""
    return float(_km_exact(population))


# --- one visit ----------------------------------------------------------------


@dataclass
class _Tally:
    """Passed and applicable weight, as whole units of a common denominator."""

    passed: int = 0
    applicable: int = 0

    def add(self, units: int, ok: bool) -> None:
        self.applicable += units
        self.passed += units if ok else 0

    @property
    def score(self) -> Fraction | None:
        return Fraction(100 * self.passed, self.applicable) if self.applicable else None


def _weight(item) -> Fraction:
    return _exact(item.weight)


@cache
def _exact(weight: float) -> Fraction:
    """A weight from YAML as the fraction it stands for (0.1 -> 1/10, not binary noise)."""
    return Fraction(weight).limit_denominator(10**6)


_UNITS: dict[tuple, tuple[int, list]] = {}


def _checkable_units(instruments: Sequence[Instrument]) -> tuple[int, list]:
    """(common denominator, [(instrument, item, weight in its units)]), once per set."""
    key = tuple((inst.id, inst.version, inst.content_hash) for inst in instruments)
    if key not in _UNITS:
        items = [(inst, item) for inst in instruments for item in inst.items if item.checkable]
        scale = math.lcm(1, *(_weight(item).denominator for _, item in items))
        _UNITS[key] = (scale, [(inst, item, int(_weight(item) * scale)) for inst, item in items])
    return _UNITS[key]


def compliance(
    instruments: Sequence[Instrument],
    answers: Mapping[str, Mapping[str, Any]],
    kept: Mapping[str, bool | None] | None = None,
) -> dict[str, Any]:
    """Weighted share of applicable checkable items passed, 0-100, with breakdowns.

    N/A and hidden (skipped) items leave the denominator; with nothing
    applicable the score is None, never 0 or 100. Weights are exact: each is
    turned into whole units of the common denominator of all weights once.
    """
    scale, items = _checkable_units(instruments)
    total = _Tally()
    groups: dict[str, dict[str, _Tally]] = {
        "sections": defaultdict(_Tally),
        "dimensions": defaultdict(_Tally),
        "components": defaultdict(_Tally),
    }
    failed, passed = [], []
    given = {inst.id: inst.relevant_answers(answers.get(inst.id, {})) for inst in instruments}
    for inst, item, units in items:
        verdict = item.passed(given[inst.id].get(item.id))
        if verdict is None:
            continue
        total.add(units, verdict)
        groups["sections"][f"{inst.id}.{item.section}"].add(units, verdict)
        for axis, key in (("dimensions", "dimension"), ("components", "component")):
            if key in item.tags:
                groups[axis][item.tags[key]].add(units, verdict)
        (passed if verdict else failed).append(f"{inst.id}.{item.id}")
    for key, verdict in (kept or {}).items():
        if verdict is None:
            continue
        item = STANDARD_ITEMS[key]
        total.add(scale, verdict)  # weight 1, as the instruments' own items
        groups["sections"][f"{STANDARD}.{STANDARD}"].add(scale, verdict)
        groups["dimensions"][item.tags["dimension"]].add(scale, verdict)
        groups["components"][item.tags["component"]].add(scale, verdict)
        (passed if verdict else failed).append(f"{STANDARD}.{key}")
    result: dict[str, Any] = {
        "score": _float(total.score),
        "passed_weight": total.passed / scale,
        "applicable_weight": total.applicable / scale,
        "failed": failed,
        "passed": passed,
    }
    for axis, tallies in groups.items():
        result[axis] = {key: _float(t.score) for key, t in sorted(tallies.items())}
    return result


def skm_values(
    instruments: Sequence[Instrument], answers: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[int]]:
    """The 1-4 answers given to each unsur (by code, never by position)."""
    values: dict[str, list[int]] = defaultdict(list)
    for inst in instruments:
        given = inst.relevant_answers(answers.get(inst.id, {}))
        for item in inst.items:
            unsur = item.tags.get("unsur")
            value = given.get(item.id)
            if item.type == "scale4" and unsur and value is not None:
                values[unsur].append(int(value))
    return dict(values)


def unsur_weights(instruments: Sequence[Instrument]) -> dict[str, Fraction]:
    """Exact weights per unsur: the instrument's own, or 1/9 each."""
    for inst in instruments:
        if inst.unsur_weights:
            return {u: Fraction(w).limit_denominator(10**6) for u, w in inst.unsur_weights.items()}
    return {u: Fraction(1, len(UNSUR)) for u in UNSUR}


def skm(
    values: Mapping[str, Sequence[int]],
    weights: Mapping[str, Fraction] | None = None,
    schemes: Mapping[str, Scheme] | None = None,
) -> dict[str, Any] | None:
    """NRR per unsur, IKM, converted IKM (x25), mutu and kinerja.

    IKM needs an answer for every weighted unsur; with none at all the result
    is None.
    """
    return skm_totals({u: (sum(v), len(v)) for u, v in values.items()}, weights, schemes)


def skm_totals(
    totals: Mapping[str, tuple[int, int]],
    weights: Mapping[str, Fraction] | None = None,
    schemes: Mapping[str, Scheme] | None = None,
) -> dict[str, Any] | None:
    """skm() from each unsur's (sum of answers, number of answers)."""
    if not any(n for _, n in totals.values()):
        return None
    weights = weights or {u: Fraction(1, len(UNSUR)) for u in UNSUR}
    nrr = {u: Fraction(total, n) for u, (total, n) in sorted(totals.items()) if n}
    complete = all(u in nrr for u in weights)
    ikm = sum(weights[u] * nrr[u] for u in weights) if complete else None
    converted = ikm * 25 if ikm is not None else None
    band = (schemes or load_schemes())[SKM_SCHEME].band(converted)
    return {
        "nrr": {u: _float(n) for u, n in nrr.items()},
        "answers": {u: n for u, (_, n) in sorted(totals.items())},
        "ikm": _float(ikm),
        "ikm_converted": _float(converted),
        "mutu": band.code if band else None,
        "kinerja": band.kinerja.id if band and band.kinerja else None,
    }


def minutes_between(start: str | None, end: str | None) -> int | None:
    """Whole minutes from one 'HH:MM' to a later one; None if unknown or reversed."""
    if not start or not end:
        return None
    try:
        (h1, m1), (h2, m2) = (map(int, t.split(":")[:2]) for t in (start, end))
    except ValueError:
        return None
    minutes = (h2 * 60 + m2) - (h1 * 60 + m1)
    return minutes if minutes >= 0 else None


def timing(
    instruments: Sequence[Instrument],
    answers: Mapping[str, Mapping[str, Any]],
    max_minutes: int | None = None,
) -> dict[str, Any]:
    """Waiting, service and total minutes from the role-tagged time items."""
    times = _by_role(instruments, answers)
    arrival, start, end = times.get("arrival"), times.get("service_start"), times.get("service_end")
    total = minutes_between(arrival, end)
    return {
        "arrival": arrival,
        "ticket": times.get("ticket"),
        "service_start": start,
        "service_end": end,
        "waiting_minutes": minutes_between(arrival, start),
        "service_minutes": minutes_between(start, end),
        "total_minutes": total,
        "max_minutes": max_minutes,
        "over_max": bool(max_minutes is not None and total is not None and total > max_minutes),
    }


def fee(
    instruments: Sequence[Instrument],
    answers: Mapping[str, Mapping[str, Any]],
    published_fee: int | None = None,
) -> dict[str, Any]:
    """Fee asked against the published fee; above it is flagged (possible pungli)."""
    asked = _by_role(instruments, answers).get("fee_asked")
    asked = int(asked) if asked is not None else None
    return {
        "asked": asked,
        "published": published_fee,
        "over_published": bool(
            asked is not None and published_fee is not None and asked > published_fee
        ),
    }


def _by_role(instruments, answers) -> dict[str, Any]:
    found = {}
    for inst in instruments:
        given = inst.relevant_answers(answers.get(inst.id, {}))
        for item in inst.items:
            if item.role and given.get(item.id) not in (None, ""):
                found[item.role] = given[item.id]
    return found


def compliance_scheme(instruments: Iterable[Instrument]) -> str:
    """The scheme that bands a visit's compliance: its first non-SKM instrument's."""
    for inst in instruments:
        if inst.scheme != SKM_SCHEME:
            return inst.scheme
    return COMPLIANCE_DEFAULT_SCHEME


def visit_scores(
    instruments: Sequence[Instrument],
    answers: Mapping[str, Mapping[str, Any]],
    max_minutes: int | None = None,
    published_fee: int | None = None,
) -> dict[str, Any]:
    """Every score of one visit, JSON-able, ready to store beside the visit."""
    answers = {i.id: i.relevant_answers(answers.get(i.id, {})) for i in instruments}
    time = timing(instruments, answers, max_minutes)
    paid = fee(instruments, answers, published_fee)
    comp = compliance(instruments, answers, kept_standard(time, paid))
    scheme_id = compliance_scheme(instruments)
    band = load_schemes()[scheme_id].band(comp["score"])
    values = skm_values(instruments, answers)
    return {
        "compliance": comp,
        "scheme": scheme_id,
        "zone": band.code if band else None,
        "skm": skm(values, unsur_weights(instruments)),
        "skm_values": values,
        "timing": time,
        "fee": paid,
    }


# --- many visits --------------------------------------------------------------


def aggregate(
    scores: Sequence[Mapping[str, Any]],
    scheme_id: str | None = None,
    weights: Mapping[str, Fraction] | None = None,
    population: int | None = None,
) -> dict[str, Any]:
    """Combine stored visit scores (for one OPD, or the city) without re-scoring.

    Compliance, sections, dimensions and components are means over the visits
    that have a value; SKM pools every answer per unsur (NRR = sum / count).
    """
    scheme_id = scheme_id or next((s["scheme"] for s in scores), COMPLIANCE_DEFAULT_SCHEME)
    gathered = _gather(scores)
    comp = _mean(gathered["compliance"])
    band = load_schemes()[scheme_id].band(comp)
    required = sample_size(population) if population else None
    return {
        "visits": len(scores),
        "compliance": _float(comp),
        "scheme": scheme_id,
        "zone": band.code if band else None,
        "dimensions": _means(gathered["dimensions"]),
        "components": _means(gathered["components"]),
        "sections": _means(gathered["sections"]),
        "skm": skm(gathered["skm"], weights),
        "waiting_minutes": _float(_mean(gathered["waiting"])),
        "service_minutes": _float(_mean(gathered["service"])),
        "over_max_time": gathered["over_max"],
        "fee_over_published": gathered["fee_over"],
        "population": population,
        "sample_required": required,
        "sample_below": bool(required and len(scores) < required),
        "failed_items": failed_counts(scores),
    }


def _gather(scores: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every value aggregate() averages or counts, in one pass over the visits.

    Dashboards aggregate thousands of visits per request, so this is one loop
    rather than one per figure; the values are the same either way.
    """
    out: dict[str, Any] = {"compliance": [], "waiting": [], "service": []}
    out.update(over_max=0, fee_over=0, skm=defaultdict(list))
    axes = {axis: defaultdict(list) for axis in ("dimensions", "components", "sections")}
    for s in scores:
        compliance, timing = s["compliance"], s["timing"]
        out["compliance"].append(compliance["score"])
        for axis, sums in axes.items():
            for key, value in compliance[axis].items():
                if value is not None:
                    sums[key].append(value)
        for unsur, values in s.get("skm_values", {}).items():
            out["skm"][unsur].extend(values)
        out["waiting"].append(timing["waiting_minutes"])
        out["service"].append(timing["service_minutes"])
        out["over_max"] += 1 if timing["over_max"] else 0
        out["fee_over"] += 1 if s["fee"]["over_published"] else 0
    return {**out, **axes}


def _means(sums: Mapping[str, list[float]]) -> dict[str, float]:
    return {k: math.fsum(v) / len(v) for k, v in sorted(sums.items())}


def failed_counts(scores: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """How often each checkable item failed, out of the visits it applied to."""
    failed: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    for s in scores:  # Counter.update counts a list in C: this runs over every visit
        compliance = s["compliance"]
        if failed_keys := compliance.get("failed"):
            failed.update(failed_keys)
            applied.update(failed_keys)
        if passed_keys := compliance.get("passed"):
            applied.update(passed_keys)
    return failed_rows(failed, applied)


def failed_rows(failed: Mapping[str, int], applied: Mapping[str, int]) -> list[dict[str, Any]]:
    """Items by how often they failed (then by share, then by key), out of how many visits."""
    rows = [{"item": k, "failed": n, "of": applied[k]} for k, n in failed.items()]
    return sorted(rows, key=lambda r: (-r["failed"], -r["failed"] / r["of"], r["item"]))


def _mean(values: Iterable[float | None]) -> float | None:
    """Mean of the stored visit values that exist, with a correctly rounded sum."""
    present = [v for v in values if v is not None]
    return math.fsum(present) / len(present) if present else None


def _float(value: Fraction | float | None) -> float | None:
    return float(value) if value is not None else None
