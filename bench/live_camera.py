"""The Video page's live camera: frames per second actually analysed, end to end, from a
fake camera in Chromium, and the per-frame breakdown.

Figures (JSON lines):
  live/inproc/<model>   the server's work alone, in this process: p50/p95 ms of JPEG
                        decoding and of the model's per-frame analysis
                        (cvlib.video.LiveAnalyzer.analyse_payload) on the fake camera's
                        frames as the browser sends them (224 px, JPEG quality 0.8), warm
  live/browser/<model>  `streamlit run app.py` + headless Chromium whose camera plays a
                        moving-digit clip (tests/e2e/fake_camera.py, 320x240 Y4M): Video
                        page, Live camera tab, "Time between frames" = fastest (or
                        --interval), 224 px frames, Start; after a warm-up of --warmup s,
                        fps = frames sent during --seconds s / those seconds (the browser
                        sends the next frame only after Python's answer, so frames sent =
                        frames analysed), and p50/p95 of the figures the page shows, read
                        every 0.2 s: the round trip browser -> server -> browser, the model
                        ms and the JPEG-decoding ms of the last frame
  live/camera_input     the alternative the issue names: st.camera_input "in a loop", in a
                        minimal app (written to a temporary folder) that analyses each
                        snapshot with the same LiveAnalyzer (mnist_cnn); Playwright clicks
                        "Take Photo", waits for the answer, clicks "Clear photo", again and
                        again for --seconds s: snapshots analysed per second. A person
                        would have to make both clicks for every frame.

Run: CVLIB_DATA_DIR=../shared/data python bench/live_camera.py [--seconds 20]
     [--warmup 5] [--interval 0] [--models mnist_cnn cifar_cnn faces_mtcnn]
     [--skip-inproc] [--skip-camera-input]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from bench._browser import (  # noqa: E402
    CHROMIUM_ARGS,
    READY,
    ROOT,
    Server,
    chromium,
    free_port,
)
from tests.e2e.fake_camera import camera_args, digit_clip, write_y4m  # noqa: E402


def pct(values, q):
    return round(float(np.percentile(values, q)), 1) if len(values) else None


def browser_jpegs(frames, side=224, quality=80) -> list[str]:
    """The fake camera's frames as the browser sends them: scaled to ``side``, JPEG,
    base64 (Pillow's encoder standing in for the canvas's)."""
    out = []
    for f in frames:
        img = Image.fromarray(f).convert("RGB")
        k = side / max(img.size)
        img = img.resize((round(img.size[0] * k), round(img.size[1] * k)), Image.BILINEAR)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        out.append(base64.b64encode(buf.getvalue()).decode())
    return out


def inproc(model: str, jpegs: list[str], rounds: int = 5) -> dict:
    from cvlib.video import LiveAnalyzer
    live = LiveAnalyzer(model).load()
    decode, run = [], []
    for r in range(rounds):
        for i, b64 in enumerate(jpegs):
            rec = live.analyse_payload({"seq": r * len(jpegs) + i + 1, "jpeg_b64": b64})
            decode.append(rec.decode_ms)
            run.append(rec.model_ms)
    return {"figure": f"live/inproc/{model}", "frames": len(run),
            "decode_ms_p50": pct(decode, 50), "decode_ms_p95": pct(decode, 95),
            "model_ms_p50": pct(run, 50), "model_ms_p95": pct(run, 95)}


def _status(page) -> tuple[int, float | None]:
    text = page.get_by_test_id("live-status").inner_text()
    n = re.search(r"frame (\d+)", text)
    rtt = re.search(r"round trip (\d+) ms", text)
    return (int(n.group(1)) if n else 0), (float(rtt.group(1)) if rtt else None)


def _caption(page) -> tuple[float, float] | None:
    cap = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="JPEG decoding")
    if not cap.count():
        return None
    m = re.search(r"JPEG decoding ([\d.]+) ms · model (\d+) ms", cap.first.inner_text())
    return (float(m.group(1)), float(m.group(2))) if m else None


def in_browser(app: Server, browser, model: str, args) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 2000},
                                  permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app.url + "/video")
    page.wait_for_selector(READY)
    page.get_by_role("tab", name="Live camera").click()
    page.wait_for_selector(READY)
    page.get_by_text("No frame analysed yet").first.wait_for()
    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stSelectbox"]').filter(has_text="Model").first.click()
    page.get_by_role("option", name=re.compile(rf"^{model} ")).click()
    page.wait_for_selector(READY)
    slider = main.locator('[data-testid="stSlider"]').filter(
        has_text="Time between frames").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")                        # 0 ms: as fast as answered
    for _ in range([0, 100, 250, 500, 1000].index(args.interval)):
        page.keyboard.press("ArrowRight")
    page.wait_for_selector(READY)
    page.get_by_role("button", name="Start", exact=True).click()
    main.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
    time.sleep(args.warmup)
    n0, t0 = _status(page)[0], time.perf_counter()
    rtts, decode, run = [], [], []
    while time.perf_counter() - t0 < args.seconds:
        _, rtt = _status(page)
        cap = _caption(page)
        if rtt is not None:
            rtts.append(rtt)
        if cap:
            decode.append(cap[0])
            run.append(cap[1])
        time.sleep(0.2)
    n1, t1 = _status(page)[0], time.perf_counter()
    result = main.locator('[data-testid="stMetric"]').filter(has_text="Result").locator(
        '[data-testid="stMetricValue"]').first.inner_text()
    page.get_by_role("button", name="Stop", exact=True).click()
    context.close()
    return {"figure": f"live/browser/{model}", "interval_ms": args.interval, "side_px": 224,
            "frames": n1 - n0, "seconds": round(t1 - t0, 1),
            "fps": round((n1 - n0) / (t1 - t0), 2), "rtt_ms_p50": pct(rtts, 50),
            "rtt_ms_p95": pct(rtts, 95), "model_ms_p50": pct(run, 50),
            "model_ms_p95": pct(run, 95), "decode_ms_p50": pct(decode, 50),
            "last_result": result}


CAMERA_INPUT_APP = """
import numpy as np
import streamlit as st
from cvlib.imageio import decode_image
from cvlib.video import LiveAnalyzer

