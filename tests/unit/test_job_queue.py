"""The fair FIFO job queue of cvlib.jobs, with small fake jobs (no TensorFlow).

A fake job's ``_work`` waits on its own gate (an Event), so a test decides when each job
ends; every wait has a generous timeout so a broken queue fails instead of hanging.
``GateJob`` and ``busy_server`` are also used by the page tests (tests/app).
"""

from __future__ import annotations

import contextlib
import random
import threading

import pytest

from cvlib.jobs import (
    BackgroundJob,
    JobBusy,
    JobQueue,
    JobSnapshot,
    QueueSettingError,
    default_workers,
    job_queue,
)

WAIT = 30.0   # seconds; only reached when something is broken


class _Progress:
    """Stands where a job's Keras callback stands: a snapshot with the job's own ETA."""

    model = None

    def __init__(self, eta):
        self.halted = threading.Event()
        self.eta = eta

    def snapshot(self):
        return JobSnapshot(status="running", epochs=1, eta_seconds=self.eta)


class GateJob(BackgroundJob):
    """Records when it runs, then waits for its gate (or a stop) and ends."""

    lock = threading.Lock()

    def __init__(self, name, log=None, eta=None, fail=False, gate=None, counter=None):
        super().__init__(config=name)
        self.log = log if log is not None else []
        self.eta = eta
        self.fail = fail
        self.gate = gate or threading.Event()
        self.entered = threading.Event()
        self.counter = counter            # {"now": running, "max": most at once}
        self.early_stops = 0

    def _empty_snapshot(self):
        return JobSnapshot(epochs=1)

    def _on_stopped_early(self):
        self.early_stops += 1

    def _work(self):
        self._progress = _Progress(self.eta)
        if self.counter is not None:
            with GateJob.lock:
                self.counter["now"] += 1
                self.counter["max"] = max(self.counter["max"], self.counter["now"])
        self.log.append(self.config)
        self.entered.set()
        try:
            while not self.gate.wait(0.005):
                if self._stop.is_set():
                    break
            if self.fail:
                raise ValueError("boom")
        finally:
            if self.counter is not None:
                with GateJob.lock:
                    self.counter["now"] -= 1
        self._complete(self.config, stopped=self._stop.is_set())


def _started(job) -> None:
    assert job.entered.wait(WAIT), f"{job.config} never started"


def _end(job) -> None:
    job.gate.set()
    assert job.join(WAIT), f"{job.config} never ended"


def _statuses(jobs):
    return [j.snapshot().status for j in jobs]


@contextlib.contextmanager
def busy_server(eta: float | None = 90.0):
    """Every worker of this process's queue held by another user's job (a GateJob that
    reports ``eta`` seconds left) until the block ends."""
    holders = [GateJob(f"other user {i}", eta=eta).start() for i in range(job_queue().workers)]
    try:
        for job in holders:
            _started(job)
        yield holders
    finally:
        for job in holders:
            _end(job)


def test_one_worker_runs_jobs_one_at_a_time_in_arrival_order():
    q, log = JobQueue(workers=1), []
    jobs = [GateJob(n, log).start(queue=q) for n in "abcd"]
    a, b, c, d = jobs
    _started(a)
    assert _statuses(jobs) == ["running", "queued", "queued", "queued"]
    assert [j.snapshot().position for j in jobs] == [0, 1, 2, 3]
    assert [q.position(j) for j in jobs] == [0, 1, 2, 3]
    assert q.running_jobs() == [a] and q.waiting_jobs() == [b, c, d]
    assert all(j.running for j in jobs) and [j.queued for j in jobs] == [False, True, True, True]
    # the later jobs' gates open first: they must still wait their turn
    for j in (d, c, b):
        j.gate.set()
    _end(a)
    for j in jobs:
        assert j.join(WAIT)
    assert log == ["a", "b", "c", "d"]
    assert _statuses(jobs) == ["finished"] * 4
    assert [j.result for j in jobs] == ["a", "b", "c", "d"]
    assert q.running_jobs() == [] and q.waiting_jobs() == []


