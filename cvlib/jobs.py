"""Background jobs: the lifecycle shared by every long task a page can watch and stop, and
the fair queue they wait in.

A job runs its work in a daemon thread. A Keras callback of the job's own records progress
under a lock and honours the stop event; a page polls :meth:`BackgroundJob.snapshot`.
``stop()`` returns within a second and keeps the weights learned so far. The job is marked
finished from its callback (``_complete``), not when ``fit()`` returns, which can take
seconds longer.

Heavy jobs share the server's CPU, so they go through one first-in-first-out
:class:`JobQueue` per process with a fixed number of workers (``CVLAB_JOB_WORKERS``,
default one per four CPU cores, at least 1). ``start()`` never refuses a job because
another one runs: the job starts at once when a worker is free, otherwise it waits with
status ``"queued"``, and its snapshot says its place in the queue and when it should start.
When a worker frees (the job finished, stopped, failed or raised), the oldest waiting job
starts by itself. ``stop()`` on a waiting job takes it out of the queue (status
``"cancelled"``); a cancelled job never runs.

Subclasses implement ``_work()`` (load, build, set ``self._progress``, fit) and
``_empty_snapshot()``; optional hooks ``_before_start``, ``_on_stopped_early`` and
``_on_failed`` keep their own records (the Train page's run folder, for example).
"""

from __future__ import annotations

import functools
import heapq
import math
import os
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field, replace

from cvlib import CVLibError
from cvlib.validation import check_range

WORKERS_ENV = "CVLAB_JOB_WORKERS"
QUEUE_MAX_ENV = "CVLAB_JOB_QUEUE_MAX"
DEFAULT_QUEUE_MAX = 100
# How many finished jobs the queue remembers to estimate the length of a waiting one.
DURATION_MEMORY = 20


@dataclass
class JobSnapshot:
    """A consistent copy of a job's progress, safe to read from any thread.

    ``history`` holds per-epoch values; ``batches`` holds (global step, loss, accuracy)
    points, each the mean over the batches since the previous point (about 100 points
    per epoch). While the job waits (status ``"queued"``), ``position`` is its place in
    the queue (1 = next to start) and ``starts_in`` the estimated seconds until it starts
    (None when the jobs ahead cannot tell yet; see :meth:`JobQueue.estimate`).
    """

    # pending|queued|running|stopping|stopped|finished|failed|cancelled
    status: str = "pending"
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
    position: int = 0              # place in the queue while "queued" (1 = next), else 0
    starts_in: float | None = None  # estimated seconds until a queued job starts

    def copy(self):
        """A copy whose lists are the copy's own (safe to hand to another thread)."""
        return replace(self, history={k: list(v) for k, v in self.history.items()},
                       batches=list(self.batches))

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def fraction(self) -> float:
        total = self.epochs * self.steps_per_epoch
        return min(1.0, ((self.epoch - 1) * self.steps_per_epoch + self.batch) / total) \
            if total and self.epoch else 0.0


# A job in one of these states will not change any more ("cancelled": left the queue
# before it started, so it never ran).
DONE_STATUSES = ("stopped", "finished", "failed", "cancelled")

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
    """The job queue of this server is full: too many jobs are already waiting."""


class QueueSettingError(CVLibError):
    """A job-queue setting (``CVLAB_JOB_WORKERS``, ``CVLAB_JOB_QUEUE_MAX``) is not valid."""


class StoppedBeforeStart(Exception):
    """Raised inside ``_work`` when a stop came before training began."""


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise QueueSettingError(f"{name} must be a whole number of at least 1; got '{value}'. "
                                f"Unset it to use the default ({default}).",
                                kind="job_setting", variable=name, value=value,
                                default=default)
    return n


