"""Scoring against hand-worked examples (numbers worked out on paper first)."""

from fractions import Fraction

import pytest

from survey_app.core import scoring
from survey_app.core.instruments import build


def label(text):
    return {"id": text, "en": text}


def yesno(item_id, weight=1, dimension="akses_informasi", component="persyaratan", **extra):
    return {
        "id": item_id,
        "type": "yesno",
        "na": True,
        "weight": weight,
        "label": label(item_id),
        "finding": label("f"),
        "recommendation": label("r"),
        "tags": {"dimension": dimension, "component": component, "ombudsman": "input"},
        **extra,
    }


def gen_instrument(items, inst_id="cek", scheme="ombudsman-2015", **extra):
    return build(
        {
            "id": inst_id,
            "version": 1,
            "title": label("T"),
            "description": label("D"),
            "scheme": scheme,
            **extra,
            "sections": [{"id": "s", "title": label("S"), "items": items}],
        }
    )


def gen_skm(weights=None):
    points = [label(p) for p in "1234"]
    items = [
        {
            "id": f"u{n}",
            "type": "scale4",
            "label": label(f"U{n}"),
            "points": points,
            "tags": {"unsur": f"U{n}", "ombudsman": "proses"},
        }
        for n in range(1, 10)
    ]
    extra = {"unsur_weights": weights} if weights else {}
    return gen_instrument(items, inst_id="skm", scheme="skm-2017", **extra)


CHECKLIST = gen_instrument(
    [
        yesno("a", 1),
        yesno("b", 2, dimension="pengaduan", component="pengaduan"),
        yesno("c", 1),
        yesno("d", 3, dimension="kesesuaian_harapan", component="biaya"),
        yesno("e", 5, relevant="a = 'no'"),
    ]
)


def test_unequal_weights_na_and_skipped_items():
    # a yes (1) + b no (2) + c n/a + d yes (3) + e hidden because a = yes:
    # passed 1 + 3 = 4 of applicable 1 + 2 + 3 = 6 -> 66.666... -> 66.67, kuning.
    answers = {"cek": {"a": "yes", "b": "no", "c": "na", "d": "yes", "e": "no"}}
    result = scoring.compliance([CHECKLIST], answers)
    assert result["applicable_weight"] == 6
    assert result["passed_weight"] == 4
    assert scoring.round2(result["score"]) == 66.67
    assert result["failed"] == ["cek.b"]
    assert result["dimensions"] == {
        "akses_informasi": 100.0,
        "kesesuaian_harapan": 100.0,
        "pengaduan": 0.0,
    }
    assert result["components"]["biaya"] == 100.0
    scores = scoring.visit_scores([CHECKLIST], answers)
    assert scores["zone"] == "kuning"


def test_visible_failed_item_counts_when_relevant():
    answers = {"cek": {"a": "no", "b": "yes", "d": "yes", "e": "no"}}
    # a no (1) + b yes (2) + d yes (3) + e no (5): passed 5 of 11 -> 45.45, merah.
    result = scoring.visit_scores([CHECKLIST], answers)
    assert scoring.round2(result["compliance"]["score"]) == 45.45
    assert result["zone"] == "merah"


def test_all_not_applicable_has_no_score():
    answers = {"cek": {"a": "na", "b": "na", "c": "na", "d": "na"}}
    result = scoring.visit_scores([CHECKLIST], answers)
    assert result["compliance"]["score"] is None
    assert result["zone"] is None
    assert result["compliance"]["dimensions"] == {}


def test_skm_exact_ninths_reach_one_hundred():
    # Every unsur 4: IKM = 9 x (1/9 x 4) = 4 exactly -> 100.00, mutu A.
    # With the rounded weight 0.111 it would be 3.996 -> 99.90.
    result = scoring.skm({f"U{n}": [4] for n in range(1, 10)})
    assert result["ikm"] == 4.0
    assert result["ikm_converted"] == 100.0
    assert result["mutu"] == "A" and result["kinerja"] == "Sangat baik"
    assert 0.111 * 4 * 9 * 25 == pytest.approx(99.9)


