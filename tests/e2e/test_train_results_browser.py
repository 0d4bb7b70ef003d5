"""The Train page's results in Chromium, on runs written to disk without training: a click
on a confusion-matrix cell selects it, deleting a run asks first, and a browser sees only
its own runs (its private id is a cookie: it survives a reload and a new tab)."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from tests.e2e.conftest import screenshot, wait_ready
from tests.e2e.fake_runs import fake_run
from ui.owner import COOKIE, owner_key

pytestmark = pytest.mark.e2e

RUN = "20200101-120000-abcd"
# the private id of the browser these tests play (ui/owner.py keeps it in a cookie)
TOKEN = "e2e-browser-" + "x" * 32

CELL_XY = """([gd, x, y]) => {
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
  return [r.left + xa._offset + xa.d2p(x), r.top + ya._offset + ya.d2p(y)];
}"""


@pytest.fixture(autouse=True)
def _this_browser(page, app):
    page.context.add_cookies([{"name": COOKIE, "value": TOKEN, "url": app.url}])


@pytest.fixture(scope="module")
def run_on_disk(app):
    fake_run(app.runs_dir, RUN, epochs_done=1, epochs=1, owner=owner_key(TOKEN))
    with np.load(app.runs_dir / RUN / "predictions.npz") as f:
        probs, labels = f["probs"].astype(np.float32), f["labels"]
    pred = probs.argmax(1)
    cm = np.zeros((10, 10), int)
    np.add.at(cm, (labels, pred), 1)
    return cm


def confusion_plot(page):
    page.get_by_text("Confusion matrix").first.wait_for()
    plots = page.locator(".js-plotly-plot")
    plots.nth(1).wait_for()
    for i in range(plots.count()):
        if plots.nth(i).evaluate("gd => gd.data[0].type") == "heatmap":
            return plots.nth(i)
    raise AssertionError("no confusion-matrix heatmap on the page")


def click_cell(page, true: int, pred: int):
    """A real mouse click at the centre of the cell (true row, predicted column)."""
    plot = confusion_plot(page)
    plot.scroll_into_view_if_needed()
    x, y = page.evaluate(CELL_XY, [plot.element_handle(), str(pred), str(true)])
    page.mouse.click(x, y)


def drilldown(page) -> str:
    return page.locator(".st-key-cm_cell").first.inner_text()


def test_clicking_a_confusion_cell_selects_it(app, page, run_on_disk):
    cm = run_on_disk
    off = cm - np.diag(np.diag(cm))
    first = np.unravel_index(off.argmax(), off.shape)
    page.goto(app.url + "/train")
    wait_ready(page)
    confusion_plot(page)
    # it starts on the most frequent mistake
    assert drilldown(page).startswith(f"True {first[0]}, predicted {first[1]}:")
    for true, pred in ((3, 5), (7, 2), (3, 5), (4, 4)):
        click_cell(page, true, pred)
        n = cm[true, pred]
        page.locator(".st-key-cm_cell").get_by_text(
            re.compile(rf"^True {true}, predicted {pred}: {n:,} test images?$")).wait_for()
        wait_ready(page)
        assert page.get_by_role("combobox", name="true class").input_value() == str(true)
        assert page.get_by_role("combobox", name="predicted").input_value() == str(pred)
    # the diagonal cell has hundreds of images: the page says it shows 24 of them
    assert "Showing the 24 most confident of" in drilldown(page)
    screenshot(page, "train_confusion_click")


def test_delete_asks_first(app, page, run_on_disk):
    page.goto(app.url + "/train")
    wait_ready(page)
    confusion_plot(page)
    page.get_by_role("button", name="Delete this run").click()
    page.get_by_text(f"Delete run {RUN}?").wait_for()
    wait_ready(page)
    screenshot(page, "train_delete_confirm")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Delete this run").wait_for()
    wait_ready(page)
    assert (app.runs_dir / RUN).exists()
    page.get_by_role("button", name="Delete this run").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_text(f"Run {RUN} deleted.").wait_for()
    assert not (app.runs_dir / RUN).exists()


def _owner_cookie(context) -> str | None:
    deadline = time.time() + 10
    while time.time() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found:
            return found[0]["value"]
        time.sleep(0.1)
    return None


def _chosen_run(page) -> str:
    box = page.get_by_role("combobox", name="Run")      # the results' run box
    box.wait_for()
    return box.input_value()


def test_runs_belong_to_the_browser_that_made_them(app, browser):
    mine = "20200101-130000-cccc"
    first = browser.new_context()
    try:
        page = first.new_page()
        page.goto(app.url + "/train")
        wait_ready(page)
        token = _owner_cookie(first)             # a new browser got its private id
        assert token and re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
        assert token not in page.url
        page.get_by_text("No runs yet").first.wait_for()     # RUN is another browser's
        fake_run(app.runs_dir, mine, epochs_done=1, epochs=1, owner=owner_key(token))
        page.reload()                            # the same browser after a reload
        wait_ready(page)
        assert _chosen_run(page).startswith(mine)
        tab = first.new_page()                   # and in a new tab of the same link
        tab.goto(app.url + "/train")
        wait_ready(tab)
        assert _chosen_run(tab).startswith(mine)
        assert _owner_cookie(first) == token
        screenshot(tab, "train_own_runs")
    finally:
        first.close()
    other = browser.new_context()                # another browser: none of these runs
    try:
        page = other.new_page()
        page.goto(app.url + "/train")
        wait_ready(page)
        page.get_by_text("No runs yet").first.wait_for()
        assert page.get_by_text(mine).count() == 0
        assert _owner_cookie(other) not in (None, token)
    finally:
        other.close()
