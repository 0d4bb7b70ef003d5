"""Background jobs: the lifecycle shared by every long task a page can watch and stop.

A job runs its work in a daemon thread. A Keras callback of the job's own records progress
under a lock and honours the stop event; a page polls :meth:`BackgroundJob.snapshot`.
``stop()`` returns within a second and keeps the weights learned so far. One heavy job runs
per process: a second ``start()`` raises :class:`JobBusy`. The job is marked finished from
its callback (``_complete``), not when ``fit()`` returns, which can take seconds longer.

Subclasses implement ``_work()`` (load, build, set ``self._progress``, fit) and
``_empty_snapshot()``; optional hooks ``_before_start``, ``_on_stopped_early`` and
``_on_failed`` keep their own records (the Train page's run folder, for example).
"""

from __future__ import annotations

import functools
import threading
import time
import traceback
from dataclasses import dataclass, field, replace

from cvlib import CVLibError


@dataclass
class JobSnapshot:
    """A consistent copy of a job's progress, safe to read from any thread.

    ``history`` holds per-epoch values; ``batches`` holds (global step, loss, accuracy)
    points, each the mean over the batches since the previous point (about 100 points
    per epoch).
    """

    status: str = "pending"        # pending|running|stopping|stopped|finished|failed
    epoch: int = 0                 # current epoch, 1-based
    epochs: int = 0
    batch: int = 0                 # batches done in the current epoch
    steps_per_epoch: int = 0
    images_seen: int = 0
    elapsed: float = 0.0
    images_per_second: float = 0.0
    eta_seconds: float | None = None
    history: dict[str, list[float]] = field(default_factory=dict)
    batches: list[tuple[int, float, float]] = field(default_factory=list)
    error: str = ""
    reason: str = ""

    def copy(self):
        """A copy whose lists are the copy's own (safe to hand to another thread)."""
        return replace(self, history={k: list(v) for k, v in self.history.items()},
                       batches=list(self.batches))

    @property
    def done(self) -> bool:
        return self.status in ("stopped", "finished", "failed")

    @property
    def fraction(self) -> float:
        total = self.epochs * self.steps_per_epoch
        return min(1.0, ((self.epoch - 1) * self.steps_per_epoch + self.batch) / total) \
            if total and self.epoch else 0.0


