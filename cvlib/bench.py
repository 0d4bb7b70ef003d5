"""Training-throughput measurements shared by ``bench/`` and ``python -m cvlib bench``.

Every figure is measured in the calling process against a baseline measured in the same
process: the seed script's bare ``model.fit(x / 255, y, batch_size=64, epochs=1)``.
"""

from __future__ import annotations

import statistics
import threading
import time

import numpy as np


def seed_model():
    """The worked example exactly as the seed script writes it (float input in [0, 1])."""
    import keras
    from keras import layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.Flatten(),
        layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def bare_fit(x_uint8: np.ndarray, y: np.ndarray, batch_size: int = 64) -> float:
    """Images/second of the seed script's one-epoch ``model.fit`` (preprocessing excluded)."""
    x = x_uint8[..., None].astype("float32") / 255.0
    model = seed_model()
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return len(x) / (time.perf_counter() - t0)


def job_fit(n_images: int, poll_hz: float = 2.0, **overrides) -> float:
    """Images/second of one epoch through ``TrainingJob`` with the page's progress callback.

    A poller thread reads ``job.snapshot()`` at ``poll_hz`` like the Train page's fragment.
    The figure is the job's own (images seen / seconds in the training loop).
    """
    from cvlib.train import TrainConfig, TrainingJob
    config = TrainConfig(train_size=n_images, validation_split=0.0, epochs=1, **overrides)
    job = TrainingJob(config).start()
    done = threading.Event()

    def poll():
        while not done.is_set():
            job.snapshot()
            time.sleep(1.0 / poll_hz)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    job.join()
    done.set()
    if job.result is None:
        raise RuntimeError(job.snapshot().error)
    return job.result.images_per_second


def throughput(images: int = 60000, repeats: int = 3, warmup: bool = True) -> list[dict]:
    """Alternate bare seed fit and cvlib variants; one dict per figure (medians)."""
    from cvlib.data import load_dataset
    x, y, info = load_dataset("mnist", "train")
    x, y = np.asarray(x[:images]), np.asarray(y[:images])
    if warmup:  # the first epoch in a fresh process is slow for everyone
        bare_fit(x, y)
    runs: dict[str, list[float]] = {"bare": [], "cvlib_default": [], "cvlib_spe1": []}
    for _ in range(repeats):
        runs["bare"].append(bare_fit(x, y))
        runs["cvlib_default"].append(job_fit(len(x)))
        runs["cvlib_spe1"].append(job_fit(len(x), steps_per_execution=1))
    med = {k: statistics.median(v) for k, v in runs.items()}
    return [
        {"figure": "train_images_per_second", "variant": k, "median": round(v),
         "runs": [round(r) for r in runs[k]], "images": len(x), "source": info.source}
        for k, v in med.items()
    ] + [
        {"figure": "ratio_cvlib_default_vs_bare",
         "value": round(med["cvlib_default"] / med["bare"], 3),
         "goal": ">= 1.0"},
        {"figure": "ratio_cvlib_same_pipeline_vs_bare",
         "value": round(med["cvlib_spe1"] / med["bare"], 3),
         "note": "steps_per_execution=1 like the seed: job + callback + 2 Hz poller overhead",
         "goal": ">= 0.97"},
    ]


def quick(images: int = 20000, repeats: int = 1) -> list[dict]:
    return throughput(images=images, repeats=repeats, warmup=True)
