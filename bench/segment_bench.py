"""Single-scene latency of the Segment page's models, against ``model.predict``.

Per model (digit_segmenter, digit_detector): the whole predictor call on one 128x128
digit scene (``cvlib.segment.segment`` / ``cvlib.detect.detect``: preprocessing, the
compiled forward pass, postprocessing with argmax or peak decoding + NMS) and
``model.predict`` on the same input (forward pass only), alternated, warm.

Figures (JSON lines, one per model):
  p50_ms, p95_ms      the predictor call
  forward_p50_ms      the compiled forward pass alone
  predict_p50_ms      model.predict on the same input, same run
  speedup             predict_p50_ms / p50_ms
  goal_ms             30 (segmenter) / 50 (detector)

Uses the shipped weights when present, else the same architecture with random weights
(same cost). Run: CVLIB_DATA_DIR=../shared/data python bench/segment_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def pct(xs, q):
    return round(float(np.percentile(np.asarray(xs) * 1000, q)), 2)


def measure(task: str, repeats: int) -> dict:
    from cvlib import zoo
    from cvlib.data import digit_scenes
    from cvlib.detect import Detector, detect
    from cvlib.segment import Segmenter, segment
    name = "digit_segmenter" if task == "segment" else "digit_detector"
    trained = zoo.status(name) == "shipped"
    model = zoo.load(name) if trained else zoo.build(name)
    pred = (Segmenter if task == "segment" else Detector)(name, model)
    call = (lambda x: segment(x, model=pred)) if task == "segment" else \
        (lambda x: detect(x, model=pred))
    scene = digit_scenes(1, seed=0, split="test").images[0]      # uint8 [128, 128, 3]
    batch = scene[None].astype(np.float32)
    for _ in range(10):
        call(scene)
        pred._fn(batch)
        model.predict(batch, verbose=0)
    ours, fwd, keras_predict = [], [], []
    for _ in range(repeats):
        t = time.perf_counter()
        call(scene)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        np.asarray(pred._fn(batch))
        fwd.append(time.perf_counter() - t)
        t = time.perf_counter()
        model.predict(batch, verbose=0)
        keras_predict.append(time.perf_counter() - t)
    return {"bench": "segment_latency", "model": name,
            "weights": "trained" if trained else "random", "p50_ms": pct(ours, 50),
            "p95_ms": pct(ours, 95), "forward_p50_ms": pct(fwd, 50),
            "predict_p50_ms": pct(keras_predict, 50),
            "speedup": round(pct(keras_predict, 50) / pct(ours, 50), 2),
            "goal_ms": 30 if task == "segment" else 50, "repeats": repeats}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=100)
    args = ap.parse_args()
    for task in ("segment", "detect"):
        print(json.dumps(measure(task, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