def test_two_workers_run_two_at_once_and_the_next_starts_when_one_frees():
    q, log, counter = JobQueue(workers=2), [], {"now": 0, "max": 0}
    jobs = [GateJob(n, log, counter=counter).start(queue=q) for n in "abcde"]
    a, b, c, d, e = jobs
    _started(a), _started(b)
    assert _statuses(jobs) == ["running", "running", "queued", "queued", "queued"]
    assert [j.snapshot().position for j in (c, d, e)] == [1, 2, 3]
    _end(b)                       # b frees a worker: c (the oldest waiting) takes it
    _started(c)
    assert not d.entered.is_set() and d.snapshot().position == 1
    _end(a)
    _started(d)
    assert e.snapshot().position == 1
    for j in (c, d, e):
        _end(j)
    assert log == ["a", "b", "c", "d", "e"]
    assert counter["max"] == 2 and counter["now"] == 0
    assert q.running_jobs() == [] and q.waiting_jobs() == []


def test_waiting_jobs_report_their_position_and_an_estimated_start():
    q = JobQueue(workers=1)
    a = GateJob("a", eta=100.0).start(queue=q)
    _started(a)
    b, c = GateJob("b").start(queue=q), GateJob("c").start(queue=q)
    sb, sc = b.snapshot(), c.snapshot()
    assert (sb.status, sb.position, sb.starts_in) == ("queued", 1, 100.0)   # a's own ETA
    # c waits for a and then for b, whose length is guessed from a's: elapsed + ETA
    assert sc.position == 2 and 200.0 <= sc.starts_in <= 200.0 + a._elapsed()
    _end(a)
    _started(b)
    # now a finished job sets the typical length; b reports no ETA of its own yet
    b._progress.eta = None
    typical = q.typical_seconds()
    assert typical == pytest.approx(a._elapsed())
    sc = c.snapshot()
    # b is expected to take the typical length: what is left of it
    assert sc.position == 1 and max(0.0, typical - b._elapsed()) <= sc.starts_in <= typical
    for j in (b, c):
        _end(j)


def test_two_workers_estimate_replays_the_queue():
    q = JobQueue(workers=2)
    a = GateJob("a", eta=50.0).start(queue=q)
    b = GateJob("b", eta=80.0).start(queue=q)
    _started(a), _started(b)
    c, d = GateJob("c").start(queue=q), GateJob("d").start(queue=q)
    assert c.snapshot().starts_in == 50.0         # the first worker to free
    assert d.snapshot().starts_in == 80.0         # the second one
    e = GateJob("e").start(queue=q)               # after c, which takes ~ (130 + elapsed)/2
    s = e.snapshot()
    assert s.position == 3
    assert 50.0 + 65.0 <= s.starts_in <= 50.0 + 65.0 + a._elapsed() + b._elapsed()
    for j in (a, b, c, d, e):
        _end(j)


def test_estimate_is_unknown_while_the_running_job_cannot_tell():
    q = JobQueue(workers=1)
    a = GateJob("a", eta=None).start(queue=q)
    _started(a)
    b = GateJob("b").start(queue=q)
    s = b.snapshot()
    assert (s.status, s.position, s.starts_in) == ("queued", 1, None)
    for j in (a, b):
        _end(j)


def test_a_job_cancelled_while_queued_never_runs():
    q, log = JobQueue(workers=1), []
    a, b, c = (GateJob(n, log).start(queue=q) for n in "abc")
    _started(a)
    assert b.stop() is True                       # at once: it leaves the line
    assert b.join(0) and not b.running
    s = b.snapshot()
    assert (s.status, s.reason, s.done, s.position) == ("cancelled", "stopped by the user",
                                                        True, 0)
    assert b.early_stops == 1                     # its records say it stopped before starting
    assert c.snapshot().position == 1             # c moves up
    b.gate.set()
    _end(a)
    _end(c)
    assert log == ["a", "c"] and not b.entered.is_set() and b.result is None
    assert b.snapshot().status == "cancelled"


def test_a_job_that_raises_frees_its_worker():
    q, log = JobQueue(workers=1), []
    a = GateJob("a", log, fail=True).start(queue=q)
    b = GateJob("b", log).start(queue=q)
    _started(a)
    assert b.queued
    _end(a)
    s = a.snapshot()
    assert s.status == "failed" and s.error == "ValueError: boom"
    _started(b)                                    # the next one starts by itself
    _end(b)
    assert b.snapshot().status == "finished" and log == ["a", "b"]


