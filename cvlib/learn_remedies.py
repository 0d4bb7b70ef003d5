"""Overfitting remedies on the real CNN: the curves the Learn page ships.

The same small MNIST subset (1,000 images, 20% held out for validation) trained with no
remedy, L2, dropout, data augmentation and early stopping, 15 epochs each with
:func:`cvlib.train.fit`. Each run takes seconds on 2 CPU cores; all five well under a
minute and a half. Writes ``models/remedies.json``::

    CVLIB_DATA_DIR=../shared/data python -m cvlib.learn_remedies

Every run in the file carries its :class:`cvlib.train.TrainConfig`, its per-epoch curves,
its test accuracy, and the ``python -m cvlib train ...`` command that reproduces it alone.
Importing this module is cheap (no TensorFlow): the page reads the file through
:func:`load_remedies` and reruns one curve live with :func:`remedy_config`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

from cvlib.train import TrainConfig

# Remedy name -> the TrainConfig fields it changes. "none" is the overfitting baseline.
REMEDIES: dict[str, dict] = {
    "none": {},
    "l2": {"l2": 1e-3},
    "dropout": {"dropout": 0.5},
    "augment": {"augment": True},
    "early_stopping": {"early_stopping": True, "patience": 3},
}
# A constant learning rate: a decaying one would blur the overfitting it is meant to show.
BASE = {"dataset": "mnist", "train_size": 1000, "validation_split": 0.2, "epochs": 15,
        "batch_size": 32, "learning_rate": 1e-3, "lr_schedule": "constant",
        "optimizer": "adam", "seed": 0}


def default_path() -> Path:
    from cvlib.zoo import models_dir
    return models_dir() / "remedies.json"


def remedy_config(name: str, train_size: int = BASE["train_size"],
                  epochs: int = BASE["epochs"]) -> TrainConfig:
    """The :class:`TrainConfig` of one remedy run."""
    if name not in REMEDIES:
        raise ValueError(f"remedy must be one of {', '.join(REMEDIES)}; got {name!r}.")
    return TrainConfig(**{**BASE, "train_size": train_size, "epochs": epochs},
                       **REMEDIES[name])


def train_command(config: TrainConfig) -> str:
    """The ``python -m cvlib train`` line that trains ``config`` (non-default flags only)."""
    default = TrainConfig()
    flags = []
    for name, flag in (("dataset", "--dataset"), ("arch", "--arch"),
                       ("train_size", "--train-size"),
                       ("validation_split", "--validation-split"), ("dropout", "--dropout"),
                       ("l1", "--l1"), ("l2", "--l2"), ("epochs", "--epochs"),
                       ("batch_size", "--batch-size"), ("learning_rate", "--lr"),
                       ("lr_schedule", "--lr-schedule"),
                       ("optimizer", "--optimizer"), ("patience", "--patience"),
                       ("seed", "--seed")):
        value = getattr(config, name, None)
        if value is None and name != "train_size":
            continue
        if value != getattr(default, name, None) or name in ("dataset", "train_size", "epochs"):
            flags += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    for name, flag in (("augment", "--augment"), ("early_stopping", "--early-stopping"),
                       ("batchnorm", "--batchnorm")):
        if getattr(config, name):
            flags.append(flag)
    return "python -m cvlib train " + " ".join(shlex.quote(f) for f in flags)


def load_remedies(path: str | os.PathLike | None = None) -> dict | None:
    """The shipped remedies file as a dict, or None when there is none (or it is broken)."""
    path = Path(path) if path is not None else default_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), dict):
        return None
    return data


def run_all(names=tuple(REMEDIES), train_size: int = BASE["train_size"],
            epochs: int = BASE["epochs"], log=print) -> dict:
    """Train each remedy in turn; returns the file's content."""
    import keras
    import tensorflow as tf

    from cvlib.train import fit

    runs = {}
    source = None
    for name in names:
        config = remedy_config(name, train_size, epochs)
        t0 = time.perf_counter()
        result = fit(config)
        seconds = time.perf_counter() - t0
        source = result.data_info.source
        history = {k: [round(float(v), 5) for v in vs] for k, vs in result.history.items()
                   if k in ("loss", "accuracy", "val_loss", "val_accuracy")}
        runs[name] = {
            "config": config.to_dict(),
            "history": history,
            "epochs_run": len(history.get("loss", [])),
            "test_accuracy": round(result.test_accuracy, 4),
            "test_loss": round(result.test_loss, 4),
            "seconds": round(seconds, 1),
            "command": train_command(config),
        }
        log(json.dumps({"remedy": name, "epochs_run": runs[name]["epochs_run"],
                        "val_accuracy": history.get("val_accuracy", [None])[-1],
                        "test_accuracy": runs[name]["test_accuracy"],
                        "seconds": runs[name]["seconds"]}))
    return {
        "about": "Overfitting remedies on the worked-example CNN, small MNIST subset.",
        "command": "python -m cvlib.learn_remedies " + " ".join(
            shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else
        "python -m cvlib.learn_remedies",
        "data_source": source,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
        "runs": runs,
    }


def main(argv=None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    ap = argparse.ArgumentParser(prog="python -m cvlib.learn_remedies", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="output file (default models/remedies.json)")
    ap.add_argument("--train-size", type=int, default=BASE["train_size"])
    ap.add_argument("--epochs", type=int, default=BASE["epochs"])
    ap.add_argument("--only", nargs="+", choices=list(REMEDIES), default=list(REMEDIES))
    args = ap.parse_args(argv)
    try:
        data = run_all(args.only, args.train_size, args.epochs)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = Path(args.out) if args.out else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
