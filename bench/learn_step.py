"""Learn page: a playground step + redraw, and the NumPy MLP against Keras on a tiny net.

Figures (JSON lines):
  playground_step_redraw_ms  one mini-batch step, the decision boundary (60x60 grid), both
                             figures built and serialised as Streamlit sends them
                             (goal <= 100 ms)
  playground_tick_ms         one fragment tick as the page runs it: 10 steps + redraw
  mlp_step_us                NumPy MLP: forward + backward + Adam step, batch 10, 2-8-8-1
  keras_train_on_batch_us    the same network, optimizer and batch through
                             keras.Model.train_on_batch (float32, the Keras default)
  numpy_over_keras_speedup   keras_train_on_batch_us / mlp_step_us, alternated, repeated
  browser_steps_per_second   (with --browser) steps/s the playground reaches in Chromium
                             while running: the page asks for 10 steps every 0.25 s = 40

Run: python bench/learn_step.py [--browser]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from cvlib import learn  # noqa: E402

STEPS_PER_TICK = 10      # as pages/learn.py
BATCH = 10


def emit(**kw):
    print(json.dumps(kw), flush=True)


def _redraw(pg):
    """What the fragment draws after stepping: boundary + curves, serialised for the page."""
    import plotly.io as pio

    from ui import learn_charts as charts
    xs, ys, probs = pg.boundary(60)
    labels = {"train": "train", "test": "test", "title": "boundary"}
    a = charts.boundary(xs, ys, probs, pg.x_train, pg.y_train, pg.x_test, pg.y_test, labels)
    b = charts.playground_curves(pg.history, {"loss": "loss", "accuracy": "accuracy",
                                              "train": "train", "test": "test",
                                              "step": "step"})
    return len(pio.to_json(a, validate=False)) + len(pio.to_json(b, validate=False))


def bench_playground(repeats: int) -> None:
    pg = learn.Playground()
    _redraw(pg)                                   # imports, first figure
    one, tick = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        pg.step(1)
        _redraw(pg)
        one.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        pg.step(STEPS_PER_TICK)
        nbytes = _redraw(pg)
        tick.append((time.perf_counter() - t0) * 1e3)
    emit(figure="playground_step_redraw_ms", value=round(statistics.median(one), 2),
         p90=round(float(np.percentile(one, 90)), 2), repeats=repeats, goal_max=100)
    emit(figure="playground_tick_ms", value=round(statistics.median(tick), 2),
         p90=round(float(np.percentile(tick, 90)), 2), steps=STEPS_PER_TICK,
         payload_kb=round(nbytes / 1024, 1), history_points=len(pg.history["step"]))


def bench_mlp_vs_keras(rounds: int, steps: int) -> None:
    import keras

    rng = np.random.default_rng(0)
    x, y = learn.make_dataset("circles", 200, 0.05, seed=0)
    batches = [rng.choice(len(x), BATCH, replace=False) for _ in range(steps)]

    net = learn.MLP.init([2, 8, 8, 1], activation="tanh", output="sigmoid", loss="bce")
    opt = learn.Adam(0.03)

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss="binary_crossentropy")
    xk, yk = x.astype("float32"), y.astype("float32")[:, None]

    def run_numpy():
        t0 = time.perf_counter()
        for idx in batches:
            _, grads = net.gradients(x[idx], y[idx, None])
            opt.step(net.params, grads)
        return (time.perf_counter() - t0) / steps * 1e6

    def run_keras():
        t0 = time.perf_counter()
        for idx in batches:
            model.train_on_batch(xk[idx], yk[idx])
        return (time.perf_counter() - t0) / steps * 1e6

    run_numpy()
    run_keras()                                   # traces the train function
    ours, theirs = [], []
    for r in range(rounds):                       # alternate the order
        if r % 2:
            theirs.append(run_keras())
            ours.append(run_numpy())
        else:
            ours.append(run_numpy())
            theirs.append(run_keras())
    n, k = statistics.median(ours), statistics.median(theirs)
    emit(figure="mlp_step_us", value=round(n, 1), runs=[round(v, 1) for v in ours],
         net="2-8-8-1 tanh/sigmoid, BCE, Adam", batch=BATCH, dtype="float64")
    emit(figure="keras_train_on_batch_us", value=round(k, 1),
         runs=[round(v, 1) for v in theirs], dtype="float32")
    emit(figure="numpy_over_keras_speedup", value=round(k / n, 1), rounds=rounds,
         steps_per_round=steps)


def bench_browser(seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, os.path.dirname(__file__))
    from _browser import CHROMIUM_ARGS, READY, Server, chromium

    server = Server()
    try:
        server.wait_healthy()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url + "/learn")
            page.wait_for_selector(READY, timeout=120_000)
            page.locator('button[data-variant="segmented_control"]', has_text="3 ·").first.click()
            page.wait_for_selector(READY, timeout=60_000)

            def steps():
                m = page.locator('[data-testid="stMetric"]').first
                return int(m.locator('[data-testid="stMetricValue"]').inner_text()
                           .replace(",", ""))

            page.get_by_role("button", name="Run", exact=True).click()
            time.sleep(2)                          # settle
            s0, t0 = steps(), time.perf_counter()
            time.sleep(seconds)
            s1, t1 = steps(), time.perf_counter()
            page.get_by_role("button", name="Pause", exact=True).click()
            browser.close()
        emit(figure="browser_steps_per_second", value=round((s1 - s0) / (t1 - t0), 1),
             target=STEPS_PER_TICK / 0.25, seconds=round(t1 - t0, 1))
    finally:
        server.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--browser", action="store_true")
    args = ap.parse_args()
    bench_playground(args.repeats)
    bench_mlp_vs_keras(args.rounds, args.steps)
    if args.browser:
        bench_browser(10.0)


if __name__ == "__main__":
    main()