@st.cache_resource
def analyser():
    return LiveAnalyzer("mnist_cnn").load()

shot = st.camera_input("camera")
if shot is not None:
    st.session_state["n"] = st.session_state.get("n", 0) + 1
    rec = analyser().analyse(np.asarray(decode_image(shot.getvalue())))
    st.write(f"answer {st.session_state['n']}: {rec.top[0]}")
"""


def camera_input_loop(browser, seconds: float) -> dict:
    folder = Path(tempfile.mkdtemp())
    (folder / "camera_input_app.py").write_text(CAMERA_INPUT_APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(folder / "camera_input_app.py"),
         "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        context = browser.new_context(permissions=["camera"])
        page = context.new_page()
        page.set_default_timeout(120_000)
        for _ in range(100):
            try:
                page.goto(f"http://127.0.0.1:{port}")
                break
            except Exception:  # noqa: BLE001 - the server is still starting
                time.sleep(0.3)
        page.wait_for_selector(READY)

        def snapshot(n: int) -> None:
            # the camera restarts after each "Clear photo": a click before its first
            # picture takes nothing, so wait for the picture, and click again if no
            # answer comes (counted: the clicks a person would have made)
            for _ in range(20):
                page.wait_for_selector(READY)
                page.wait_for_function(
                    "(() => { const v = document.querySelector('video');"
                    " return v && v.readyState >= 2 && v.videoWidth > 0; })()")
                take = page.get_by_role("button", name="Take Photo")
                if take.count():
                    take.click()
                try:
                    page.get_by_text(f"answer {n}:").wait_for(timeout=5_000)
                    break
                except Exception:  # noqa: BLE001 - playwright's TimeoutError
                    retries.append(n)
            page.get_by_role("button", name="Clear photo").click()

        retries: list[int] = []
        snapshot(1)                                   # warm-up: TensorFlow, the model
        n, t0 = 1, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            n += 1
            snapshot(n)
        dt = time.perf_counter() - t0
        context.close()
        return {"figure": "live/camera_input", "model": "mnist_cnn", "snapshots": n - 1,
                "seconds": round(dt, 1), "fps": round((n - 1) / dt, 2),
                "clicks_repeated": len(retries)}
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["mnist_cnn", "cifar_cnn", "faces_mtcnn"])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--interval", type=int, default=0, choices=[0, 100, 250, 500, 1000])
    ap.add_argument("--skip-inproc", action="store_true")
    ap.add_argument("--skip-camera-input", action="store_true")
    args = ap.parse_args()
    frames, digit = digit_clip(seed=3)
    if not args.skip_inproc:
        jpegs = browser_jpegs(frames)
        for m in args.models:
            print(json.dumps(inproc(m, jpegs)), flush=True)
    y4m = write_y4m(Path(tempfile.mkdtemp()) / "digit.y4m", frames)
    from playwright.sync_api import sync_playwright
    app = Server()
    try:
        app.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(),
                                        args=[*CHROMIUM_ARGS, *camera_args(y4m)])
            for m in args.models:
                print(json.dumps({**in_browser(app, browser, m, args), "digit": digit}),
                      flush=True)
            if not args.skip_camera_input:
                print(json.dumps(camera_input_loop(browser, args.seconds)), flush=True)
            browser.close()
    finally:
        app.close()


if __name__ == "__main__":
    main()
