"""Start-up: `streamlit run` to the home page rendered in Chromium, to the Train page, and
the server's peak RSS after one full training epoch from the page.

Figures (JSON lines):
  home_cold_seconds   from starting `streamlit run` to the home page's map rendered
  home_warm_seconds   a fresh tab on the running server, to the map rendered
  train_first_seconds first visit of the Train page (imports TensorFlow), to its button
  train_warm_seconds  a later visit of the Train page
  peak_rss_mb         server process VmHWM after one epoch on all 60,000 MNIST images
  bare_cold_seconds   the same two figures for a bare one-line Streamlit app (a title),
  bare_warm_seconds   served by the same interpreter and config in the same run: the part
                      of the home figures that is Streamlit's own (server start, its
                      frontend), so that "ours - bare" is what CV Lab adds

Run: CVLIB_DATA_DIR=../shared/data python bench/startup.py
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _browser import CHROMIUM_ARGS, READY, Server, chromium  # noqa: E402


def timed_goto(page, url: str, text: str) -> float:
    t0 = time.perf_counter()
    page.goto(url)
    page.get_by_text(text).first.wait_for(timeout=120_000)
    page.wait_for_selector(READY, timeout=120_000)
    return time.perf_counter() - t0


BARE_APP = 'import streamlit as st\n\nst.title("Map of the subject")\n'


def bare_figures(browser) -> tuple[float, float]:
    """Cold (`streamlit run` -> title shown) and warm (new tab -> title shown) seconds of a
    one-line app in a temporary folder with this repository's .streamlit/config.toml."""
    import shutil
    import tempfile
    from pathlib import Path
    root = Path(tempfile.mkdtemp(prefix="bare-app-"))
    (root / "app.py").write_text(BARE_APP)
    shutil.copytree(Path(__file__).resolve().parent.parent / ".streamlit", root / ".streamlit")
    server = Server(root=root)
    try:
        cold, warm, _ = cold_and_warm(browser, server)
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)
    return cold, warm


def cold_and_warm(browser, server: Server):
    """(seconds from `streamlit run` to the home title shown, seconds from a new tab on the
    now warm server to the same, the first tab)."""
    server.wait_healthy()
    page = browser.new_page()
    page.goto(server.url)
    page.get_by_text("Map of the subject").first.wait_for(timeout=120_000)
    cold = time.perf_counter() - server.t_start
    return cold, timed_goto(browser.new_page(), server.url, "Map of the subject"), page


def main():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        warm = browser.new_page()            # Chromium itself is started before the clock
        warm.goto("about:blank")
        bare_cold, bare_warm = bare_figures(browser)
        server = Server()
        try:
            home_cold, home_warm, page = cold_and_warm(browser, server)
            train_first = timed_goto(page, server.url + "/train", "Start training")
            train_warm = timed_goto(browser.new_page(), server.url + "/train", "Start training")
            # one full epoch from the page
            slider = page.locator('input[type="range"][aria-label="Epochs"]').first
            slider.focus()
            slider.press("Home")
            page.wait_for_selector(READY)
            page.get_by_role("button", name="Start training").click()
            page.get_by_text("Test accuracy").first.wait_for(timeout=300_000)
            rss = server.peak_rss_mb()
        finally:
            server.close()
            browser.close()
    for name, value, goal in (("home_cold_seconds", home_cold, "<= 1.5 s"),
                              ("home_warm_seconds", home_warm, "<= 1.0 s"),
                              ("bare_cold_seconds", bare_cold, "baseline"),
                              ("bare_warm_seconds", bare_warm, "baseline"),
                              ("train_first_seconds", train_first, "<= 2 s"),
                              ("train_warm_seconds", train_warm, ""),
                              ("peak_rss_mb", rss, "<= 1536 MB")):
        print(json.dumps({"figure": name, "value": round(value, 2), "goal": goal}), flush=True)


if __name__ == "__main__":
    main()
