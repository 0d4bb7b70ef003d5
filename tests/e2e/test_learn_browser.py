"""Drive the Learn page in Chromium: step the backprop stepper, run the playground."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import screenshot, wait_ready

pytestmark = pytest.mark.e2e


def open_section(page, app, number: int, heading: str, lang_zh: bool = False):
    """Open /learn, pick section ``number`` (1-7) and wait for its ``heading``."""
    page.goto(app.url + "/learn")
    wait_ready(page)
    page.get_by_text("How a network learns").first.wait_for()
    if lang_zh:
        page.get_by_text("中文").first.click()
        page.get_by_text("神经网络如何学习").first.wait_for()
        wait_ready(page)
    page.locator('button[data-variant="segmented_control"]',
                 has_text=f"{number} ·").first.click()
    page.get_by_role("heading", name=heading).first.wait_for()
    wait_ready(page)


def click_and_wait(page, button, text: str):
    """Click, then wait for ``text``: a rerun may not have started when the click returns."""
    button.click()
    page.get_by_text(text).first.wait_for()
    wait_ready(page)


def steps_shown(page) -> int:
    metric = page.locator('[data-testid="stMetric"]').first
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return int(value.replace(",", ""))


def test_learn_is_in_the_sidebar_and_every_section_renders(app, page):
    page.goto(app.url + "/learn")
    wait_ready(page)
    page.get_by_text("How a network learns").first.wait_for()
    links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    assert "Learn" in [t.strip().splitlines()[-1] for t in links]
    for number, text in ((1, "One neuron: y = f(wx + b)"), (4, "Loss functions"),
                         (5, "Optimizers on a loss surface"),
                         (6, "Overfitting remedies on the real CNN"),
                         (7, "A recurrent network in one picture")):
        page.locator('button[data-variant="segmented_control"]',
                     has_text=f"{number} ·").first.click()
        wait_ready(page)
        page.get_by_role("heading", name=text).first.wait_for()
        page.locator(".js-plotly-plot").first.wait_for()
        wait_ready(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, f"learn_section_{number}")


def test_backprop_stepper(app, page):
    open_section(page, app, 2, "Forward pass, back-propagation")
    page.get_by_text("Step 0 of 10").first.wait_for()
    page.get_by_text("All three agree").first.wait_for(timeout=90_000)   # TF import
    nxt = page.get_by_role("button", name="Next", exact=True)
    for k in range(1, 4):
        click_and_wait(page, nxt, f"Step {k} of 10")
    page.get_by_text("Step 3 of 10: forward pass").first.wait_for()
    page.get_by_text("Forward, hidden neuron 3").first.wait_for()
    screenshot(page, "learn_backprop_forward")
    for k in range(4, 8):
        click_and_wait(page, nxt, f"Step {k} of 10")
    page.get_by_text("Step 7 of 10: back-propagation").first.wait_for()
    page.get_by_text("Backward, hidden neuron 1").first.wait_for()
    screenshot(page, "learn_backprop_backward")
    for k in range(8, 11):
        click_and_wait(page, nxt, f"Step {k} of 10")
    page.get_by_text("Step 10 of 10: gradient-descent update").first.wait_for()
    page.get_by_text("The loss went down").first.wait_for()
    assert nxt.is_disabled()
    screenshot(page, "learn_backprop_update")
    click_and_wait(page, page.get_by_role("button", name="Take the update"),
                   "1 update(s) taken so far")
    page.get_by_text("Step 0 of 10").first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_playground_runs_and_the_boundary_updates(app, page):
    open_section(page, app, 3, "Playground: train a network")
    page.get_by_text("Decision boundary after 0 steps").first.wait_for()
    assert steps_shown(page) == 0
    # a slider through the keyboard: learning rate 0.03 -> 0.1
    thumb = page.locator('input[type="range"][aria-label="Learning rate"]').first
    thumb.focus()
    thumb.press("ArrowRight")
    page.locator('[data-testid="stSliderThumbValue"]', has_text="0.1").first.wait_for()
    wait_ready(page)
    click_and_wait(page, page.get_by_role("button", name="Step", exact=True),
                   "Decision boundary after 10 steps")
    page.get_by_role("button", name="Run", exact=True).click()
    t0 = time.time()
    while steps_shown(page) < 150 and time.time() - t0 < 60:
        time.sleep(0.3)
    assert steps_shown(page) >= 150, "the playground did not advance while running"
    page.get_by_text(re.compile(r"Decision boundary after [1-9][\d,]* steps")).first.wait_for()
    screenshot(page, "learn_playground_running")
    page.get_by_role("button", name="Pause", exact=True).click()
    wait_ready(page)
    time.sleep(0.5)
    paused_at = steps_shown(page)
    time.sleep(1.5)
    assert steps_shown(page) == paused_at
    acc = page.locator('[data-testid="stMetric"]', has_text="Test accuracy")
    value = acc.locator('[data-testid="stMetricValue"]').inner_text()
    assert int(value.rstrip("%")) > 90, value
    assert page.locator(".js-plotly-plot").count() >= 2
    page.locator(".js-plotly-plot").nth(1).scroll_into_view_if_needed()   # paused: stable
    screenshot(page, "learn_playground_paused")


def test_learn_page_in_chinese(app, page):
    open_section(page, app, 3, "游乐场：在二维点上训练网络", lang_zh=True)
    click_and_wait(page, page.get_by_role("button", name="单步", exact=True), "10 步后的决策边界")
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "learn_playground_zh")
