"""Training speed inside the running app vs the bare seed script, in the same run.

1. bare: a fresh Python process runs the seed script's model.fit(x/255, y, batch_size=64)
   for 2 epochs on the 60,000 MNIST images; images/s over those 2 epochs.
2. app: a fresh `streamlit run app.py`; Chromium opens the Train page and starts a 2-epoch
   training on the same images with validation_split 0 (the live chart polls at 2 Hz while
   it trains); images/s as the job reports it (metrics.json of the run).
Both include the slow first epoch of a fresh process, so they compare like with like.
With --naive, the app runs with Streamlit's Keras reset and post-run GC left in place
(CVLAB_NAIVE_STREAMLIT=1, runner.postScriptGC=true) to show what the fix is worth; that
run is stopped after 40 s and its images/s read from the stopped run.

Run: CVLIB_DATA_DIR=../shared/data python bench/app_throughput.py [--naive]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _browser import CHROMIUM_ARGS, READY, ROOT, Server, chromium  # noqa: E402

BARE = """
import os, time, json
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from cvlib.bench import seed_model
from cvlib.data import load_dataset
x, y, _ = load_dataset("mnist", "train")
x = x[..., None].astype("float32") / 255.0
model = seed_model()
t0 = time.perf_counter()
model.fit(x, y, batch_size=64, epochs=2, verbose=0)
print(json.dumps(2 * len(x) / (time.perf_counter() - t0)))
"""


def bare_ips() -> float:
    out = subprocess.run([sys.executable, "-c", BARE], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def app_ips(naive: bool) -> float:
    from playwright.sync_api import sync_playwright
    extra = ["--runner.postScriptGC", "true"] if naive else []
    env = {"CVLAB_NAIVE_STREAMLIT": "1"} if naive else {}
    server = Server(extra, env)
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + "/train")
            page.get_by_text("Start training").first.wait_for(timeout=120_000)
            page.wait_for_selector(READY)
            for label, key, times in (("Epochs", "Home", 1), ("Epochs", "ArrowRight", 1),
                                      ("Validation split", "Home", 1)):
                s = page.locator(f'input[type="range"][aria-label="{label}"]').first
                s.focus()
                for _ in range(times):
                    s.press(key)
                page.wait_for_selector(READY)
            page.get_by_role("button", name="Start training").click()
            if naive:   # far too slow to finish: measure 40 s of it, then Stop
                page.get_by_text("images/s").first.wait_for(timeout=120_000)
                time.sleep(40)
                page.get_by_role("button", name="Stop").click()
            page.get_by_text("Test accuracy").first.wait_for(timeout=1200_000)
            browser.close()
        run = sorted(server.runs_dir.iterdir())[-1]
        metrics = json.loads((run / "metrics.json").read_text())
        return metrics["images_per_second"]
    finally:
        server.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive", action="store_true", help="also measure without the fix")
    args = ap.parse_args()
    bare = bare_ips()
    app = app_ips(naive=False)
    print(json.dumps({"figure": "app_vs_bare", "bare_images_per_second": round(bare),
                      "app_images_per_second": round(app), "ratio": round(app / bare, 3),
                      "goal": ">= 0.95"}), flush=True)
    if args.naive:
        naive = app_ips(naive=True)
        print(json.dumps({"figure": "naive_app_vs_bare", "app_images_per_second": round(naive),
                          "ratio": round(naive / bare, 3),
                          "note": "Streamlit's clear_session + gc after every rerun left on"}),
              flush=True)
