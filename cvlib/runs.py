"""Training runs kept on disk, so results survive a page reload or a server restart.

Layout of one run (``<runs_dir>/<run_id>/``):

    config.json         the TrainConfig as a dict
    status.json         {"status": "running|finished|stopped|failed", "reason": ..., ...}
    history.csv         one row per epoch: epoch, loss, accuracy, val_loss, val_accuracy,
                        written by Keras's own ``CSVLogger`` as the training goes
    progress.json       where each epoch ended, in epochs ("epoch_progress": 0.2 for an
                        epoch stopped early), which CSVLogger cannot record
    metrics.json        test accuracy/loss, seconds, images per second, and which data
                        the run was evaluated on: data_source, data_subset, data_fingerprint
    model.weights.h5    the weights (architecture = cvlib.nets.cnn from config.json)
    predictions.npz     test-set probabilities (float16) and labels, for the confusion matrix
    tb/                 TensorBoard logs: `tensorboard --logdir ~/.cvlab/runs`

Every file is written atomically (temporary file + ``os.replace``), so a crash never
leaves a half-written file that a later page load would trip over.

The folder is ``$CVLAB_RUNS_DIR`` if set, else ``~/.cvlab/runs``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvlib import CVLibError

_RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
HISTORY_KEYS = ("epoch_progress", "loss", "accuracy", "val_loss", "val_accuracy")


class RunNotFound(CVLibError):
    """No run of that id in the runs folder."""


def data_fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    """A short fingerprint of a test set: sha256 over its labels and images (uint8),
    the first 16 hex digits. Two test sets with the same fingerprint hold the same
    pictures in the same order.

    Args:
        x: images [N, H, W(, C)] (any dtype; hashed as uint8 after clipping 0-255; a
            trailing channel axis of size 1 is ignored).
        y: int labels [N].
    """
    import hashlib
    h = hashlib.sha256()
    y = np.ascontiguousarray(np.asarray(y).astype(np.int64))
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1:      # [N, H, W, 1] and [N, H, W]: the same pictures
        x = x[..., 0]
    h.update(str((len(y),) + tuple(x.shape[1:])).encode())
    h.update(y.tobytes())
    if x.dtype != np.uint8:
        x = np.clip(x, 0, 255).astype(np.uint8)
    h.update(np.ascontiguousarray(x).tobytes())
    return h.hexdigest()[:16]


def runs_dir() -> Path:
    value = os.environ.get("CVLAB_RUNS_DIR", "").strip()
    return Path(value).expanduser() if value else Path.home() / ".cvlab" / "runs"


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)   # mkstemp makes 0600; these are ordinary data files
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, obj) -> None:
    _atomic_write_bytes(path, json.dumps(obj, indent=2, default=_json_default).encode())


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def history_to_csv(history: dict[str, list[float]]) -> str:
    """History dict (key -> per-epoch list) as CSV text with an ``epoch`` column."""
    keys = [k for k in HISTORY_KEYS if k in history] + sorted(
        k for k in history if k not in HISTORY_KEYS)
    n = max((len(history[k]) for k in keys), default=0)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["epoch", *keys])
    for i in range(n):
        w.writerow([i + 1, *[_fmt(history[k][i]) if i < len(history[k]) else "" for k in keys]])
    return buf.getvalue()


def _fmt(v) -> str:
    return f"{float(v):.6g}"


def history_from_csv(text: str) -> dict[str, list[float]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        return {}
    keys = [k for k in rows[0] if k != "epoch"]
    # "" (our writer) and "NA" (Keras's CSVLogger) mark a value an epoch did not have,
    # e.g. no validation in an epoch that was stopped early
    return {k: [float(r[k]) for r in rows if r.get(k) not in ("", "NA", None)] for k in keys}


@dataclass
class RunRecord:
    """What is on disk for one run (weights are loaded on demand)."""

    run_id: str
    path: Path
    config: dict
    status: dict
    history: dict[str, list[float]]
    metrics: dict

    @property
    def weights_path(self) -> Path:
        return self.path / "model.weights.h5"

    def test_images(self) -> np.ndarray | None:
        """The test images this run was evaluated on, in the order of its predictions:
        uint8 [N, H, W(, C)], or None when the data the chain finds now is not that data
        (for example a run evaluated on the packaged subset, viewed after the full data
        set became available: its pictures would be other digits).

        Matched by the recorded ``data_fingerprint``; runs recorded before it existed are
        matched by their labels (predictions.npz) and recorded data source.
        """
        from cvlib.data import DatasetUnavailable, load_dataset
        preds = self.predictions()
        try:
            x, y, info = load_dataset(self.config.get("dataset", "mnist"), "test")
        except (DatasetUnavailable, OSError, ValueError):
            return None
        if preds is not None and (len(preds[1]) != len(y) or
                                  not np.array_equal(preds[1], y)):
            return None
        recorded = self.metrics.get("data_fingerprint")
        if recorded:
            return x if data_fingerprint(x, y) == recorded else None
        source = self.metrics.get("data_source")
        return x if source in (None, info.source) else None

    def predictions(self) -> tuple[np.ndarray, np.ndarray] | None:
        p = self.path / "predictions.npz"
        if not p.exists():
            return None
        with np.load(p) as f:
            return f["probs"].astype(np.float32), f["labels"]


class RunStore:
    """Reads and writes runs under one folder.

    Example:
        store = RunStore()
        [r.run_id for r in store.list()]
    """

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else runs_dir()

    def path(self, run_id: str) -> Path:
        if not _RUN_ID.match(run_id or ""):
            raise RunNotFound(f"Not a run id: {run_id!r}.")
        return self.root / run_id

    # writing ------------------------------------------------------------------------
    def create(self, config: dict, run_id: str | None = None) -> str:
        run_id = run_id or new_run_id()
        p = self.path(run_id)
        p.mkdir(parents=True, exist_ok=True)
        atomic_write_json(p / "config.json", config)
        self.set_status(run_id, "running")
        return run_id

    def set_status(self, run_id: str, status: str, reason: str = "") -> None:
        atomic_write_json(self.path(run_id) / "status.json",
                          {"status": status, "reason": reason, "time": time.time()})

    def write_history(self, run_id: str, history: dict[str, list[float]]) -> None:
        """A whole history at once (runs made without Keras's CSVLogger, e.g. imports)."""
        _atomic_write_bytes(self.path(run_id) / "history.csv", history_to_csv(history).encode())

    def history_path(self, run_id: str) -> Path:
        """Where Keras's ``CSVLogger`` writes the run's per-epoch history."""
        return self.path(run_id) / "history.csv"

    def write_epoch_progress(self, run_id: str, progress: list[float]) -> None:
        """Where each epoch ended, in epochs (0.2 = an epoch stopped after a fifth)."""
        atomic_write_json(self.path(run_id) / "progress.json",
                          {"epoch_progress": [float(v) for v in progress]})

    def write_metrics(self, run_id: str, metrics: dict) -> None:
        atomic_write_json(self.path(run_id) / "metrics.json", metrics)

    def write_predictions(self, run_id: str, probs: np.ndarray, labels: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, probs=probs.astype(np.float16), labels=labels.astype(np.int64))
        _atomic_write_bytes(self.path(run_id) / "predictions.npz", buf.getvalue())

    def write_weights(self, run_id: str, model) -> None:
        """Save ``model``'s weights atomically (Keras needs the .weights.h5 suffix)."""
        p = self.path(run_id)
        tmp = p / f".tmp-{secrets.token_hex(3)}.weights.h5"
        try:
            model.save_weights(str(tmp))
            os.replace(tmp, p / "model.weights.h5")
        finally:
            if tmp.exists():
                tmp.unlink()

    def delete(self, run_id: str) -> None:
        p = self.path(run_id)
        if not p.exists():
            raise RunNotFound(f"No run {run_id} in {self.root}.")
        shutil.rmtree(p)

    # reading ------------------------------------------------------------------------
    def get(self, run_id: str) -> RunRecord:
        p = self.path(run_id)
        if not (p / "config.json").exists():
            raise RunNotFound(f"No run {run_id} in {self.root}.")
        history = history_from_csv((p / "history.csv").read_text()) \
            if (p / "history.csv").exists() else {}
        progress = _read_json(p / "progress.json", {}).get("epoch_progress")
        if progress:
            n = max((len(v) for v in history.values()), default=0)
            history["epoch_progress"] = list(progress)[:n] if n else []
        history.pop("learning_rate", None)
        return RunRecord(
            run_id=run_id, path=p,
            config=_read_json(p / "config.json", {}),
            status=_read_json(p / "status.json", {"status": "unknown"}),
            history=history,
            metrics=_read_json(p / "metrics.json", {}),
        )

    def list(self) -> list[RunRecord]:
        """All readable runs, newest first. Unreadable folders are skipped."""
        if not self.root.exists():
            return []
        out = []
        for p in sorted(self.root.iterdir(), reverse=True):
            if p.is_dir() and _RUN_ID.match(p.name):
                try:
                    out.append(self.get(p.name))
                except (RunNotFound, OSError, ValueError):
                    continue
        return out


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default
