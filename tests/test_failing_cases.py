"""Item.passed against the cases it shares with FormCore.failing (tests/failing_cases.json).

tests/browser/test_evidence_browser.py holds the browser's copy to the same cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey_app.core.instruments import build

CASES = json.loads((Path(__file__).parent / "failing_cases.json").read_text("utf-8"))["cases"]


def gen_item(definition: dict):
    """The case's item inside the smallest valid instrument, built by the real validator."""
    item = {"id": "soal", "label": {"id": "Soal", "en": "Question"}, **definition}
    if item["type"] in ("yesno", "choice"):
        item |= {"finding": {"id": "T", "en": "F"}, "recommendation": {"id": "R", "en": "R"}}
        item["tags"] = {**item.get("tags", {}), "ombudsman": "proses"}
    inst = build(
        {
            "id": "kasus",
            "version": 1,
            "title": {"id": "Kasus", "en": "Cases"},
            "description": {"id": "Kasus", "en": "Cases"},
            "scheme": "ombudsman-2015",
            "sections": [{"id": "s", "title": {"id": "S", "en": "S"}, "items": [item]}],
        }
    )
    return inst.item("soal")


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['item']}={c['value']!r}")
def test_item_fails_as_the_browser_says(case):
    assert (gen_item(case["item"]).passed(case["value"]) is False) == case["fails"]
