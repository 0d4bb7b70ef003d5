"""Drive the real app in Chromium: navigation, a tiny training, Stop, closing the tab."""

from __future__ import annotations

import json
import time

import pytest

from tests.e2e.conftest import screenshot, wait_ready

pytestmark = pytest.mark.e2e


def slider(page, label: str):
    return page.locator(f'input[type="range"][aria-label="{label}"]').first


def set_slider(page, label: str, key: str, times: int = 1):
    thumb = slider(page, label)
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    wait_ready(page)


def run_status(app) -> list[dict]:
    out = []
    for p in sorted(app.runs_dir.iterdir()):
        status = p / "status.json"
        if status.exists():
            out.append(json.loads(status.read_text()) | {"run": p.name})
    return out


def test_deep_link_sidebar_shows_page_titles(app, page):
    # Fresh server, first request is a deep link: the sidebar must list the st.Page titles,
    # not the legacy auto-discovered pages/ list.
    page.goto(app.url + "/train")
    wait_ready(page)
    page.get_by_text("Train a CNN").first.wait_for()
    links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    texts = [t.strip().splitlines()[-1] for t in links]
    assert texts[:2] == ["Home", "Train"], texts
    assert not {"app", "train"} & set(texts), texts     # no legacy file-name entries
    screenshot(page, "train_page")


def test_home_and_language_switch(app, page):
    page.goto(app.url)
    wait_ready(page)
    page.get_by_text("Map of the subject").wait_for()
    assert page.get_by_text("Models on this machine").is_visible()
    screenshot(page, "home_en")
    page.get_by_text("中文").first.click()
    wait_ready(page)
    page.get_by_text("知识地图").wait_for()
    links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    assert [t.strip().splitlines()[-1] for t in links][:2] == ["首页", "训练"]
    screenshot(page, "home_zh")


def test_language_switch_retranslates_the_chosen_options(app, page):
    # A selectbox used to keep showing its chosen option in the old language (Streamlit
    # re-sends the options, not an unchanged value) until the page was reloaded.
    page.goto(app.url + "/train")
    wait_ready(page)
    page.get_by_text("Train a CNN").first.wait_for()
    assert page.get_by_role("combobox", name="Dataset").first.input_value() == "MNIST digits"
    page.get_by_text("中文", exact=True).first.click()
    wait_ready(page)
    box = page.get_by_role("combobox", name="数据集").first
    box.wait_for()
    assert box.input_value() == "MNIST 手写数字"
    page.get_by_text("English", exact=True).first.click()
    wait_ready(page)
    box = page.get_by_role("combobox", name="Dataset").first
    box.wait_for()
    assert box.input_value() == "MNIST digits"


def test_tiny_training_shows_curves_and_accuracy(app, page):
    page.goto(app.url + "/train")
    wait_ready(page)
    set_slider(page, "Training images", "Home")      # 500 images
    set_slider(page, "Epochs", "ArrowRight")         # 1 -> 2 epochs
    page.get_by_role("button", name="Start training").click()
    # Live: progress text with images/s appears while it trains.
    page.get_by_text("images/s").first.wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for()
    screenshot(page, "train_live")
    page.get_by_text("Test accuracy").first.wait_for(timeout=120_000)
    wait_ready(page)
    metric = page.locator('[data-testid="stMetric"]', has_text="Test accuracy")
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    assert value.endswith("%") and 0 <= float(value.rstrip("%")) <= 100
    assert page.get_by_text("Confusion matrix").is_visible()
    assert page.locator(".js-plotly-plot").count() >= 2   # curves + confusion matrix
    screenshot(page, "train_result")
    statuses = run_status(app)
    assert statuses and statuses[-1]["status"] == "finished"
    # the trained model opens in Recognize, selected, and classifies the sample digit
    page.get_by_role("button", name="Open in Recognize").click()
    page.get_by_text("Recognize an image").first.wait_for(timeout=60_000)
    wait_ready(page)
    page.get_by_text("Model call:").first.wait_for(timeout=60_000)
    screenshot(page, "train_open_in_recognize")
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    sidebar = box.evaluate(
        "e => e.textContent + ' ' + Array.from(e.querySelectorAll('input'))"
        ".map(i => i.value + ' ' + (i.getAttribute('aria-label') || '')).join(' ')")
    assert f"Train-page run {statuses[-1]['run'][:15]}" in sidebar, sidebar  # label is cut


def test_stop_during_long_run(app, page):
    page.goto(app.url + "/train")
    wait_ready(page)
    set_slider(page, "Training images", "End")       # all images,
    set_slider(page, "Epochs", "End")                # 30 epochs: minutes
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("images/s").first.wait_for(timeout=60_000)
    time.sleep(1.5)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("Stopped: you pressed Stop.").first.wait_for(timeout=15_000)
    screenshot(page, "train_stopped")
    # The run is kept on disk as stopped, with the weights learned so far.
    deadline = time.time() + 15
    while time.time() < deadline:
        last = run_status(app)[-1]
        if last["status"] == "stopped":
            break
        time.sleep(0.2)
    assert last["status"] == "stopped", last
    assert (app.runs_dir / last["run"] / "model.weights.h5").exists()


def test_closing_the_tab_stops_the_job(app, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(app.url + "/train")
    wait_ready(page)
    set_slider(page, "Training images", "End")
    set_slider(page, "Epochs", "End")                # 30 epochs: would run for minutes
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("images/s").first.wait_for(timeout=60_000)
    run = run_status(app)[-1]["run"]
    context.close()                                  # the user closes the tab
    deadline = time.time() + 30
    status = {}
    while time.time() < deadline:
        status = json.loads((app.runs_dir / run / "status.json").read_text())
        if status["status"] != "running":
            break
        time.sleep(0.5)
    assert status["status"] == "stopped" and status["reason"] == "browser tab closed", status