def test_skm_pooled_nrr_and_conversion():
    # Two respondents. U1: 4 and 3 -> NRR 3.5; U2..U8: 3 and 3 -> 3; U9: 2 and 4 -> 3.
    # IKM = (3.5 + 7 x 3 + 3) / 9 = 27.5 / 9 = 3.0555... -> x25 = 76.388... -> 76.39, C.
    values = {"U1": [4, 3], "U9": [2, 4], **{f"U{n}": [3, 3] for n in range(2, 9)}}
    result = scoring.skm(values)
    assert result["nrr"]["U1"] == 3.5
    assert scoring.round2(result["ikm"]) == 3.06
    assert scoring.round2(result["ikm_converted"]) == 76.39
    assert result["mutu"] == "C" and result["kinerja"] == "Kurang baik"


def test_skm_own_weights():
    weights = {"U1": 0.5, "U2": 0.5}
    result = scoring.skm({"U1": [4], "U2": [2]}, scoring.unsur_weights([gen_skm({**weights})]))
    assert result["ikm"] == 3.0 and result["ikm_converted"] == 75.0


def test_skm_needs_every_unsur_for_an_index():
    result = scoring.skm({"U1": [4]})
    assert result["nrr"] == {"U1": 4.0}
    assert result["ikm"] is None and result["mutu"] is None
    assert scoring.skm({}) is None


def test_skm_read_from_answers_by_code():
    inst = gen_skm()
    answers = {"skm": {f"u{n}": (4 if n == 9 else 3) for n in range(1, 10)}}
    result = scoring.visit_scores([inst], answers)["skm"]
    # (8 x 3 + 4) / 9 = 3.111... -> 77.777... -> 77.78, B
    assert scoring.round2(result["ikm_converted"]) == 77.78
    assert result["mutu"] == "B"


@pytest.mark.parametrize(
    ("value", "mutu"),
    [
        (25, "D"),
        (64.99, "D"),
        (65, "C"),
        (76.60, "C"),
        (76.605, "B"),
        (76.61, "B"),
        (88.30, "B"),
        (88.31, "A"),
        (100, "A"),
    ],
)
def test_mutu_bands(value, mutu):
    assert scoring.load_schemes()["skm-2017"].band(value).code == mutu


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        (0, "merah"),
        (50.99, "merah"),
        (51, "kuning"),
        (80.99, "kuning"),
        (80.995, "hijau"),
        (81, "hijau"),
        (Fraction(85225, 1000), "hijau"),
    ],
)
def test_ombudsman_zones(value, zone):
    assert scoring.load_schemes()["ombudsman-2015"].band(value).code == zone


def test_ombudsman_2022_grades():
    scheme = scoring.load_schemes()["ombudsman-2022"]
    assert scheme.band(89.59).code == "A"
    assert scheme.band(87.99).code == "B"
    assert scheme.band(93.68).label.id == "A - Kualitas Tertinggi"


@pytest.mark.parametrize(
    ("population", "sample"),
    [
        (100, 80),
        (1000, 278),
        (2400, 331),
        (2600, 335),
        (100000, 384),
        (10, 10),
        (5, 5),
        (0, 0),
        (5_000_000, 384),
        # between rows: the formula rounded up, not the next row (DOMAIN.md)
        (2500, 334),
        (105, 83),
    ],
)
def test_krejcie_morgan(population, sample):
    assert scoring.sample_size(population) == sample


def test_formula_agrees_with_the_table():
    assert round(scoring.sample_size_formula(100)) == 80
    assert round(scoring.sample_size_formula(1000)) == 278


def test_rounding_is_half_up():
    assert scoring.round2(85.225) == 85.23
    assert scoring.round2(Fraction(8522, 100)) == 85.22
    assert scoring.round2(None) is None


VISIT_RECORD = gen_instrument(
    [
        {"id": "tiba", "type": "time", "role": "arrival", "label": label("tiba")},
        {"id": "mulai", "type": "time", "role": "service_start", "label": label("mulai")},
        {"id": "selesai", "type": "time", "role": "service_end", "label": label("selesai")},
        {"id": "biaya", "type": "integer", "role": "fee_asked", "min": 0, "label": label("biaya")},
    ],
    inst_id="kunjungan",
)


