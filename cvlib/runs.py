"""Training runs kept on disk, so results survive a page reload or a server restart.

Layout of one run (``<runs_dir>/<run_id>/``):

    config.json         the TrainConfig as a dict
    status.json         {"status": "running|finished|stopped|failed", "reason": ..., "time",
                        "heartbeat", "owner", "process": {pid, host, boot, pid_ns, started}}
    history.csv         one row per epoch: epoch, loss, accuracy, val_loss, val_accuracy,
                        written by Keras's own ``CSVLogger`` as the training goes
    progress.json       where each epoch ended, in epochs ("epoch_progress": 0.2 for an
                        epoch stopped early), which CSVLogger cannot record
    metrics.json        test accuracy/loss, seconds, images per second, and which data
                        the run was evaluated on: data_source, data_subset, data_fingerprint
    model.weights.h5    the weights (architecture = cvlib.nets.cnn from config.json)
    predictions.npz     test-set probabilities (float16) and labels, for the confusion matrix
    tb/                 TensorBoard logs: `tensorboard --logdir ~/.cvlab/runs`

Every file is written atomically (temporary file, ``fsync``, ``os.replace``), so a crash
never leaves a half-written file that a later page load would trip over; a write that fails
(a full disk: :class:`RunDiskFull`) removes its temporary file and leaves the old file as it
was. Keras's ``CSVLogger`` appends history.csv itself; a torn last line of a killed run is
skipped when read.

Faults, and how a reader tells (:meth:`RunStore.get`): a run whose status.json says
"running" is shown as **"interrupted"** when the process that ran it is gone:

* same machine and PID namespace (host name, kernel boot id and PID namespace all equal,
  i.e. another server process or a restarted one): the recorded PID no longer exists, or
  exists with another start time (PID reused), or is this very process but no job of it
  runs the run (a job that died before it could write its status);
* another machine sharing the folder, or a run recorded before processes were: its
  heartbeat (the status, progress and history writes of each epoch) is older than
  :data:`HEARTBEAT_STALE_SECONDS`.

An interrupted run is never shown as finished; its files are kept (a later look at the
weights of its last epoch may still be useful) until it is deleted. Two processes may share
one runs folder: a new run's folder is made with an exclusive ``mkdir`` (a colliding id is
drawn again), and every file is replaced whole.

Owners: a run may record an ``owner`` (an opaque key; the app stores a hash of the
browser's private id, ui/owner.py). A store made with ``owner=`` lists and opens only that
owner's runs and the runs with no owner (made by the command line or before owners
existed), and deletes only its own; ``all_owners=True`` (the teacher view, the command line)
sees and deletes every run.

The folder is ``$CVLAB_RUNS_DIR`` if set, else ``~/.cvlab/runs``.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cvlib import CVLibError

_RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")
HISTORY_KEYS = ("epoch_progress", "loss", "accuracy", "val_loss", "val_accuracy")
# A run that says "running" but was last written this long ago by a process this machine
# cannot check (another machine on a shared folder, or a run recorded before processes
# were) is shown as interrupted. Each epoch writes, and a CPU epoch of the largest live
# dataset (CIFAR-10, ResNet-9) takes a few minutes on 2 cores: an hour is far above that.
HEARTBEAT_STALE_SECONDS = 3600.0
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class RunNotFound(CVLibError):
    """No run of that id in the runs folder (or not one this store may see)."""


class RunNotYours(CVLibError):
    """The run is visible to this store but belongs to nobody in particular (made by the
    command line or before runs had owners): only the teacher view may delete it."""


class RunDiskFull(CVLibError, OSError):
    """A run's file could not be written because the disk (or the user's quota) is full.

    Also an ``OSError``, so code that guards file writes with ``except OSError`` keeps
    working; the temporary file is removed and the previous version of the file is kept.
    """


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
    """``YYYYmmdd-HHMMSS-xxxx``: local time and 16 random bits. Ids are not unique by
    themselves; :meth:`RunStore.create` makes the folder with an exclusive ``mkdir`` and
    draws again on a collision, so two processes never share a run."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` says the disk or quota is full (errno ENOSPC/EDQUOT, or h5py's
    wording of it, which carries no errno)."""
    if isinstance(exc, RunDiskFull):
        return True
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return True
    text = str(exc)
    return "No space left on device" in text or "Disk quota exceeded" in text


def _disk_full(path: Path, exc: BaseException) -> RunDiskFull:
    return RunDiskFull(
        f"The disk is full: {path.name} of run {path.parent.name} could not be saved in "
        f"{path.parent.parent}. Free some space (delete old runs, or ask the person who runs "
        f"the server) and train again; your other runs are intact.",
        kind="disk_full", file=path.name, run=path.parent.name)


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (temporary file in the same folder,
    fsync, ``os.replace``). Raises :class:`RunDiskFull` on a full disk, other ``OSError``
    as they are; the temporary file never stays behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())   # the bytes are on disk before the name points at them
        os.chmod(tmp, 0o644)   # mkstemp makes 0600; these are ordinary data files
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        if is_disk_full(exc):
            raise _disk_full(path, exc) from exc
        raise
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


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


# --- which process runs a run ---------------------------------------------------------

_ACTIVE: set[str] = set()        # real paths of the run folders this process is running
_ACTIVE_LOCK = threading.Lock()


def _active_key(run_path: Path) -> str:
    # one key per folder, however the store's root was spelled (relative, via a link)
    return os.path.realpath(run_path)


def _read_text(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or
    "" where /proc is not there; a PID that is reused gets another start time."""
    stat = _read_text(f"/proc/{pid}/stat")
    fields = stat.rpartition(")")[2].split()     # after "pid (comm)": state is field 3
    if len(fields) < 20 or fields[0] in ("Z", "X"):   # a zombie has ended already
        return "" if len(fields) < 20 else "dead"
    return fields[19]


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def this_process() -> dict:
    """Who is writing: ``{"pid", "host", "boot", "pid_ns", "started"}`` (host name, kernel
    boot id, PID namespace, and the process's start time in ticks; the last three are ""
    where /proc is not there). Recorded in status.json so that any later reader can tell
    whether the writer still lives."""
    pid = os.getpid()
    return {"pid": pid, "host": socket.gethostname(),
            "boot": _read_text("/proc/sys/kernel/random/boot_id"),
            "pid_ns": _pid_namespace(), "started": _start_ticks(pid)}