@functools.cache
def progress_callback_base():
    """The base class of the jobs' Keras progress callbacks (built on first use, so that
    importing cvlib stays free of Keras).

    It holds ``snap`` (the job's snapshot dataclass) under ``lock``, starts the clock,
    numbers epochs, honours ``stop_event`` in ``_check_stop()``, sets ``halted`` and calls
    ``on_end`` when training ends; ``snapshot()`` returns ``snap.copy()``. Subclasses
    record their own per-batch and per-epoch figures.
    """
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        def __init__(self, snap, stop_event: threading.Event, on_end=None):
            super().__init__()
            self.lock = threading.Lock()
            self.snap = snap
            self.t0 = None
            self.halted = threading.Event()
            self._stop_event = stop_event
            self._on_end = on_end

        def on_train_begin(self, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            with self.lock:
                self.snap.epoch = epoch + 1
                self.snap.batch = 0

        def _check_stop(self):
            # Weights change only inside train steps: once a stop is requested, the end
            # of a batch, the start of validation or the end of an epoch means halted.
            if self._stop_event.is_set():
                self.model.stop_training = True
                with self.lock:
                    if self.snap.status == "running":
                        self.snap.status = "stopping"
                self.halted.set()

        def on_train_end(self, logs=None):
            self.halted.set()
            if self._on_end is not None:
                self._on_end()

        def snapshot(self):
            with self.lock:
                return self.snap.copy()

    return ProgressCallback


class JobBusy(CVLibError):
    """Another heavy job is running in this process."""


class StoppedBeforeStart(Exception):
    """Raised inside ``_work`` when a stop came before training began."""


_HEAVY = threading.Lock()   # one heavy job per process
_CURRENT: "BackgroundJob | None" = None


def current_job() -> "BackgroundJob | None":
    """The heavy job running in this process, if any."""
    job = _CURRENT
    return job if job is not None and job.running else None


def acquire_heavy(job) -> None:
    """Claim the process's single heavy-job slot for ``job`` or raise :class:`JobBusy`."""
    global _CURRENT
    if not _HEAVY.acquire(blocking=False):
        raise JobBusy("A training is already running on this server; wait for it to "
                      "finish or stop it first.")
    _CURRENT = job


def release_heavy(job) -> None:
    global _CURRENT
    if _CURRENT is job:
        _CURRENT = None
        _HEAVY.release()


class BackgroundJob:
    """start / snapshot / stop / join / result for a training that runs in a thread."""

    thread_name = "cvlab-job"

    def __init__(self, config):
        self.config = config
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = None      # the running Keras callback, once there is one
        self._result = None
        self._status = "pending"   # pending|running|stopped|finished|failed
        self._error = ""
        self._reason = ""
        self._traceback = ""
        self._lock = threading.Lock()

    # to implement --------------------------------------------------------------------
    def _work(self) -> None:
        raise NotImplementedError

    def _empty_snapshot(self):
        raise NotImplementedError

    def _before_start(self) -> None:
        """Runs in start(), after the heavy slot is taken, before the thread starts."""

    def _on_stopped_early(self) -> None:
        """Stopped before training began."""

    def _on_failed(self) -> None:
        """The work raised; ``self._error`` says what."""

    # lifecycle -----------------------------------------------------------------------
    def start(self):
        if self._thread is not None:
            raise RuntimeError(f"This job was already started; create a new "
                               f"{type(self).__name__}.")
        acquire_heavy(self)
        try:
            self._before_start()
            self._status = "running"
            self._thread = threading.Thread(target=self._run, name=self.thread_name,
                                            daemon=True)
            self._thread.start()
        except BaseException:
            release_heavy(self)
            raise
        return self

    def stop(self, reason: str = "stopped by the user", timeout: float = 1.0) -> bool:
        """Ask the job to stop after the current batch; wait up to ``timeout`` seconds.

        Returns True when training has halted (the weights learned so far are kept).
        """
        with self._lock:
            if not self._reason:
                self._reason = reason
        self._stop.set()
        progress = self._progress
        if progress is not None and progress.model is not None:
            progress.model.stop_training = True   # no new epoch starts
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self._done.is_set() or (progress is not None and (
                    progress.halted.is_set() or getattr(progress, "in_validation", False))):
                return True
            if self._thread is None or not self._thread.is_alive():
                return True
            time.sleep(0.01)
            progress = self._progress
        return False

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the result is ready (not for Keras's teardown). True when done."""
        return self._done.wait(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._done.is_set()

    @property
    def result(self):
        return self._result

    def snapshot(self):
        """A consistent copy of the progress (the callback's), with the job's status."""
        progress = self._progress
        snap = progress.snapshot() if progress is not None else self._empty_snapshot()
        with self._lock:
            # The callback knows running/stopping; the job knows everything else.
            if self._status != "running" or progress is None:
                snap.status = self._status
            snap.error = self._error
            snap.reason = self._reason
        return snap

    # the thread ----------------------------------------------------------------------
    def _complete(self, result, stopped: bool) -> None:
        """Called by the subclass's on-train-end hook with the finished result."""
        self._result = result
        with self._lock:
            self._status = "stopped" if stopped else "finished"
        self._finish_job()

    def _run(self):
        try:
            self._work()
        except StoppedBeforeStart:
            with self._lock:
                self._status = "stopped"
            self._on_stopped_early()
            self._finish_job()
        except BaseException as exc:  # report, never kill the server
            with self._lock:
                self._status = "failed"
                self._error = f"{type(exc).__name__}: {exc}"
            self._traceback = traceback.format_exc()
            try:
                self._on_failed()
            except OSError:
                pass
            self._finish_job()

    def _finish_job(self):
        if not self._done.is_set():
            self._done.set()
            release_heavy(self)
