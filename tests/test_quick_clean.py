"""The sync API's quick check never disagrees with the WTForms fields.

`forms.quick_clean` answers only for values whose WTForms result is certain
and leaves everything else to `forms.wtforms_clean`; here every item of every
instrument meets valid, odd and hostile values, and wherever the quick check
answers, WTForms must accept the same value and clean it to the same thing.
"""

from __future__ import annotations

import random

import pytest

from survey_app.core.instruments import load_directory
from survey_app.store import demo
from survey_app.web import forms
from tests.conftest import ROOT

INSTRUMENTS = load_directory(ROOT / "instruments")[0]


def typed(answers: dict) -> list:
    """Answers with their types, so that 1, 1.0 and True differ."""
    return sorted((k, type(v).__name__, repr(v)) for k, v in answers.items())


def candidates(item) -> list:
    values = [
        None, "", " ", "None", "yes", "no", "na", " yes", "Yes", 0, 1, 2, 3, 4, 5, -1,
        True, False, 1.5, 2.0, 0.1, float("nan"), float("inf"), 10**16, 1e16, "3", "2.5",
        "12:30", "09:05", "9:05", "24:00", "23:59", "12:3", "12:30:00", "teks", " teks ",
        "x" * 5000, "x" * 5001, " " + "x" * 5000, [], [""], [1], ["a"], {"a": 1},
    ]  # fmt: skip
    options = [o.value for o in item.options]
    values += options + [[o] for o in options] + [options, options[:1] * 2, options + ["zz"]]
    for bound in (item.min, item.max):
        if bound is not None:
            values += [bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5, float(bound)]
    return values


@pytest.mark.parametrize("inst", INSTRUMENTS, ids=lambda i: i.id)
def test_quick_check_agrees_with_wtforms_on_every_item(app, inst):
    accepted = 0
    with app.test_request_context():
        for item in inst.items:
            for value in candidates(item):
                answers = {item.id: value}
                quick = forms.quick_clean(inst, answers)
                if quick is None:
                    continue
                accepted += 1
                cleaned, errors = forms.wtforms_clean(inst, answers)
                assert errors == {}, (item.id, value)
                assert typed(inst.relevant_answers(quick)) == typed(cleaned), (item.id, value)
    assert accepted > len(inst.items)  # it does answer, for most items more than once


@pytest.mark.parametrize("inst", INSTRUMENTS, ids=lambda i: i.id)
def test_whole_visits_take_the_quick_path_with_the_same_result(app, inst):
    rng = random.Random(5)
    with app.test_request_context():
        for n in range(60):
            answers = demo.fake_answers(inst, rng, n / 60)
            quick = forms.quick_clean(inst, answers)
            assert quick is not None
            assert (inst.relevant_answers(quick), {}) == forms.clean_answers(inst, answers)
            assert typed(quick) == typed(forms.wtforms_clean(inst, answers)[0])


def test_unknown_items_and_problems_get_the_forms_messages(app):
    inst = next(i for i in INSTRUMENTS if any(it.type == "integer" for it in i.items))
    item = next(it for it in inst.items if it.type == "integer")
    with app.test_request_context(headers={"Accept-Language": "id"}):
        assert forms.quick_clean(inst, {"no_such_item": "x"}) is None
        cleaned, errors = forms.clean_answers(inst, {"no_such_item": "x", item.id: "lima"})
    assert set(errors) == {"no_such_item", item.id} and item.id not in cleaned
    assert errors["no_such_item"] == ["Butir tidak dikenal."]
    assert errors[item.id][0] == "Bukan bilangan bulat yang valid."