def _same_machine(proc: dict, me: dict) -> bool:
    # same host name, same boot and same PID namespace: its PID means the same process
    return bool(proc.get("pid")) and all(proc.get(k) == me[k] for k in ("host", "boot", "pid_ns"))


def _process_alive(pid: int, started: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass                              # exists, owned by another user
    except (OSError, ValueError, OverflowError):
        return False
    now = _start_ticks(int(pid))
    if now == "dead":
        return False
    return not (started and now and now != started)


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
    """CSV text (ours or Keras's ``CSVLogger``'s) -> {key: per-epoch floats}.

    "" (our writer) and "NA" (Keras's) mark a value an epoch did not have, e.g. no
    validation in an epoch that was stopped early. A last line cut short (a process killed
    while Keras appended it: fewer cells than the header, or a cell that is not a number)
    is left out, so a killed run still opens.
    """
    if not text.endswith("\n"):              # both writers end every line: a torn last line
        text = text[:text.rfind("\n") + 1]
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return {}
    keys = [k for k in header if k != "epoch"]
    out: dict[str, list[float]] = {k: [] for k in keys}
    for cells in reader:
        if len(cells) != len(header):
            continue
        row = dict(zip(header, cells))
        try:
            values = {k: float(row[k]) for k in keys if row[k] not in ("", "NA")}
        except ValueError:
            continue
        for k, v in values.items():
            out[k].append(v)
    return out


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

    @property
    def owner(self) -> str | None:
        """The owner key recorded by :meth:`RunStore.create` (None: nobody in particular)."""
        owner = self.status.get("owner")
        return owner if isinstance(owner, str) and owner else None

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
    """Reads and writes runs under one folder, as seen by one owner (or by everyone).

    Args:
        root: the runs folder (default :func:`runs_dir`).
        owner: an opaque key (at most 128 characters) that :meth:`create` records in the
            run. With it, and without ``all_owners``, the store sees only runs of that
            owner plus runs with no owner, and deletes only its own: another owner's run is
            :class:`RunNotFound` to it. None: the store sees every run (command line,
            notebooks).
        all_owners: see and delete every run while still recording ``owner`` on new runs
            (the teacher view).

    Example:
        store = RunStore()
        [r.run_id for r in store.list()]
    """

    def __init__(self, root: str | os.PathLike | None = None, owner: str | None = None,
                 all_owners: bool = False):
        if owner is not None and not (isinstance(owner, str) and 0 < len(owner) <= 128):
            raise ValueError(f"owner must be a non-empty string of at most 128 characters; "
                             f"got {type(owner).__name__} of length {len(str(owner))}.")
        self.root = Path(root) if root is not None else runs_dir()
        self.owner = owner
        self.all_owners = bool(all_owners) or owner is None

    # owners -------------------------------------------------------------------------
    def sees(self, record: "RunRecord") -> bool:
        """True when this store may list and open ``record``."""
        return self.all_owners or record.owner in (None, self.owner)

    def can_delete(self, record: "RunRecord") -> bool:
        """True when this store may delete ``record``: its own runs, or every run for a
        store that sees all owners."""
        return self.all_owners or (record.owner is not None and record.owner == self.owner)

    def path(self, run_id: str) -> Path:
        if not _RUN_ID.match(run_id or ""):
            raise RunNotFound(f"Not a run id: {run_id!r}.", kind="run_bad_id",
                              run=str(run_id))
        return self.root / run_id

    # writing ------------------------------------------------------------------------
    def create(self, config: dict, run_id: str | None = None) -> str:
        """A new run folder with ``config`` and status "running" (this process, this
        store's owner); returns its id.

        Without ``run_id`` the id is drawn by :func:`new_run_id` and the folder made with
        an exclusive ``mkdir``, drawn again on a collision (another process, the same
        second), so two processes sharing the folder never write into one run. With
        ``run_id`` (imports, tests) an existing folder of that id is reused.
        The status is written before the config: a folder without config.json is not
        listed, so a process killed in between leaves nothing that looks like a run.

        Raises:
            RunDiskFull: the disk is full. OSError: the folder cannot be written.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if run_id is not None:
            self.path(run_id).mkdir(parents=True, exist_ok=True)
        else:
            for _ in range(1000):
                run_id = new_run_id()
                try:
                    self.path(run_id).mkdir()
                    break
                except FileExistsError:
                    continue
            else:  # pragma: no cover - 1,000 collisions in a row: the clock is stuck
                raise OSError(f"Could not make a new run folder in {self.root}.")
        p = self.path(run_id)
        with _ACTIVE_LOCK:
            _ACTIVE.add(_active_key(p))
        try:
            self.set_status(run_id, "running")
            atomic_write_json(p / "config.json", config)
        except BaseException:
            with _ACTIVE_LOCK:
                _ACTIVE.discard(_active_key(p))
            raise
        return run_id

    def set_status(self, run_id: str, status: str, reason: str = "") -> None:
        """Record ``status`` ("running", or a final one: "finished", "stopped",
        "failed") with its ``reason``, keeping the run's owner; a final status also tells
        this process's readers that the run no longer runs here, even when the write
        fails (a full disk: then the run reads as "interrupted", never as running or
        finished).

        Raises:
            RunDiskFull: the disk is full. OSError: the file cannot be written.
        """
        p = self.path(run_id)
        old = _read_json(p / "status.json", {})
        now = time.time()
        if status != "running":
            with _ACTIVE_LOCK:
                _ACTIVE.discard(_active_key(p))
        owner = old.get("owner") if "owner" in old else self.owner
        atomic_write_json(p / "status.json", {
            "status": status, "reason": reason, "time": now, "heartbeat": now,
            "owner": owner, "process": this_process()})

    def heartbeat(self, run_id: str) -> None:
        """Note that the run is still going (the status file's ``heartbeat``); called with
        each epoch's progress. A run whose process cannot be checked from here is shown
        as interrupted once its heartbeat is :data:`HEARTBEAT_STALE_SECONDS` old."""
        p = self.path(run_id)
        old = _read_json(p / "status.json", None)
        if isinstance(old, dict) and old.get("status") == "running":
            atomic_write_json(p / "status.json", {**old, "heartbeat": time.time(),
                                                  "process": this_process()})

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
        self.heartbeat(run_id)

    def write_metrics(self, run_id: str, metrics: dict) -> None:
        atomic_write_json(self.path(run_id) / "metrics.json", metrics)

    def write_predictions(self, run_id: str, probs: np.ndarray, labels: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez_compressed(buf, probs=probs.astype(np.float16), labels=labels.astype(np.int64))
        _atomic_write_bytes(self.path(run_id) / "predictions.npz", buf.getvalue())

    def write_weights(self, run_id: str, model) -> None:
        """Save ``model``'s weights atomically (Keras needs the .weights.h5 suffix).

        Raises:
            RunDiskFull: the disk is full (the temporary file is removed, an earlier
                weights file of the run is kept). OSError: other write errors.
        """
        p = self.path(run_id)
        tmp = p / f".tmp-{secrets.token_hex(3)}.weights.h5"
        try:
            model.save_weights(str(tmp))
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, p / "model.weights.h5")
        except (OSError, RuntimeError) as exc:   # h5py reports some write errors as these
            if is_disk_full(exc):
                raise _disk_full(p / "model.weights.h5", exc) from exc
            raise
        finally:
            if tmp.exists():
                tmp.unlink()

    def delete(self, run_id: str) -> None:
        """Remove the run's folder.

        Raises:
            RunNotFound: no such run, or one this store may not see.
            RunNotYours: a run with no owner, and this store is one owner's.
        """
        p = self.path(run_id)
        if self.all_owners and p.is_dir() and not (p / "config.json").exists():
            shutil.rmtree(p)      # a folder left by a process killed while making it
            return
        record = self.get(run_id)
        if not self.can_delete(record):
            raise RunNotYours(
                f"Run {run_id} was made outside this browser (by the command line, or "
                f"before runs had owners); only the teacher view can delete it.",
                kind="run_not_yours", run=run_id)
        shutil.rmtree(record.path)

    # reading ------------------------------------------------------------------------
    def get(self, run_id: str) -> RunRecord:
        """The run ``run_id`` as it is on disk now; a "running" run whose process is
        gone reads as "interrupted" (module docstring).

        Raises:
            RunNotFound: no such run, or one this store may not see.
        """
        p = self.path(run_id)
        if not (p / "config.json").exists():
            raise RunNotFound(f"No run {run_id} in {self.root}.", kind="run_not_found",
                              run=run_id, folder=str(self.root))
        history = history_from_csv((p / "history.csv").read_text()) \
            if (p / "history.csv").exists() else {}
        progress = _read_json(p / "progress.json", {}).get("epoch_progress")
        if progress:
            n = max((len(v) for v in history.values()), default=0)
            history["epoch_progress"] = list(progress)[:n] if n else []
        history.pop("learning_rate", None)
        record = RunRecord(
            run_id=run_id, path=p,
            config=_read_json(p / "config.json", {}),
            status=_live_status(p, _read_json(p / "status.json", {"status": "unknown"})),
            history=history,
            metrics=_read_json(p / "metrics.json", {}),
        )
        if not self.sees(record):
            raise RunNotFound(f"No run {run_id} in {self.root}.", kind="run_not_found",
                              run=run_id, folder=str(self.root))
        return record

    def list(self) -> list[RunRecord]:
        """All readable runs this store sees, newest first. Unreadable folders, and folders
        without config.json (a run being made, or killed while made), are skipped."""
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


def _live_status(run_path: Path, status: dict) -> dict:
    """``status`` as read, or for a "running" run whose process is gone the same with
    ``status="interrupted"`` (the rule in the module docstring)."""
    if not isinstance(status, dict):
        return {"status": "unknown"}
    if status.get("status") != "running" or _still_running(run_path, status):
        return status
    return {**status, "status": "interrupted",
            "reason": "the server process that ran it ended before the run did"}


def _still_running(run_path: Path, status: dict) -> bool:
    proc = status.get("process") if isinstance(status.get("process"), dict) else {}
    me = this_process()
    if _same_machine(proc, me):
        if proc.get("pid") == me["pid"] and proc.get("started", "") == me["started"]:
            with _ACTIVE_LOCK:
                return _active_key(run_path) in _ACTIVE
        return _process_alive(proc["pid"], str(proc.get("started") or ""))
    beats = [status.get("heartbeat"), status.get("time")]
    for name in ("history.csv", "progress.json"):
        try:
            beats.append((run_path / name).stat().st_mtime)
        except OSError:
            pass
    last = max((float(b) for b in beats if isinstance(b, (int, float))), default=0.0)
    return time.time() - last < HEARTBEAT_STALE_SECONDS
