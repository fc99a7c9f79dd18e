"""survey_app/core/formatting.py against the cases it shares with static/js/format.js.

tests/format_cases.json is the contract; tests/browser/test_format_browser.py
holds the browser's copy to the same cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey_app.core import formatting

CASES = json.loads((Path(__file__).parent / "format_cases.json").read_text("utf-8"))


@pytest.mark.parametrize(("value", "places", "locale", "expected"), CASES["number"])
def test_number(value, places, locale, expected):
    assert formatting.number(value, places, locale) == expected


@pytest.mark.parametrize(("value", "expected"), CASES["rupiah"])
def test_rupiah(value, expected):
    assert formatting.rupiah(value) == expected


@pytest.mark.parametrize(("value", "locale", "expected"), CASES["minutes"])
def test_minutes(value, locale, expected):
    assert formatting.minutes(value, locale) == expected


@pytest.mark.parametrize(("value", "locale", "expected"), CASES["short_date"])
def test_short_date(value, locale, expected):
    assert formatting.short_date(value, locale) == expected