def test_timing_and_fee_against_standard():
    answers = {"kunjungan": {"tiba": "08:00", "mulai": "08:25", "selesai": "08:40", "biaya": 50000}}
    scores = scoring.visit_scores([VISIT_RECORD], answers, max_minutes=30, published_fee=0)
    assert scores["timing"]["waiting_minutes"] == 25
    assert scores["timing"]["service_minutes"] == 15
    assert scores["timing"]["total_minutes"] == 40
    assert scores["timing"]["over_max"] is True
    assert scores["fee"] == {"asked": 50000, "published": 0, "over_published": True}
    within = scoring.visit_scores([VISIT_RECORD], answers, max_minutes=40, published_fee=50000)
    assert not within["timing"]["over_max"] and not within["fee"]["over_published"]


def test_reversed_times_are_unknown_not_negative():
    assert scoring.minutes_between("09:00", "08:00") is None
    assert scoring.minutes_between(None, "08:00") is None


def test_aggregate_means_and_failed_counts():
    first = scoring.visit_scores(
        [CHECKLIST], {"cek": {"a": "yes", "b": "yes", "c": "yes", "d": "no"}}
    )
    second = scoring.visit_scores(
        [CHECKLIST], {"cek": {"a": "yes", "b": "no", "c": "na", "d": "yes"}}
    )
    empty = scoring.visit_scores([CHECKLIST], {"cek": {"a": "na", "b": "na", "c": "na", "d": "na"}})
    # first: passed 1+2+1 of 7 = 57.142857; second: 4 of 6 = 66.666...; mean 61.904...
    agg = scoring.aggregate([first, second, empty], population=100)
    assert scoring.round2(agg["compliance"]) == 61.90
    assert agg["zone"] == "kuning"
    assert agg["visits"] == 3
    assert agg["sample_required"] == 80 and agg["sample_below"] is True
    assert {r["item"]: (r["failed"], r["of"]) for r in agg["failed_items"]} == {
        "cek.d": (1, 2),
        "cek.b": (1, 2),
    }
    assert agg["skm"] is None


def test_ranking_puts_missing_scores_after_zero():
    """An OPD with no compliance score ranks last, below one that scored 0,00."""
    rows = [("none", None), ("zero", 0.0), ("good", 81.0), ("low", 12.5)]
    ranked = sorted(rows, key=lambda r: (*scoring.best_first(r[1]), r[0]))
    assert [name for name, _ in ranked] == ["good", "low", "zero", "none"]


def test_keeping_the_published_time_and_fee_is_scored_not_only_flagged():
    """Rp 75.000 asked against a published Rp 50.000 fails 'biaya' in kesesuaian harapan."""
    answers = {"kunjungan": {"tiba": "08:00", "mulai": "08:10", "selesai": "08:20", "biaya": 75000}}
    over = scoring.visit_scores([VISIT_RECORD], answers, max_minutes=30, published_fee=50000)
    comp = over["compliance"]
    assert comp["failed"] == ["standar.biaya"] and comp["passed"] == ["standar.waktu"]
    assert comp["dimensions"]["kesesuaian_harapan"] == 50.0
    assert comp["components"] == {"biaya": 0.0, "jangka_waktu": 100.0}
    assert comp["score"] == 50.0
    kept = scoring.visit_scores([VISIT_RECORD], answers, max_minutes=30, published_fee=75000)
    assert kept["compliance"]["score"] == 100.0
    # no published standard: nothing to keep, so neither item counts
    unknown = scoring.visit_scores([VISIT_RECORD], answers)
    assert unknown["compliance"]["score"] is None and unknown["compliance"]["failed"] == []


def test_the_standard_items_have_labels_for_documents():
    items = scoring.standard_items()
    assert set(items) == {"standar.waktu", "standar.biaya"}
    assert all(i.checkable and i.finding and i.label.get("en") for i in items.values())
