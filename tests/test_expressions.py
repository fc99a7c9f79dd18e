"""The server's `relevant` language against the corpus it shares with the browser.

tests/relevant_cases.json is the contract; tests/browser/test_relevant_browser.py
holds static/js/relevant.js to the same file.
"""

import json
from pathlib import Path

import pytest

from survey_app.core import expressions as ex

CORPUS = json.loads((Path(__file__).with_name("relevant_cases.json")).read_text("utf-8"))


def run(rule, answers):
    return ex.evaluate(ex.parse(rule), answers)


@pytest.mark.parametrize(
    "case", CORPUS["cases"], ids=[repr(c["rule"])[:60] for c in CORPUS["cases"]]
)
def test_evaluate(case):
    assert run(case["rule"], case["answers"]) is case["expected"], case.get("note")


@pytest.mark.parametrize(
    "rule", CORPUS["malformed"], ids=[repr(r)[:40] for r in CORPUS["malformed"]]
)
def test_malformed_rules_are_refused(rule):
    with pytest.raises(ex.ExpressionError):
        ex.parse(rule)


def test_names_lists_referenced_items():
    assert ex.names(ex.parse("a = 1 and (answered(b) or not c has 'x')")) == {"a", "b", "c"}
