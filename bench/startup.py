"""Start-up: `streamlit run` to the home page rendered in Chromium, to the Train page, and
the server's peak RSS after one full training epoch from the page.

Figures (JSON lines):
  home_cold_seconds   from starting `streamlit run` to the home page's map rendered
  home_warm_seconds   a fresh tab on the running server, to the map rendered
  train_first_seconds first visit of the Train page (imports TensorFlow), to its button
  train_warm_seconds  a later visit of the Train page
  peak_rss_mb         server process VmHWM after one epoch on all 60,000 MNIST images

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


def main():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        warm = browser.new_page()            # Chromium itself is started before the clock
        warm.goto("about:blank")
        server = Server()
        try:
            server.wait_healthy()
            page = browser.new_page()
            page.goto(server.url)
            page.get_by_text("Map of the subject").first.wait_for(timeout=120_000)
            home_cold = time.perf_counter() - server.t_start
            home_warm = timed_goto(browser.new_page(), server.url, "Map of the subject")
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
    for name, value, goal in (("home_cold_seconds", home_cold, "<= 2 s (home)"),
                              ("home_warm_seconds", home_warm, ""),
                              ("train_first_seconds", train_first, ""),
                              ("train_warm_seconds", train_warm, ""),
                              ("peak_rss_mb", rss, "<= 1536 MB")):
        print(json.dumps({"figure": name, "value": round(value, 2), "goal": goal}), flush=True)


if __name__ == "__main__":
    main()