def test_a_job_whose_hooks_fail_or_that_never_reports_still_frees_its_worker():
    class NoResult(GateJob):
        def _work(self):
            self.entered.set()                     # returns without calling _complete

    class BadHook(GateJob):
        def _on_failed(self):
            raise OSError("disk full")

    q = JobQueue(workers=1)
    a = NoResult("a").start(queue=q)
    b = BadHook("b", fail=True).start(queue=q)
    c = GateJob("c").start(queue=q)
    assert a.join(WAIT)
    assert a.snapshot().status == "failed" and "without reporting" in a.snapshot().error
    _end(b)
    assert b.snapshot().status == "failed"
    _end(c)
    assert c.snapshot().status == "finished"


def test_stop_on_a_running_job_works_as_before_and_the_next_starts():
    q = JobQueue(workers=1)
    a, b = GateJob("a").start(queue=q), GateJob("b").start(queue=q)
    _started(a)
    assert a.stop() is True and a.join(WAIT)
    assert a.snapshot().status == "stopped" and a.result == "a"
    _started(b)
    _end(b)


def test_a_full_line_refuses_with_a_plain_message_and_prepares_nothing():
    prepared = []

    class Prepared(GateJob):
        def _before_start(self):
            prepared.append(self.config)

    q = JobQueue(workers=1, max_waiting=1)
    a, b = Prepared("a").start(queue=q), Prepared("b").start(queue=q)
    c = Prepared("c")
    with pytest.raises(JobBusy, match=r"queue of this server is full \(1 jobs are waiting\)"):
        c.start(queue=q)
    assert prepared == ["a", "b"] and not c.running
    for j in (a, b):
        _end(j)
    c.start(queue=q)                               # room again
    _end(c)
    assert c.snapshot().status == "finished"


def test_more_workers_start_waiting_jobs_at_once():
    q = JobQueue(workers=1)
    jobs = [GateJob(n).start(queue=q) for n in "abc"]
    _started(jobs[0])
    q.set_workers(3)
    for j in jobs:
        _started(j)
    assert q.waiting_jobs() == [] and len(q.running_jobs()) == 3
    for j in jobs:
        _end(j)


def test_thirty_jobs_from_thirty_threads_all_finish_or_are_cancelled():
    q, log, counter = JobQueue(workers=2), [], {"now": 0, "max": 0}
    jobs = [GateJob(i, log, counter=counter) for i in range(30)]
    for j in jobs:
        j.gate.set()                               # each ends as soon as it runs
    cancel = set(random.Random(0).sample(range(30), 10))
    barrier = threading.Barrier(30)
    errors = []

    def user(i):
        try:
            barrier.wait(WAIT)
            jobs[i].start(queue=q)
            if i in cancel:
                jobs[i].stop()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert errors == []
    assert all(j.join(WAIT) for j in jobs)
    statuses = _statuses(jobs)
    assert set(statuses) <= {"finished", "stopped", "cancelled"}
    for j, status in zip(jobs, statuses):
        if status == "cancelled":
            assert not j.entered.is_set() and j.config in cancel
        else:
            assert j.entered.is_set()
    assert sorted(log) == sorted(j.config for j, s in zip(jobs, statuses) if s != "cancelled")
    assert len(log) == len(set(log))               # nothing ran twice
    assert counter["max"] <= 2 and counter["now"] == 0
    assert q.running_jobs() == [] and q.waiting_jobs() == []


def test_workers_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CVLAB_JOB_WORKERS", "3")
    assert default_workers() == 3 and JobQueue().workers == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("CVLAB_JOB_WORKERS", bad)
        with pytest.raises(QueueSettingError, match="CVLAB_JOB_WORKERS must be a whole number"):
            default_workers()
    monkeypatch.delenv("CVLAB_JOB_WORKERS")
    assert default_workers() >= 1
    with pytest.raises(ValueError, match="workers must be"):
        JobQueue(workers=0)


def test_a_job_starts_only_once():
    q = JobQueue(workers=1)
    a = GateJob("a").start(queue=q)
    with pytest.raises(RuntimeError, match="already started"):
        a.start(queue=q)
    _end(a)
