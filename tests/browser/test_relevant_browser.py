"""static/js/relevant.js against the corpus it shares with the server.

tests/relevant_cases.json is the contract (tests/test_expressions.py holds
survey_app/core/expressions.py to it). One page load and one evaluate call for the
whole corpus keep this cheap.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[1] / "relevant_cases.json"

# The corpus goes in as JSON text: parsed in the page, every value keeps its
# JSON type, and an answer keyed "__proto__" stays an own property.
RUN_CORPUS = """corpus => {
  const { cases, malformed } = JSON.parse(corpus);
  const wrong = [];
  for (const c of cases) {
    let got;
    try { got = Relevant.evaluate(Relevant.parse(c.rule), c.answers); }
    catch (e) { got = "error: " + e.message; }
    if (got !== c.expected) wrong.push([c.rule, JSON.stringify(c.answers), c.expected, got]);
  }
  for (const rule of malformed) {
    let got = "parsed";
    try { Relevant.parse(rule); } catch (e) { got = e.name === "Error" ? null : e.name; }
    if (got) wrong.push([rule, null, "refused", got]);
  }
  return { wrong, checked: cases.length + malformed.length };
}"""


def test_browser_follows_the_shared_corpus(live_app, tablet):
    corpus = CORPUS.read_text("utf-8")
    url = f"{live_app.config['LIVE_URL']}/static/js/relevant.js"
    tablet.goto(url)
    tablet.add_script_tag(url=url)
    result = tablet.evaluate(RUN_CORPUS, corpus)
    data = json.loads(corpus)
    assert result["checked"] == len(data["cases"]) + len(data["malformed"])
    assert not result["wrong"], "\n".join(
        f"{rule[:80]!r} with {answers}: expected {expected}, got {got}"
        for rule, answers, expected, got in result["wrong"]
    )
