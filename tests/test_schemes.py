"""The band schemes validate, and agree with every published example (DOMAIN.md)."""

from __future__ import annotations

import copy

import pytest
import yaml

from survey_app.core import scoring

RAW = yaml.safe_load(scoring.SCHEMES_FILE.read_text(encoding="utf-8"))


def test_every_shipped_scheme_validates():
    assert scoring.validate_schemes(RAW) == []
    assert set(scoring.load_schemes()) == {
        "ombudsman-2015",
        "ombudsman-2022",
        "ombudsman-2025",
        "skm-2017",
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["ombudsman-2022"]["bands"].reverse(), "is not above the band before"),
        (lambda r: r["ombudsman-2025"]["bands"][2].update(min=26), "is not above"),
        (lambda r: r["ombudsman-2015"]["bands"][1].update(zone="biru"), "unknown zone 'biru'"),
        (lambda r: r["ombudsman-2015"]["bands"][1]["label"].pop("en"), "label needs 'id' and 'en'"),
        (lambda r: r["skm-2017"]["bands"][0].update(min=0), "must start at 25"),
        (lambda r: r["ombudsman-2025"]["bands"][0].update(confirmed="no"), "confirmed must be"),
        (lambda r: r["ombudsman-2022"]["bands"][1].update(code="E"), "repeated code 'E'"),
        (lambda r: r["ombudsman-2015"].update(measure="ikm"), "unknown measure 'ikm'"),
        (
            lambda r: r["ombudsman-2025"]["condition"]["follow_ups"].update(must_be_verified="x"),
            "must_be_verified must be 'all' or 'due'",
        ),
        (lambda r: r["ombudsman-2025"]["condition"]["label"].pop("id"), "condition: label"),
    ],
)
def test_a_broken_scheme_is_refused_with_its_reason(change, expected):
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(scoring.SchemesInvalid) as info:
        scoring.build_schemes(raw)
    assert any(expected in e for e in info.value.errors), info.value.errors


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # observed 2022-2024 (DOMAIN.md); 58.03 and 58.99 were C in 2022 (Baubau, Kendari)
        (88.41, "A"),
        (85.09, "B"),
        (79.27, "B"),
        (75.03, "C"),
        (58.99, "C"),
        (58.03, "C"),
        # the boundaries, on the printed value
        (87.995, "A"),
        (87.994, "B"),
        (78, "B"),
        (77.99, "C"),
        (51, "C"),
        (50.99, "D"),
        (26, "D"),
        (25.99, "E"),
        (0, "E"),
    ],
)
def test_ombudsman_2022_grades_agree_with_what_was_published(value, code):
    assert scoring.load_schemes()["ombudsman-2022"].band(value).code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # first round, released 29 January 2026 (DOMAIN.md; Ombudsman Maluku Utara)
        (65.98, "sedang"),
        (69.63, "sedang"),
        (62.57, "sedang"),
        (57.61, "sedang"),
        (53.38, "rendah"),
        (88, "tertinggi"),
        (87.99, "tinggi"),
        (78, "tinggi"),
        (77.994, "sedang"),
        (55, "sedang"),
        (54.995, "sedang"),
        (54.99, "rendah"),
        (26, "rendah"),
        (25.99, "terendah"),
    ],
)
def test_ombudsman_2025_opinion_agrees_with_what_was_published(value, code):
    assert scoring.load_schemes()["ombudsman-2025"].band(value).code == code


def test_the_2025_scheme_marks_every_cut_off_and_its_condition_unconfirmed():
    scheme = scoring.load_schemes()["ombudsman-2025"]
    assert [b.label.id for b in scheme.bands] == [
        "Kualitas Terendah",
        "Kualitas Rendah",
        "Kualitas Sedang",
        "Kualitas Tinggi",
        "Kualitas Tertinggi",
    ]
    assert not any(b.confirmed for b in scheme.bands)
    assert scheme.condition.label.id == "Tanpa Maladministrasi"
    assert not scheme.condition.confirmed and not scheme.confirmed
    assert scoring.load_schemes()["ombudsman-2015"].confirmed


@pytest.mark.parametrize(
    ("follow_ups", "met"),
    [
        ([], True),
        ([{"status": "verified", "due_date": "2026-01-01"}], True),
        ([{"status": "open", "due_date": "2026-12-31"}], False),  # every one must be verified
        ([{"status": "still_open", "due_date": "2026-01-01"}], False),
    ],
)
def test_tanpa_maladministrasi_needs_every_follow_up_verified(follow_ups, met):
    condition = scoring.load_schemes()["ombudsman-2025"].condition
    assert condition.met(follow_ups, "2026-06-30") is met


def test_with_due_only_an_action_not_yet_due_does_not_count_against():
    condition = scoring.load_schemes()["ombudsman-2025"].condition
    due_only = scoring.Condition(condition.code, condition.label, "due", 0, False)
    assert due_only.met([{"status": "open", "due_date": "2026-12-31"}], "2026-06-30")
    assert not due_only.met([{"status": "open", "due_date": "2026-06-29"}], "2026-06-30")
