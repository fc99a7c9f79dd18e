import textwrap
from pathlib import Path

import pytest

from survey_app.core import instruments as inst_mod
from survey_app.core.instruments import InstrumentInvalid, load_directory, load_file

ROOT = Path(__file__).resolve().parent.parent

VALID = """\
id: contoh
version: 1
title: {id: "Contoh", en: "Example"}
description: {id: "Instrumen contoh", en: "Example instrument"}
scheme: ombudsman-2015
sections:
  - id: satu
    title: {id: "Satu", en: "One"}
    items:
      - id: papan
        type: yesno
        na: true
        required: true
        label: {id: "Papan informasi ada", en: "Information board present"}
        tags: {dimension: akses_informasi, component: persyaratan, ombudsman: input}
        finding: {id: "Tidak ada papan", en: "No board"}
        recommendation: {id: "Pasang papan", en: "Put up a board"}
      - id: skala
        type: scale4
        label: {id: "Skala", en: "Scale"}
        points:
          - {id: "Buruk", en: "Poor"}
          - {id: "Cukup", en: "Fair"}
          - {id: "Baik", en: "Good"}
          - {id: "Sangat baik", en: "Very good"}
        tags: {unsur: U9, ombudsman: input}
      - id: rinci
        type: text
        relevant: "papan = 'no'"
        label: {id: "Rincian", en: "Details"}
"""


def write(tmp_path, text, name="contoh.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(path):
    with pytest.raises(InstrumentInvalid) as info:
        load_file(path)
    return info.value.errors


def test_shipped_instruments_are_valid():
    loaded, errors = load_directory(ROOT / "instruments")
    assert errors == []
    assert {i.id for i in loaded} == {"kepatuhan", "skm", "kunjungan"}


def test_compliance_checklist_has_thirty_tagged_items():
    inst = load_file(ROOT / "instruments" / "kepatuhan.yaml")
    checkable = [i for i in inst.items if i.checkable]
    assert len(checkable) >= 30
    for item in checkable:
        assert item.tags.get("dimension") in inst_mod.DIMENSIONS, item.id
        assert item.tags.get("component") in inst_mod.COMPONENTS, item.id
        assert item.finding and item.recommendation, item.id
    assert {i.tags["dimension"] for i in checkable} == set(inst_mod.DIMENSIONS)


def test_skm_has_the_regulation_point_labels():
    inst = load_file(ROOT / "instruments" / "skm.yaml")
    by_unsur = {i.tags["unsur"]: i for i in inst.items if "unsur" in i.tags}
    assert sorted(by_unsur) == [f"U{n}" for n in range(1, 10)]
    assert [p.id for p in by_unsur["U4"].points] == [
        "Sangat mahal",
        "Cukup mahal",
        "Murah",
        "Gratis",
    ]
    assert [p.id for p in by_unsur["U8"].points] == [
        "Tidak ada",
        "Ada tetapi tidak berfungsi",
        "Berfungsi kurang maksimal",
        "Dikelola dengan baik",
    ]
    assert [p.id for p in by_unsur["U7"].points] == [
        "Tidak sopan dan ramah",
        "Kurang sopan dan ramah",
        "Sopan dan ramah",
        "Sangat sopan dan ramah",
    ]


def test_visit_record_has_timing_and_fee_roles():
    inst = load_file(ROOT / "instruments" / "kunjungan.yaml")
    roles = {i.role for i in inst.items if i.role}
    assert roles == {"arrival", "ticket", "service_start", "service_end", "fee_asked", "narrative"}
    staff = [i for i in inst.items if i.id == "ciri_petugas"]
    assert staff and not staff[0].required


def test_valid_example_loads(tmp_path):
    inst = load_file(write(tmp_path, VALID))
    assert [i.id for i in inst.items] == ["papan", "skala", "rinci"]
    assert inst.item("rinci").is_relevant({"papan": "no"})
    assert not inst.item("rinci").is_relevant({"papan": "yes"})


@pytest.mark.parametrize(
    ("old", "new", "line", "expected"),
    [
        ("type: scale4", "type: scale5", 19, "sections[0].items[1] (skala): unknown type 'scale5'"),
        (
            "- id: rinci",
            "- id: papan",
            27,
            "sections[0].items[2] (papan): duplicate item id 'papan'",
        ),
        (
            "relevant: \"papan = 'no'\"",
            "relevant: \"nanti = 'no'\"",
            29,
            "relevant refers to unknown or later item 'nanti'",
        ),
        (
            'label: {id: "Skala", en: "Scale"}',
            'label: {id: "Skala"}',
            20,
            "label is missing its 'en' text",
        ),
        (
            "required: true",
            "required: true\n        weight: 0",
            14,
            "weight must be a positive number, not 0",
        ),
        (
            '          - {id: "Sangat baik", en: "Very good"}\n',
            "",
            21,
            "a scale4 item needs exactly four point labels",
        ),
        ("relevant: \"papan = 'no'\"", "relevant: \"papan = = 'no'\"", 29, "relevant rule"),
        (
            "required: true",
            "required: true\n        fails_on: maybe",
            14,
            "sections[0].items[0] (papan): fails_on must be 'yes' or 'no', not 'maybe'",
        ),
        (
            "        tags: {unsur: U9, ombudsman: input}",
            "        tags: {unsur: U9, ombudsman: input}\n        fails_on: 'yes'",
            27,
            "sections[0].items[1] (skala): fails_on is only for yesno items",
        ),
    ],
)
def test_each_problem_names_file_line_and_item(tmp_path, old, new, line, expected):
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new))
    errors = errors_of(path)
    assert any(e.startswith(f"{path}:{line}: ") and expected in e for e in errors), errors


