"""Everyday use in Chromium: the language survives a reload (?lang=zh in the URL), settings
survive a visit to another page, and the server log stays clean."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import screenshot, wait_ready

pytestmark = pytest.mark.e2e


def nav(page, title: str):
    """Go to another page through the sidebar, in the same session (a goto is a reload)."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    wait_ready(page)


def slider_value(page, label: str) -> int:
    thumb = page.locator(f'input[type="range"][aria-label="{label}"]').first
    thumb.wait_for(state="attached")
    return int(float(thumb.input_value()))


def move_slider_to(page, label: str, target: int):
    """One arrow key at a time, each answered by a rerun (presses sent during a rerun can
    be lost)."""
    thumb = page.locator(f'input[type="range"][aria-label="{label}"]').first
    for _ in range(30):
        now = slider_value(page, label)
        if now == target:
            return
        thumb.focus()
        thumb.press("ArrowRight" if target > now else "ArrowLeft")
        page.wait_for_timeout(300)
        wait_ready(page)
    assert slider_value(page, label) == target


def test_language_stays_after_a_reload_and_a_page_switch(app, page):
    # first request to a fresh server: a shared deep link in Chinese
    page.goto(app.url + "/train?lang=zh")
    wait_ready(page)
    page.get_by_text("训练 CNN").first.wait_for()
    page.goto(app.url)
    wait_ready(page)
    page.get_by_text("Map of the subject").wait_for()
    assert "lang=" not in page.url
    page.get_by_text("中文", exact=True).first.click()
    wait_ready(page)
    page.get_by_text("知识地图").wait_for()
    page.wait_for_url(re.compile(r"[?&]lang=zh"))
    page.reload()                                   # a new session: the URL brings it back
    wait_ready(page)
    page.get_by_text("知识地图").wait_for()
    nav(page, "训练")
    page.get_by_text("训练 CNN").first.wait_for()
    page.wait_for_url(re.compile(r"/train\?(.*&)?lang=zh"))
    page.reload()
    wait_ready(page)
    page.get_by_text("训练 CNN").first.wait_for()
    screenshot(page, "train_zh_after_reload")
    page.get_by_text("English", exact=True).first.click()
    wait_ready(page)
    page.get_by_text("Train a CNN").first.wait_for()
    page.wait_for_function("() => !location.search.includes('lang=')")


def test_settings_survive_a_visit_to_another_page(app, page):
    page.goto(app.url + "/train")
    wait_ready(page)
    page.get_by_text("Train a CNN").first.wait_for()
    assert slider_value(page, "Epochs") == 1          # the page recipe (PAGE_RECIPE)
    move_slider_to(page, "Epochs", 8)
    assert slider_value(page, "Epochs") == 8
    nav(page, "Recognize")
    page.get_by_text("Recognize an image").first.wait_for()
    assert slider_value(page, "Top-k classes") == 5
    move_slider_to(page, "Top-k classes", 3)
    assert slider_value(page, "Top-k classes") == 3
    nav(page, "Home")
    nav(page, "Train")
    page.get_by_text("Train a CNN").first.wait_for()
    assert slider_value(page, "Epochs") == 8
    nav(page, "Recognize")
    page.get_by_text("Recognize an image").first.wait_for()
    assert slider_value(page, "Top-k classes") == 3
    screenshot(page, "recognize_settings_kept")


def test_server_log_is_clean(app, page):
    # runs last in this module: everything above went through this server. Two finished
    # runs, one on all images and one on 4,000, fill the runs table with "all" and a number.
    from cvlib.runs import RunStore
    from cvlib.train import TrainConfig
    store = RunStore(app.runs_dir)
    for size in (None, 4000):
        run_id = store.create(TrainConfig(train_size=size, epochs=1).to_dict())
        store.write_history(run_id, {"loss": [0.5], "accuracy": [0.9], "val_loss": [0.4],
                                     "val_accuracy": [0.92]})
        store.write_metrics(run_id, {
            "test_accuracy": 0.91, "test_loss": 0.3, "seconds": 3.5, "images_per_second": 1000,
            "stopped": False, "epochs_completed": 1, "data_source": "test",
            "data_subset": False, "data_fingerprint": "", "params": 93322})
        store.set_status(run_id, "finished")
    page.goto(app.url + "/train")
    wait_ready(page)
    page.get_by_text("All runs").first.wait_for()
    page.locator('[data-testid="stDataFrame"] >> visible=true').last.wait_for()
    log = app.log.read_text(encoding="utf-8", errors="replace")
    for noise in ("Did not auto detect external IP", "Serialization of dataframe",
                  "Traceback", "created with a default value"):
        assert noise not in log, f"{noise!r} in {app.log}"
    assert "URL: http://localhost:" in log
