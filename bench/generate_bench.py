"""Generate page benchmarks (issue 5), one JSON line per figure.

    sample_64_warm_ms   cvlib.generate.sample(model, 64) after warm-up: median of 50 calls
                        (the shipped cgan_mnist, or a random-weight generator of the same
                        architecture when it is not shipped)
    live_epoch_s        GanJob with the page's defaults (10,000 images, batch 128, latent 64):
                        first epoch (includes tracing) and second epoch, from the job's own
                        per-batch timestamps
    job_overhead        the same GAN trained by a bare ``gan.fit`` (no callbacks, calling
                        thread) vs a GanJob (daemon thread, per-batch callback under a lock,
                        fixed-noise grid per epoch, a thread polling snapshot() at 2 Hz like
                        the page); each run builds, traces and trains 2 epochs; the variants
                        alternate ``--repeats`` times; medians and their ratio

Run: CVLIB_DATA_DIR=../shared/data python bench/generate_bench.py [--images N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from cvlib import zoo  # noqa: E402
from cvlib.generate import GanConfig, GanJob, build_generator, fit_gan, sample  # noqa: E402


def emit(**kw):
    print(json.dumps(kw), flush=True)


def bench_sample(calls: int = 50):
    if zoo.status("cgan_mnist") == "shipped":
        model, which = "cgan_mnist", "cgan_mnist"
    else:
        model, which = build_generator(GanConfig()), "random-weight generator"
    for _ in range(5):
        sample(model, 64, None, 0)
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        sample(model, 64, None, i)
        times.append(time.perf_counter() - t0)
    emit(figure="sample_64_warm_ms", model=which, median=round(1000 * statistics.median(times), 2),
         p90=round(1000 * float(np.percentile(times, 90)), 2), goal_ms=30)


def run_job(config: GanConfig):
    t0 = time.perf_counter()
    job = GanJob(config).start()

    def poll():              # like the page's fragment: snapshot() at 2 Hz
        while job.running:
            job.snapshot()
            time.sleep(0.5)
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    job.join()
    total = time.perf_counter() - t0
    snap = job.snapshot()
    assert snap.status == "finished", (snap.status, snap.error)
    return total, snap


def bench_live_epoch(images: int):
    config = GanConfig(train_size=images, epochs=2)
    job = GanJob(config).start()
    marks = []
    last_epoch = 0
    while job.running:
        s = job.snapshot()
        if s.epoch != last_epoch:
            marks.append((s.epoch, s.elapsed))
            last_epoch = s.epoch
        time.sleep(0.02)
    s = job.snapshot()
    assert s.status == "finished", (s.status, s.error)
    # elapsed when epoch 2 began ~ end of epoch 1; the end of epoch 2 = final elapsed
    e1 = next((el for ep, el in marks if ep == 2), None)
    emit(figure="live_epoch_s", images=images, first_epoch=round(e1, 2) if e1 else None,
         second_epoch=round(s.elapsed - e1, 2) if e1 else None,
         images_per_second=round(s.images_per_second), goal_s=20)


def bench_overhead(images: int, repeats: int):
    config = GanConfig(train_size=images, epochs=2)
    bare, job = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit_gan(config, progress=False)
        bare.append(time.perf_counter() - t0)
        total, _ = run_job(config)
        job.append(total)
    b, j = statistics.median(bare), statistics.median(job)
    emit(figure="job_overhead", images=images, epochs=2, bare_s=round(b, 2), job_s=round(j, 2),
         ratio=round(j / b, 3), bare_runs=[round(v, 2) for v in bare],
         job_runs=[round(v, 2) for v in job], goal_ratio=1.05)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    emit(figure="machine", cpus=os.cpu_count())
    bench_sample()
    fit_gan(GanConfig(train_size=args.images, epochs=1), progress=False)   # warm-up
    bench_live_epoch(args.images)
    bench_overhead(args.images, args.repeats)
