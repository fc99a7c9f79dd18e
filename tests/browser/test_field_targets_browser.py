"""The offline app as a hurried thumb meets it: 44 px targets, a label on every
input, and a visible focus, on the list, a section with its header, and the send
screen (offline, at a 10-inch tablet's 800x1280)."""

import pytest

from .conftest import TABLET, login
from .test_desk_browser import TARGETS
from .test_offline_browser import wait_ready

pytestmark = pytest.mark.browser
PORTRAIT = {**TABLET, "viewport": {"width": 800, "height": 1280}}
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi"

# The outline a keyboard user sees on the focused control (none/0 px is no focus at all).
FOCUS_RING = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return { tag: el.tagName, outline: ring, shadow: style.boxShadow !== 'none' };
}"""


def small_or_unlabelled(page, where):
    return [(where, t) for t in page.evaluate(TARGETS)]


def test_offline_screens_have_big_named_targets_and_visible_focus(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(service_workers="block", **PORTRAIT)
    page = context.new_page()
    login(page, base, "evaluator1")
    wait_ready(page)
    buttons = ("#lang-switch", "#sync-now", "#logout")
    online = [page.locator(b).bounding_box() for b in buttons]
    context.set_offline(True)
    page.locator("#net-state", has_text="Tidak terhubung").wait_for()
    # The connection line changes length; the buttons stay under the thumb.
    assert [page.locator(b).bounding_box() for b in buttons] == online
    problems = small_or_unlabelled(page, "list")

    page.get_by_role("link", name="Mulai kunjungan").tap()
    page.locator("#start-form").wait_for()
    problems += small_or_unlabelled(page, "start")
    page.select_option("#opd", label=DUKCAPIL)
    page.select_option("#service", index=1)
    page.get_by_role("button", name="Mulai").tap()
    page.locator(".visit-header").wait_for()
    problems += small_or_unlabelled(page, "section")
    uuid = page.evaluate("() => location.hash.split('/')[2]")
    page.evaluate("uuid => { location.hash = '#/review/' + uuid; }", uuid)
    page.locator("#submit-visit").wait_for()
    problems += small_or_unlabelled(page, "send")
    assert problems == []

    rings = []
    for _ in range(6):  # the keyboard walks the send screen: each stop shows where it is
        page.keyboard.press("Tab")
        rings.append(page.evaluate(FOCUS_RING))
    assert rings and all(r["outline"] or r["shadow"] for r in rings if r["tag"] != "BODY"), rings
    context.close()