@pytest.mark.parametrize("spelling", ["yes", "'yes'", '"yes"'])
def test_fails_on_yes_reaches_scoring_and_the_tablet_definition(tmp_path, spelling):
    text = VALID.replace("required: true", f"required: true\n        fails_on: {spelling}")
    inst = load_file(write(tmp_path, text))
    item = inst.item("papan")
    assert (item.fails_on, item.passed("yes"), item.passed("no"), item.passed("na")) == (
        "yes",
        False,
        True,
        None,
    )
    assert inst.definition["sections"][0]["items"][0]["fails_on"] == "yes"


def test_relevant_may_not_point_forward(tmp_path):
    text = VALID.replace(
        "        tags: {dimension: akses_informasi",
        "        relevant: \"rinci = 'x'\"\n        tags: {dimension: akses_informasi",
    )
    errors = errors_of(write(tmp_path, text))
    assert any("sections[0].items[0] (papan)" in e and "later item 'rinci'" in e for e in errors)


def test_all_problems_reported_at_once(tmp_path):
    text = VALID.replace("type: scale4", "type: scale5").replace("- id: rinci", "- id: papan")
    errors = errors_of(write(tmp_path, text))
    assert len(errors) >= 2


def test_malformed_yaml_names_the_line(tmp_path):
    path = write(
        tmp_path,
        VALID.replace('    title: {id: "Satu", en: "One"}', '    title: {id: "Satu", en: "One"'),
    )
    [error] = errors_of(path)
    assert error.startswith(f"{path}:") and "malformed YAML" in error


def test_checkable_item_needs_finding(tmp_path):
    text = VALID.replace('        finding: {id: "Tidak ada papan", en: "No board"}\n', "")
    errors = errors_of(write(tmp_path, text))
    assert any("(papan): a checkable item needs a finding" in e for e in errors)


def test_duplicate_instrument_ids_across_files(tmp_path):
    write(tmp_path, VALID, "a.yaml")
    write(tmp_path, VALID, "b.yaml")
    _, errors = load_directory(tmp_path)
    assert any("instrument id 'contoh' is already used" in e for e in errors)


def test_relevant_answers_drop_hidden_items(tmp_path):
    inst = load_file(write(tmp_path, VALID))
    assert inst.relevant_answers({"papan": "yes", "rinci": "x"}) == {"papan": "yes"}
    assert inst.relevant_answers({"papan": "no", "rinci": "x"}) == {"papan": "no", "rinci": "x"}


# --- the Ombudsman dimension of every scored item --------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "item"),
    [
        ("component: persyaratan, ombudsman: input}", "component: persyaratan}", 15, "papan"),
        ("tags: {unsur: U9, ombudsman: input}", "tags: {unsur: U9}", 26, "skala"),
    ],
)
def test_a_scored_item_without_an_ombudsman_tag_is_refused_by_file_line_and_item(
    tmp_path, old, new, line, item
):
    path = write(tmp_path, VALID.replace(old, new))
    errors = errors_of(path)
    assert any(
        e.startswith(f"{path}:{line}: ") and f"({item}): a scored item needs tags.ombudsman" in e
        for e in errors
    ), errors


def test_an_unknown_ombudsman_dimension_is_refused(tmp_path):
    errors = errors_of(write(tmp_path, VALID.replace("ombudsman: input}", "ombudsman: hasil}", 1)))
    assert any("(papan): unknown ombudsman 'hasil'" in e for e in errors), errors


def test_an_unscored_item_needs_no_ombudsman_tag(tmp_path):
    # a scale4 without an unsur scores nothing; a text item never does
    inst = load_file(write(tmp_path, VALID.replace("tags: {unsur: U9, ombudsman: input}", "")))
    assert not inst.item("skala").scored and not inst.item("rinci").scored


def test_every_scored_item_shipped_or_kept_for_old_visits_has_an_ombudsman_dimension():
    files = sorted((ROOT / "instruments").glob("*.yaml")) + [ROOT / "tests/data/kunjungan-v1.yaml"]
    for path in files:
        inst = load_file(path)
        scored = [i for i in inst.items if i.scored]
        assert scored and all(i.tags["ombudsman"] in inst_mod.OMBUDSMAN for i in scored), path


def test_the_ombudsman_tag_is_not_part_of_the_content_hash(tmp_path):
    """Tagging a version that already has visits changes nothing they were scored on."""
    tagged = load_file(write(tmp_path, VALID))
    untagged = VALID.replace(", ombudsman: input}", "}")
    retagged = VALID.replace("ombudsman: input}", "ombudsman: pengaduan}")
    untagged_inst = inst_mod.build(__import__("yaml").safe_load(untagged), stored=True)
    assert untagged_inst.content_hash == tagged.content_hash
    assert load_file(write(tmp_path, retagged, "b.yaml")).content_hash == tagged.content_hash
    changed = VALID.replace("weight", "weight").replace("required: true", "required: false")
    assert load_file(write(tmp_path, changed, "c.yaml")).content_hash != tagged.content_hash


def test_a_stored_definition_from_before_the_tag_still_builds():
    raw = __import__("yaml").safe_load(VALID.replace(", ombudsman: input}", "}"))
    with pytest.raises(InstrumentInvalid):
        inst_mod.build(raw)
    assert "ombudsman" not in inst_mod.build(raw, stored=True).item("papan").tags
