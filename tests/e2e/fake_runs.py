"""Train-page runs written straight to a runs folder, without training (for browser tests
and screenshots that need finished runs: a real training costs CPU that tests share)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def fake_run(runs_dir: Path, run_id: str, epochs_done: float, epochs: int = 5,
             status: str = "finished", train_size: int | None = 500, seed: int = 0,
             owner: str | None = None) -> str:
    """A run as cvlib.train leaves it (config, status, history, metrics, predictions on the
    real MNIST test labels; no weights), with plausible made-up numbers; ``owner``: the
    owner key it records (ui.owner.owner_key of a browser's id; None: a shared run)."""
    from cvlib.data import load_dataset
    from cvlib.runs import RunStore
    from cvlib.train import TrainConfig
    store = RunStore(runs_dir, owner=owner)
    config = TrainConfig(train_size=train_size, epochs=epochs).to_dict()
    store.create(config, run_id=run_id)
    n = int(np.ceil(epochs_done))
    progress = [float(min(i + 1, epochs_done)) for i in range(n)]
    k = np.arange(1, n + 1)
    store.write_history(run_id, {"epoch_progress": progress,
                                 "loss": list(1.2 / k + 0.1), "accuracy": list(0.95 - 0.5 / k),
                                 "val_loss": list(1.0 / k + 0.15),
                                 "val_accuracy": list(0.93 - 0.45 / k)})
    _, y, _ = load_dataset("mnist", "test")
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(y), 10))
    logits[np.arange(len(y)), y] += 3.5           # mostly right, some mistakes
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    store.write_predictions(run_id, probs, y)
    acc = float(np.mean(probs.argmax(1) == y))
    store.write_metrics(run_id, {"test_accuracy": acc, "test_loss": 0.4612, "seconds": 3.4612,
                                 "images_per_second": 612.3, "stopped": status == "stopped",
                                 "epochs_completed": int(epochs_done)})
    store.set_status(run_id, status, "stopped by the user" if status == "stopped" else "")
    return run_id
