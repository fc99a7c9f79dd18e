import pytest

from survey_app.core import expressions as ex


def run(rule, answers):
    return ex.evaluate(ex.parse(rule), answers)


@pytest.mark.parametrize(
    ("rule", "answers", "expected"),
    [
        ("a = 'yes'", {"a": "yes"}, True),
        ("a = 'yes'", {"a": "no"}, False),
        ("a = 'yes'", {}, False),
        ("not (a = 'yes')", {}, True),
        ("a != 'yes'", {}, False),
        ("n > 0", {"n": 5000}, True),
        ("n > 0", {"n": 0}, False),
        ("n >= 2.5 and n < 3", {"n": 2.5}, True),
        ("a = 'yes' or b = 'yes'", {"b": "yes"}, True),
        ("a = 'yes' and not b = 'no'", {"a": "yes", "b": "no"}, False),
        ("answered(a)", {"a": ""}, False),
        ("answered(a)", {"a": "x"}, True),
        ("m has 'ramp'", {"m": ["ramp", "toilet"]}, True),
        ("m has 'lift'", {"m": ["ramp"]}, False),
        ("a", {"a": "yes"}, True),
        ("a", {"a": "no"}, False),
        ("t < '09:00'", {"t": "08:15"}, True),
        ("x = true", {"x": True}, True),
    ],
)
def test_evaluate(rule, answers, expected):
    assert run(rule, answers) is expected


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "a =",
        "a = 'yes' and",
        "(a = 'yes'",
        "a == 'yes'",
        "__import__('os')",
        "a; b",
        "a = 'x' or or b",
    ],
)
def test_malformed_rules_are_refused(rule):
    with pytest.raises(ex.ExpressionError):
        ex.parse(rule)


def test_names_lists_referenced_items():
    assert ex.names(ex.parse("a = 1 and (answered(b) or not c has 'x')")) == {"a", "b", "c"}