def default_workers() -> int:
    """How many heavy jobs run at once in this process: ``CVLAB_JOB_WORKERS`` when set,
    otherwise one per four CPU cores (at least 1: a 2-core server runs one at a time,
    since one training already keeps every core busy).

    Raises:
        QueueSettingError: ``CVLAB_JOB_WORKERS`` is set but not a whole number >= 1.
    """
    return _env_int(WORKERS_ENV, max(1, _cpu_count() // 4))


def default_queue_max() -> int:
    """How many jobs may wait at once: ``CVLAB_JOB_QUEUE_MAX`` when set, else 100 (a
    waiting job holds its settings, and a video job its clip, in memory).

    Raises:
        QueueSettingError: ``CVLAB_JOB_QUEUE_MAX`` is set but not a whole number >= 1.
    """
    return _env_int(QUEUE_MAX_ENV, DEFAULT_QUEUE_MAX)


def _finite(v) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


class JobQueue:
    """A first-in-first-out queue of heavy jobs with ``workers`` of them running at once.

    One lock guards the running list, the waiting line and the record of past durations;
    the jobs' threads are started outside it. A job's own lock is only ever taken after
    the queue's (never the other way round), and snapshots of running jobs are read
    outside the queue's lock.

    Args:
        workers: jobs that run at once (None: :func:`default_workers`).
        max_waiting: jobs that may wait (None: :func:`default_queue_max`); one more is
            refused with :class:`JobBusy`.

    Raises:
        TypeError, ValueError: ``workers`` or ``max_waiting`` is not an integer >= 1.
        QueueSettingError: left to the environment, which holds something else.

    Example:
        q = JobQueue(workers=1)
        a = TrainingJob(TrainConfig(epochs=1)).start(queue=q)   # runs
        b = TrainingJob(TrainConfig(epochs=1)).start(queue=q)   # waits
        b.snapshot().status, b.snapshot().position
        ('queued', 1)
    """

    def __init__(self, workers: int | None = None, max_waiting: int | None = None):
        self._lock = threading.Lock()
        self._workers = _check_count("workers", workers if workers is not None
                                     else default_workers())
        self._max_waiting = _check_count("max_waiting", max_waiting if max_waiting is not None
                                         else default_queue_max())
        self._running: list[BackgroundJob] = []
        self._waiting: deque[BackgroundJob] = deque()
        self._durations: deque[float] = deque(maxlen=DURATION_MEMORY)

    # --- reading ----------------------------------------------------------------------
    @property
    def workers(self) -> int:
        return self._workers

    def running_jobs(self) -> list:
        """The jobs holding a worker, oldest first (a copy)."""
        with self._lock:
            return list(self._running)

    def waiting_jobs(self) -> list:
        """The jobs waiting, next to start first (a copy)."""
        with self._lock:
            return list(self._waiting)

    def position(self, job) -> int:
        """``job``'s place in the waiting line (1 = next to start), 0 when not waiting."""
        with self._lock:
            try:
                return self._waiting.index(job) + 1
            except ValueError:
                return 0

    def typical_seconds(self) -> float | None:
        """How long a job takes here: the mean duration (start to end, seconds) of the last
        20 jobs that ran to the end in this queue, or None before the first one ended."""
        with self._lock:
            durations = list(self._durations)
        return sum(durations) / len(durations) if durations else None

    def estimate(self, job) -> tuple[int, float | None]:
        """``(position, seconds until it starts)`` of a waiting ``job``; (0, None) otherwise.

        The estimate replays the queue: each worker frees when its running job's own ETA
        (the one its progress bar shows) runs out, and each job ahead in the line then holds
        a worker for the typical duration of a job here (:meth:`typical_seconds`; before
        any job has ended, the projected length of the running ones: elapsed + ETA). It is
        None when a needed figure is unknown (a running job still loading its data and no
        job finished yet), so the page says "unknown" rather than guess.
        """
        with self._lock:
            try:
                position = self._waiting.index(job) + 1
            except ValueError:
                return 0, None
            running = list(self._running)
            ahead = position - 1
            workers = self._workers
            durations = list(self._durations)
        typical = sum(durations) / len(durations) if durations else None
        remaining = []
        for other in running:            # snapshots outside the queue's lock
            left, elapsed = other._remaining_seconds()
            if left is None and typical is not None:
                left = max(0.0, typical - elapsed)
            remaining.append(left)
        if typical is None and ahead:
            totals = [left + other._elapsed() for left, other in zip(remaining, running)
                      if left is not None]
            typical = sum(totals) / len(totals) if totals else None
        if None in remaining or (ahead and typical is None):
            return position, None
        # The (len(running) - workers) earliest ends free no worker (the count was lowered).
        free = sorted(remaining)[max(0, len(running) - workers):]
        free += [0.0] * (workers - len(free))
        heapq.heapify(free)
        for _ in range(ahead):
            heapq.heappush(free, heapq.heappop(free) + typical)
        return position, free[0]

    # --- changing ---------------------------------------------------------------------
    def set_workers(self, workers: int) -> None:
        """Run up to ``workers`` jobs at once from now on (waiting jobs start if there is
        room; running jobs are never interrupted when the number goes down).

        Raises:
            TypeError, ValueError: ``workers`` is not an integer >= 1.
        """
        workers = _check_count("workers", workers)
        with self._lock:
            self._workers = workers
            starting = self._take_next()
        _launch_all(starting)

    def check_room(self) -> None:
        """Raise :class:`JobBusy` when the waiting line is full."""
        with self._lock:
            full = len(self._waiting) >= self._max_waiting and \
                len(self._running) >= self._workers
            waiting = len(self._waiting)
        if full:
            raise JobBusy(f"The job queue of this server is full ({waiting} jobs are waiting); "
                          f"try again in a few minutes.", kind="job_queue_full", waiting=waiting)

    def submit(self, job) -> bool:
        """Run ``job`` now if a worker is free and nobody waits, else put it last in line.

        Returns True when it started at once. The line's bound is checked by
        :meth:`check_room` beforehand (so a job's own preparations run only when it fits).
        """
        with self._lock:
            if job in self._running or job in self._waiting:
                raise RuntimeError("This job is already in the queue.")
            stopped = job._stop.is_set()      # stopped before it even joined the line
            if not stopped:
                self._waiting.append(job)
                job._set_status("queued")
            starting = self._take_next()
        if stopped:
            job._cancelled()
        _launch_all(starting)
        return job in starting

    def cancel(self, job) -> bool:
        """Take a waiting ``job`` out of the line (it will never run). False when it was
        not waiting (already running, or done)."""
        with self._lock:
            try:
                self._waiting.remove(job)
            except ValueError:
                return False
        job._cancelled()
        return True

    def release(self, job) -> None:
        """``job`` has ended: free its worker and start whoever is next."""
        with self._lock:
            if job not in self._running:
                return
            self._running.remove(job)
            if job._status_value() == "finished":
                self._durations.append(job._elapsed())
            starting = self._take_next()
        _launch_all(starting)

    def _take_next(self) -> list:
        """Under the lock: move waiting jobs to the workers while there is room."""
        starting = []
        while self._waiting and len(self._running) < self._workers:
            job = self._waiting.popleft()
            self._running.append(job)
            job._set_status("running", started=True)
            starting.append(job)
        return starting


def _check_count(name: str, n) -> int:
    return check_range(name, n, 1, integer=True)


def _launch_all(jobs) -> None:
    for job in jobs:
        job._launch()


_QUEUE: JobQueue | None = None
_QUEUE_LOCK = threading.Lock()


def job_queue() -> JobQueue:
    """This process's job queue (made on first use from ``CVLAB_JOB_WORKERS`` and
    ``CVLAB_JOB_QUEUE_MAX``).

    Raises:
        QueueSettingError: one of those variables is set to something that is not a whole
            number >= 1.
    """
    global _QUEUE
    with _QUEUE_LOCK:
        if _QUEUE is None:
            _QUEUE = JobQueue()
        return _QUEUE


def current_job() -> "BackgroundJob | None":
    """The oldest heavy job running in this process's queue, if any (waiting ones aside)."""
    queue = _QUEUE
    if queue is None:
        return None
    return next((job for job in queue.running_jobs() if job.running), None)


class BackgroundJob:
    """start / snapshot / stop / join / result for a training that runs in a thread.

    ``start()`` hands the job to a :class:`JobQueue`; ``running`` is True from then until
    the job is done, including while it waits its turn.
    """

    thread_name = "cvlab-job"

    def __init__(self, config):
        self.config = config
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue: JobQueue | None = None
        self._progress = None      # the running Keras callback, once there is one
        self._result = None
        self._status = "pending"   # pending|queued|running|stopped|finished|failed|cancelled
        self._error = ""
        self._exception: BaseException | None = None   # what _work raised, for the UI
        self._reason = ""
        self._traceback = ""
        self._started_at: float | None = None   # time.monotonic() when a worker took it
        self._ended_at: float | None = None
        self._lock = threading.Lock()

    # to implement --------------------------------------------------------------------
    def _work(self) -> None:
        raise NotImplementedError

    def _empty_snapshot(self):
        raise NotImplementedError

    def _before_start(self) -> None:
        """Runs in start(), in the caller's thread, before the job joins the queue."""

    def _on_stopped_early(self) -> None:
        """Stopped before training began (also: cancelled while it waited in the queue)."""

    def _on_failed(self) -> None:
        """The work raised; ``self._error`` says what."""

    # lifecycle -----------------------------------------------------------------------
    def start(self, queue: JobQueue | None = None):
        """Hand the job to ``queue`` (default: this process's :func:`job_queue`); it runs
        now if a worker is free, else when its turn comes. Returns the job.

        Raises:
            JobBusy: the queue's waiting line is full.
            QueueSettingError: the queue's environment settings are not valid.
            RuntimeError: the job was started before.
        """
        if self._queue is not None:
            raise RuntimeError(f"This job was already started; create a new "
                               f"{type(self).__name__}.")
        queue = queue if queue is not None else job_queue()
        queue.check_room()
        self._before_start()
        self._queue = queue
        queue.submit(self)
        return self

    def stop(self, reason: str = "stopped by the user", timeout: float = 1.0) -> bool:
        """Ask the job to stop after the current batch; wait up to ``timeout`` seconds.

        A job still waiting in the queue leaves it at once (status ``"cancelled"``).
        Returns True when training has halted (the weights learned so far are kept).
        """
        with self._lock:
            if not self._reason:
                self._reason = reason
        self._stop.set()
        queue = self._queue
        if queue is not None and queue.cancel(self):
            return True
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
        """Started (running or waiting in the queue) and not done yet."""
        return self._queue is not None and not self._done.is_set()

    @property
    def queued(self) -> bool:
        """Waiting in the queue for a worker."""
        with self._lock:
            return self._status == "queued"

    @property
    def result(self):
        return self._result

    def snapshot(self):
        """A consistent copy of the progress (the callback's), with the job's status; while
        the job waits, with its place in the queue and estimated start."""
        progress = self._progress
        snap = progress.snapshot() if progress is not None else self._empty_snapshot()
        with self._lock:
            # The callback knows running/stopping; the job knows everything else.
            if self._status != "running" or progress is None:
                snap.status = self._status
            snap.error = self._error
            snap.reason = self._reason
        if snap.status == "queued" and self._queue is not None:
            snap.position, snap.starts_in = self._queue.estimate(self)
            if not snap.position:             # its turn came meanwhile
                snap.status = self._status_value()
        return snap

    # the queue's side ----------------------------------------------------------------
    def _status_value(self) -> str:
        with self._lock:
            return self._status

    def _set_status(self, status: str, started: bool = False) -> None:
        with self._lock:
            self._status = status
            if started:
                self._started_at = time.monotonic()

    def _elapsed(self) -> float:
        """Seconds since a worker took the job (to its end when it has ended)."""
        if self._started_at is None:
            return 0.0
        return (self._ended_at or time.monotonic()) - self._started_at

    def _remaining_seconds(self) -> tuple[float | None, float]:
        """(the running job's own ETA in seconds or None, seconds it has run)."""
        snap = self.snapshot()
        eta = getattr(snap, "eta_seconds", None)
        if eta is None:
            eta = getattr(snap, "eta", None)     # the video analysis's snapshot
        return _finite(eta), self._elapsed()

    def _launch(self) -> None:
        """Start the thread (a worker took the job); a thread that cannot start fails the
        job, which frees the worker."""
        try:
            self._thread = threading.Thread(target=self._run, name=self.thread_name,
                                            daemon=True)
            self._thread.start()
        except Exception as exc:  # noqa: BLE001 - e.g. "can't start new thread"
            self._fail(exc)

    def _cancelled(self) -> None:
        """Taken out of the queue before it started: record it and end, never run."""
        with self._lock:
            self._status = "cancelled"
        try:
            self._on_stopped_early()
        except OSError:
            pass
        finally:
            self._ended_at = time.monotonic()
            self._done.set()

    # the thread ----------------------------------------------------------------------
    def _complete(self, result, stopped: bool) -> None:
        """Called by the subclass's on-train-end hook with the finished result."""
        self._result = result
        with self._lock:
            self._status = "stopped" if stopped else "finished"
        self._finish_job()

    @property
    def exception(self) -> BaseException | None:
        """What the work raised when the job failed (None otherwise): a page words a
        :class:`cvlib.CVLibError` in its language from the exception's kind/params."""
        return self._exception

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            self._status = "failed"
            # a project error says itself plainly; anything else names its type
            self._error = str(exc) if isinstance(exc, CVLibError) else \
                f"{type(exc).__name__}: {exc}"
            self._exception = exc
        self._traceback = "".join(traceback.format_exception(exc))
        try:
            self._on_failed()
        except OSError:
            pass
        finally:
            self._finish_job()          # a job that raises frees its worker

    def _run(self):
        try:
            if self._stop.is_set():       # stopped between leaving the queue and now
                raise StoppedBeforeStart()
            self._work()
            if not self._done.is_set():   # a _work that never reported its end
                raise RuntimeError("the job ended without reporting a result")
        except StoppedBeforeStart:
            with self._lock:
                self._status = "stopped"
            try:
                self._on_stopped_early()
            finally:
                self._finish_job()
        except BaseException as exc:  # report, never kill the server
            if not self._done.is_set():
                self._fail(exc)

    def _finish_job(self):
        if not self._done.is_set():
            self._ended_at = time.monotonic()
            self._done.set()
            if self._queue is not None:
                self._queue.release(self)
