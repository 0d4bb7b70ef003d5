"""Seconds from start to 99.0% MNIST test accuracy with the Train page's default settings.

The clock runs from the job's start (data loading and model compile included) and stops at
the end of the first epoch whose test accuracy reaches the target. Test accuracy is measured
after every epoch on the 10,000 test images; that evaluation time is excluded from the
clock (it is reported separately). One JSON line per schedule.

Run: CVLIB_DATA_DIR=../shared/data python bench/time_to_accuracy.py [--target 0.99]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def run(target: float, **overrides) -> dict:
    import keras

    from cvlib.data import load_dataset
    from cvlib.train import TrainConfig, fit, predict_probs

    x_test, y_test, _ = load_dataset("mnist", "test")
    x_test = np.asarray(x_test)[..., None]
    config = TrainConfig(**overrides)          # the page's defaults unless overridden
    state = {"eval_seconds": 0.0, "reached_at": None, "curve": []}
    t0 = time.perf_counter()

    class TestAccuracy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            e0 = time.perf_counter()
            acc = float((predict_probs(self.model, x_test).argmax(1) == y_test).mean())
            state["eval_seconds"] += time.perf_counter() - e0
            elapsed = time.perf_counter() - t0 - state["eval_seconds"]
            state["curve"].append((epoch + 1, round(elapsed, 1), round(acc, 4)))
            if acc >= target and state["reached_at"] is None:
                state["reached_at"] = elapsed
                self.model.stop_training = True

    fit(config, callbacks=[TestAccuracy()])
    return {"figure": "seconds_to_test_accuracy", "target": target,
            "settings": {k: v for k, v in config.to_dict().items()
                         if k in ("epochs", "batch_size", "learning_rate", "optimizer",
                                  "lr_schedule", "validation_split", "steps_per_execution")},
            "seconds": None if state["reached_at"] is None else round(state["reached_at"], 1),
            "reached": state["reached_at"] is not None,
            "curve_epoch_seconds_accuracy": state["curve"],
            "eval_seconds_excluded": round(state["eval_seconds"], 1), "goal": "<= 30 s"}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--schedules", default="page", help="comma list: page,constant,cosine")
    args = ap.parse_args()
    for sched in args.schedules.split(","):
        overrides = {} if sched == "page" else {"lr_schedule": sched}
        line = run(args.target, **overrides)
        line["variant"] = sched
        print(json.dumps(line), flush=True)
