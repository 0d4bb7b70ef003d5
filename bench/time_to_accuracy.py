"""Seconds from start to 99.0% MNIST test accuracy with the Train page's default settings,
against the seed script's 5 epochs measured in the same process (issue 14, goal 1: <= 1/5).

The clock runs from the job's start (data loading and model compile included) and stops at
the end of the first epoch whose test accuracy reaches the target. Test accuracy is measured
after every epoch on the 10,000 test images; that evaluation time is excluded from the
clock (it is reported separately). One JSON line per schedule.

The seed figure: the seed script's model (cvlib.bench.seed_model: built, compiled, then
``model.fit(x / 255, y, batch_size=64, epochs=5)``), its /255 conversion included. Both
are preceded by one small warm-up fit each, so neither pays TensorFlow's first-call costs
alone; then the variants run in turn.

Run: CVLIB_DATA_DIR=../shared/data python bench/time_to_accuracy.py [--target 0.99]
     [--schedules page,constant] [--seeds 0,1,2] [--seed-baseline]
     [--variants '[{"epochs": 2, "batch_size": 128}]']
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
    from cvlib.train import PAGE_RECIPE, TrainConfig, fit, predict_probs

    x_test, y_test, _ = load_dataset("mnist", "test")
    x_test = np.asarray(x_test)[..., None]
    config = TrainConfig(**{**PAGE_RECIPE, **overrides})   # the page's defaults unless
                                                            # overridden
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
                                  "lr_schedule", "validation_split", "steps_per_execution",
                                  "label_smoothing", "seed")},
            "seconds": None if state["reached_at"] is None else round(state["reached_at"], 1),
            "reached": state["reached_at"] is not None,
            "curve_epoch_seconds_accuracy": state["curve"],
            "eval_seconds_excluded": round(state["eval_seconds"], 1),
            "goal": "<= 1/5 of the seed script's 5 epochs (ratio >= 5)"}


def seed_script(epochs: int = 5) -> dict:
    """Seconds of the seed script: build + compile + /255 + ``fit(epochs=5)``; its test
    accuracy after those epochs."""
    from cvlib.bench import seed_model
    from cvlib.data import load_dataset
    x, y, _ = load_dataset("mnist", "train")
    x_test, y_test, _ = load_dataset("mnist", "test")
    t0 = time.perf_counter()
    xf = np.asarray(x, np.float32)[..., None] / 255.0
    model = seed_model()
    model.fit(xf, y, batch_size=64, epochs=epochs, verbose=0)
    seconds = time.perf_counter() - t0
    acc = float((model.predict(np.asarray(x_test, np.float32)[..., None] / 255.0,
                               batch_size=1000, verbose=0).argmax(1) == y_test).mean())
    return {"figure": "seed_script_seconds", "epochs": epochs, "seconds": round(seconds, 1),
            "test_accuracy": round(acc, 4)}


def warm_up() -> None:
    """One small fit of each model, so the first timed run does not pay TF's first calls."""
    from cvlib.bench import seed_model
    from cvlib.data import load_dataset
    x, y, _ = load_dataset("mnist", "train")
    seed_model().fit(np.asarray(x[:2048], np.float32)[..., None] / 255.0, y[:2048],
                     batch_size=64, epochs=1, verbose=0)
    from cvlib.train import TrainConfig, fit
    fit(TrainConfig(train_size=2048, epochs=1))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=float, default=0.99)
    ap.add_argument("--schedules", default="page", help="comma list: page,constant,cosine")
    ap.add_argument("--variants", default="", help="JSON list of TrainConfig overrides")
    ap.add_argument("--seeds", default="0", help="comma list of TrainConfig seeds")
    ap.add_argument("--seed-baseline", action="store_true",
                    help="also time the seed script's 5 epochs (before and after)")
    args = ap.parse_args()
    variants = [({} if s == "page" else {"lr_schedule": s}, s)
                for s in args.schedules.split(",") if s]
    variants += [(v, json.dumps(v)) for v in (json.loads(args.variants) if args.variants
                                              else [])]
    warm_up()
    seeds = []
    if args.seed_baseline:
        seeds.append(seed_script())
        print(json.dumps(seeds[-1]), flush=True)
    for overrides, name in variants:
        for seed in (int(s) for s in args.seeds.split(",")):
            line = run(args.target, **{"seed": seed, **overrides})
            line["variant"] = name
            if seeds:
                line["seed_script_seconds"] = seeds[0]["seconds"]
                line["ratio"] = (round(seeds[0]["seconds"] / line["seconds"], 2)
                                 if line["seconds"] else None)
            print(json.dumps(line), flush=True)
    if args.seed_baseline:       # again at the end: the load on a shared machine drifts
        seeds.append(seed_script())
        print(json.dumps(seeds[-1]), flush=True)
