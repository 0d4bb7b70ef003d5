"""AppTest: two sessions press Start on the Train page at once; the second waits in the
server's job queue (its place shown, in its own language), starts by itself when the first
ends, keeps its place while its user visits another page, and can leave the queue.

The page's TrainingJob is swapped for one whose work waits on a gate and then stops before
training (no TensorFlow): the queue, the job's run folder, its snapshot, the panel and the
buttons are the real ones.
"""

from __future__ import annotations

import threading

import pytest

import cvlib.train
from cvlib.jobs import StoppedBeforeStart, job_queue
from tests.app.helpers import open_page

WAIT = 30.0


class GatedTrainingJob(cvlib.train.TrainingJob):
    def __init__(self, config, store=None):
        super().__init__(config, store=store)
        self.gate = threading.Event()
        self.entered = threading.Event()

    def _work(self):
        self.entered.set()
        while not self.gate.wait(0.01) and not self._stop.is_set():
            pass
        raise StoppedBeforeStart()


@pytest.fixture
def one_worker(monkeypatch):
    """The Train page makes GatedTrainingJobs; the server has one worker (2 cores)."""
    monkeypatch.setattr(cvlib.train, "TrainingJob", GatedTrainingJob)
    queue = job_queue()
    workers = queue.workers
    queue.set_workers(1)
    # this test's estimates start from "no job ended here yet", whatever ran before it
    monkeypatch.setattr(queue, "_durations", type(queue._durations)(maxlen=queue._durations.maxlen))
    jobs = []
    yield jobs
    for job in jobs:
        job.stop()
        job.gate.set()
        assert job.join(WAIT)
    queue.set_workers(workers)


def _start(at):
    at.button(key="train_start").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at.session_state["train_job"]


def test_second_session_waits_its_turn_then_starts_by_itself(one_worker):
    a = open_page("pages/train.py")
    first = _start(a)
    one_worker.append(first)
    assert first.entered.wait(WAIT) and first.snapshot().status == "running"

    b = open_page("pages/train.py")
    assert any("busy (1 running, 0 waiting)" in c.value for c in b.caption)  # told before Start
    second = _start(b)
    one_worker.append(second)
    s = second.snapshot()
    assert (s.status, s.position) == ("queued", 1)
    # its run folder exists from Start on ("running" on disk); the runs table says queued
    table = b.dataframe[-1].value
    row = table[table["run"] == second.run_id]
    assert list(row["status"]) == ["waiting in the queue"], table
    # first has no ETA yet (it never reports progress) and no job ended here before
    assert b.progress[0].text == ("waiting in the queue · position 1 · start time not known "
                                  "yet (the job ahead is still loading)")
    assert b.button(key="train_stop").label == "Leave the queue"
    assert not second.entered.is_set()

    # a third user, whose page speaks Chinese (AppTest clicks only in English: its
    # selectboxes compare labels in the test's language), is second in line
    third = GatedTrainingJob(cvlib.train.TrainConfig()).start()
    one_worker.append(third)
    c = open_page("pages/train.py", lang="zh", train_job=third)
    assert c.progress[0].text == "排队等待中 · 第 2 位 · 开始时间暂不可知（前面的任务仍在加载）"
    assert c.button(key="train_stop").label == "退出队列"

    a.button(key="train_stop").click().run()              # the first user stops
    assert not a.exception and first.join(WAIT)
    assert second.entered.wait(WAIT)                      # the next one started by itself
    b.run()
    assert not b.exception
    assert b.session_state["train_job"] is second and second.snapshot().status == "running"
    assert b.button(key="train_stop").label == "Stop"
    assert third.snapshot().position == 1                 # and the third moved up


def test_a_waiting_job_leaves_the_queue_and_never_runs(one_worker):
    a = open_page("pages/train.py")
    first = _start(a)
    one_worker.append(first)
    b = open_page("pages/train.py")
    second = _start(b)
    one_worker.append(second)
    assert "position 1" in b.progress[0].text
    b.switch_page("pages/video.py").run()                # meanwhile, another page
    assert not b.exception and second.queued
    b.switch_page("pages/train.py").run()                # back: still in line
    assert "position 1" in b.progress[0].text
    b.button(key="train_stop").click().run()
    assert not b.exception
    assert second.snapshot().status == "cancelled" and not second.running
    assert any("Left the queue: you pressed Stop" in i.value for i in b.info)
    first.gate.set()
    assert first.join(WAIT)
    assert not second.entered.is_set()                    # it never ran
    assert job_queue().running_jobs() == [] and job_queue().waiting_jobs() == []
