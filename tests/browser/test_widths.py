"""Every page at a phone's, a small laptop's and a desktop's width: nothing wider than the screen.

Each page of the registry is opened at 390 px (a phone), 800 px and 1400 px in one shared server
and browser (one tab per width), and must not be wider than the viewport: the document does not
scroll sideways, no visible element reaches past the right edge (an element inside a container
that scrolls or clips sideways counts only with the part that container shows; Streamlit's
hidden and screen-reader-only elements and KaTeX's hidden MathML are not looked at), no text
of the page ends in "…" because its box is too narrow (a result card's "He/Kaimi…"), no
displayed formula is wider than its block, and on the pages whose charts stretch to a grid's
columns no chart is narrower than the width their titles and legends are made for (Vega draws
into a canvas, where a cut title or legend cannot be seen: tests/pages/test_training.py checks
the specs against that width with a text model, and ``test_the_text_model_covers_the_font``
checks the model against the browser's font). A page's tabs are opened one by one and
checked the same way. Screenshots go to
artifacts/screenshots/<page>_<width>.png: a chart that renders but teaches nothing does not
fail a test, so look at them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lab.controls.training import CONTROLS as TRAINING_CONTROLS
from pages.ui.registry import HOME_KEY, PAGES, PageInfo
from pages.ui.text_width import LABEL_PX_PER_CHAR, TITLE_PX_PER_CHAR
from pages.ui.training_charts import PANEL_MIN_WIDTH
from tests.browser.conftest import assert_no_errors, open_page, screenshot, wait_for_app

pytestmark = pytest.mark.browser

#: A phone, a small laptop with the sidebar open, a desktop.
WIDTHS = (390, 800, 1400)
HEIGHT = 900
#: Pixels of slack for sub-pixel layout and KaTeX's own overhang.
SLACK = 2

#: What lies beyond the viewport's right edge: the document's overflow, visible elements (their
#: box cut to every ancestor that scrolls or clips sideways) and formulas wider than their block.
OVERFLOW_SCRIPT = """(slack) => {
  const limit = window.innerWidth;
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > limit) {
    problems.push(`the page is ${doc.scrollWidth} px wide`);
  }
  const hidden = (element) =>
    element.closest(".katex-mathml, .sr-only, [hidden]") !== null
    || !element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const describe = (element) => {
    const id = element.closest("[data-testid]");
    const where = id ? id.getAttribute("data-testid") : element.tagName.toLowerCase();
    return `${where}: ${(element.innerText || element.tagName).trim().slice(0, 60)}`;
  };
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.right <= limit + slack) continue;
    if (hidden(element)) continue;
    let right = box.right;
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== "visible") {
        right = Math.min(right, parent.getBoundingClientRect().right);
      }
    }
    if (right > limit + slack) {
      problems.push(`${describe(element)} ends at ${Math.round(right)} px`);
    }
  }
  const main = document.querySelector('[data-testid="stMain"]');
  for (const element of main ? main.querySelectorAll("*") : []) {
    const style = getComputedStyle(element);
    if (style.textOverflow === "ellipsis" && element.scrollWidth > element.clientWidth + slack
        && element.innerText.trim() && !hidden(element)) {
      problems.push(`text cut with …: ${describe(element)}`);
    }
  }
  for (const block of document.querySelectorAll(".katex-display")) {
    if (block.scrollWidth > block.clientWidth + 4 * slack) {
      problems.push(`formula cut at ${block.clientWidth} of ${block.scrollWidth} px: `
        + block.innerText.slice(0, 40));
    }
  }
  return problems.slice(0, 20);
}"""


#: Pages whose charts stretch to the columns of a grid that drops a column before one would be
#: narrower than this (at 800 px, three st.columns panels were 135 px wide).
MIN_CHART_WIDTH = {"training": PANEL_MIN_WIDTH, "phase_diagram": PANEL_MIN_WIDTH}
CHART_WIDTHS_SCRIPT = """() => [...document.querySelectorAll(
  '[data-testid="stMain"] [data-testid="stVegaLiteChart"]')]
  .filter(chart => chart.checkVisibility())
  .map(chart => chart.getBoundingClientRect().width)"""
#: The widest each string is drawn in ``font`` (px), measured as Vega measures: on a canvas.
TEXT_WIDTHS_SCRIPT = """async ([font, texts]) => {
  const family = getComputedStyle(document.body).fontFamily;
  await document.fonts.load(`${font} ${family}`);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${font} ${family}`;
  return texts.map(text => context.measureText(text).width);
}"""


@pytest.fixture(scope="module")
def tabs(browser: Any, app_url: str) -> Iterator[dict[int, Any]]:
    """One browser tab per width, reused by every page (each visit is a fresh script run)."""
    contexts = {
        width: browser.new_context(base_url=app_url, viewport={"width": width, "height": HEIGHT})
        for width in WIDTHS
    }
    yield {width: context.new_page() for width, context in contexts.items()}
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("info", PAGES, ids=[info.key for info in PAGES])
def test_page_fits_the_width(tabs: dict[int, Any], info: PageInfo, width: int) -> None:
    tab = tabs[width]
    open_page(tab, "" if info.key == HOME_KEY else info.url_path)
    assert_no_errors(tab)
    check_fits(tab, info)
    assert screenshot(tab, f"{info.key}_{width}").stat().st_size > 10_000
    # A page's tabs hide the content of the others: open each in turn and check it too.
    labels = tab.get_by_role("tab").all_inner_texts()
    for label in labels[1:]:
        tab.get_by_role("tab", name=label, exact=True).click()
        wait_for_app(tab)
        assert_no_errors(tab)
        check_fits(tab, info, label)


def check_fits(tab: Any, info: PageInfo, where: str = "") -> None:
    """The checks of the module docstring on what the page shows now."""
    assert tab.evaluate(OVERFLOW_SCRIPT, SLACK) == [], where
    if info.key in MIN_CHART_WIDTH:
        widths = tab.evaluate(CHART_WIDTHS_SCRIPT)
        assert widths and min(widths) >= MIN_CHART_WIDTH[info.key] - SLACK, (where, widths)


def test_the_text_model_covers_the_font(tabs: dict[int, Any]) -> None:
    """The charts' titles and legend labels are sized with a pixels-per-character model
    (pages/ui/text_width.py): it must cover what the browser draws, in Streamlit's font,
    for the initializations' names (their long forms, longer than the charts' labels) and the
    Training page's titles (bold 16 px titles, 14 px legend labels)."""
    tab = tabs[WIDTHS[0]]
    open_page(tab, "")
    names = [label for _, label in TRAINING_CONTROLS["inits"].options]
    titles = [*(f"{name}: 100%" for name in names), "Largest distance between two units"]
    for font, texts, per_char in (
        ("14px", names, LABEL_PX_PER_CHAR),
        ("bold 16px", titles, TITLE_PX_PER_CHAR),
    ):
        drawn = tab.evaluate(TEXT_WIDTHS_SCRIPT, [font, texts])
        wider = [(t, w) for t, w in zip(texts, drawn, strict=True) if w > len(t) * per_char]
        assert wider == [], f"{font}: drawn wider than {per_char} px per character"
