"""static/js/format.js against the cases it shares with the server (tests/format_cases.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CASES = Path(__file__).resolve().parents[1] / "format_cases.json"

RUN_CASES = """text => {
  const c = JSON.parse(text), wrong = [];
  const check = (kind, args, expected, got) => {
    if (got !== expected) wrong.push([kind, args, expected, got]);
  };
  for (const [v, places, locale, e] of c.number) {
    check("number", [v, places, locale], e, Format.number(v, places, locale));
  }
  for (const [v, e] of c.rupiah) check("rupiah", [v], e, Format.rupiah(v));
  for (const [v, loc, e] of c.minutes) check("minutes", [v, loc], e, Format.minutes(v, loc));
  for (const [v, loc, e] of c.short_date) {
    check("short_date", [v, loc], e, Format.shortDate(v, loc));
  }
  const checked = c.number.length + c.rupiah.length + c.minutes.length + c.short_date.length;
  return { wrong, checked };
}"""


def test_browser_formats_as_the_server_does(live_app, tablet):
    text = CASES.read_text("utf-8")
    url = f"{live_app.config['LIVE_URL']}/static/js/format.js"
    tablet.goto(url)
    tablet.add_script_tag(url=url)
    result = tablet.evaluate(RUN_CASES, text)
    cases = json.loads(text)
    assert result["checked"] == sum(len(v) for v in cases.values())
    assert not result["wrong"], result["wrong"]
