"""Runs on disk: atomic files, CSV history round trip, listing, deleting; owners; runs
whose process is gone read as interrupted (the fault tests are in test_faults.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from cvlib.runs import RunNotFound, RunStore, history_from_csv, history_to_csv


def test_history_csv_round_trip():
    h = {"loss": [1.5, 0.5], "accuracy": [0.5, 0.9], "val_loss": [1.0, 0.7],
         "val_accuracy": [0.6, 0.8], "epoch_progress": [1.0, 2.0]}
    text = history_to_csv(h)
    assert text.splitlines()[0] == "epoch,epoch_progress,loss,accuracy,val_loss,val_accuracy"
    assert history_from_csv(text) == h


def test_store_create_list_delete(tmp_path):
    store = RunStore(tmp_path)
    run = store.create({"dataset": "mnist", "epochs": 1})
    store.write_history(run, {"loss": [1.0]})
    store.write_metrics(run, {"test_accuracy": 0.9})
    store.set_status(run, "finished")
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "20990101-000000-abcd").mkdir()        # no config.json: skipped
    runs = store.list()
    assert [r.run_id for r in runs] == [run]
    assert runs[0].metrics["test_accuracy"] == 0.9 and runs[0].status["status"] == "finished"
    assert not list(tmp_path.glob(f"{run}/.*tmp"))    # no temporary files left behind
    store.delete(run)
    assert store.list() == []
    with pytest.raises(RunNotFound):
        store.delete(run)


@pytest.mark.parametrize("bad", ["../etc", "", "20260101-000000-zzzz/..", "x" * 30])
def test_run_ids_cannot_escape_the_folder(tmp_path, bad):
    with pytest.raises(RunNotFound):
        RunStore(tmp_path).get(bad)


def test_corrupt_json_does_not_break_listing(tmp_path):
    store = RunStore(tmp_path)
    run = store.create({"dataset": "mnist"})
    (tmp_path / run / "metrics.json").write_text("{not json")
    assert store.get(run).metrics == {}


# --- owners ----------------------------------------------------------------------------

def test_a_store_of_one_owner_sees_and_deletes_only_its_own_runs(tmp_path):
    from cvlib.runs import RunNotYours
    alice, bob = RunStore(tmp_path, owner="alice"), RunStore(tmp_path, owner="bob")
    a, b = alice.create({"who": "a"}), bob.create({"who": "b"})
    shared = RunStore(tmp_path).create({"who": "script"})      # no owner: made outside the app
    assert {r.run_id for r in alice.list()} == {a, shared}
    assert {r.run_id for r in bob.list()} == {b, shared}
    assert alice.get(a).owner == "alice" and RunStore(tmp_path).get(shared).owner is None
    with pytest.raises(RunNotFound):
        alice.get(b)                                   # another owner's run is not there
    with pytest.raises(RunNotFound):
        alice.delete(b)
    with pytest.raises(RunNotYours):
        alice.delete(shared)                           # shared runs: teacher view only
    assert (tmp_path / b).exists() and (tmp_path / shared).exists()
    alice.delete(a)
    assert not (tmp_path / a).exists()
    teacher = RunStore(tmp_path, owner="teacher", all_owners=True)
    assert {r.run_id for r in teacher.list()} == {b, shared}
    teacher.delete(shared)
    assert [r.run_id for r in RunStore(tmp_path).list()] == [b]
    # the owner survives every status change
    bob.set_status(b, "finished")
    assert RunStore(tmp_path).get(b).status["owner"] == "bob"


def test_colliding_run_ids_are_drawn_again(tmp_path, monkeypatch):
    import cvlib.runs as runs
    ids = iter(["20260101-000000-aaaa", "20260101-000000-aaaa", "20260101-000000-bbbb"])
    monkeypatch.setattr(runs, "new_run_id", lambda: next(ids))
    store = RunStore(tmp_path)
    first = store.create({"n": 1})
    second = store.create({"n": 2})                  # drew "aaaa" again: taken, so "bbbb"
    assert (first, second) == ("20260101-000000-aaaa", "20260101-000000-bbbb")
    assert store.get(first).config == {"n": 1} and store.get(second).config == {"n": 2}


# --- runs whose process is gone ---------------------------------------------------------

def _status(tmp_path, run_id) -> dict:
    return json.loads((tmp_path / run_id / "status.json").read_text())


def _rewrite_status(tmp_path, run_id, **changes) -> None:
    s = _status(tmp_path, run_id)
    s.update(changes)
    (tmp_path / run_id / "status.json").write_text(json.dumps(s))


def test_a_running_run_of_a_dead_process_reads_as_interrupted(tmp_path):
    from cvlib.runs import _start_ticks
    store = RunStore(tmp_path)
    run = store.create({"dataset": "mnist"})
    assert store.get(run).status["status"] == "running"      # this process runs it
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = _start_ticks(child.pid)
        _rewrite_status(tmp_path, run, process={**_status(tmp_path, run)["process"],
                                                "pid": child.pid, "started": started})
        assert store.get(run).status["status"] == "running"      # another live process
        if started:   # Linux: a reused PID (another start time) is not the same process
            _rewrite_status(tmp_path, run, process={**_status(tmp_path, run)["process"],
                                                    "pid": child.pid, "started": "1"})
            assert store.get(run).status["status"] == "interrupted"
            _rewrite_status(tmp_path, run, process={**_status(tmp_path, run)["process"],
                                                    "pid": child.pid, "started": started})
    finally:
        child.kill()
        child.wait()
    record = store.get(run)
    assert record.status["status"] == "interrupted"
    assert [r.status["status"] for r in store.list()] == ["interrupted"]


def test_a_run_of_another_machine_is_judged_by_its_heartbeat(tmp_path):
    from cvlib.runs import HEARTBEAT_STALE_SECONDS
    store = RunStore(tmp_path)
    run = store.create({"dataset": "mnist"})
    other = {**_status(tmp_path, run)["process"], "host": "elsewhere", "pid": 1}
    _rewrite_status(tmp_path, run, process=other)
    assert store.get(run).status["status"] == "running"           # heard from just now
    old = time.time() - HEARTBEAT_STALE_SECONDS - 60
    _rewrite_status(tmp_path, run, heartbeat=old, time=old)
    assert store.get(run).status["status"] == "interrupted"
    # a progress write of the run (each epoch) is a heartbeat
    (tmp_path / run / "progress.json").write_text('{"epoch_progress": [1.0]}')
    assert store.get(run).status["status"] == "running"


def test_a_job_that_could_not_write_its_end_is_not_left_running(tmp_path, monkeypatch):
    # the process lives on, but the run's final status could not be written (a full
    # disk): the run must not read as running (nor as finished) in this process
    import errno

    from cvlib.runs import RunDiskFull
    store = RunStore(tmp_path)
    run = store.create({"dataset": "mnist"})
    real = os.replace

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(RunDiskFull):
        store.set_status(run, "finished")
    monkeypatch.setattr(os, "replace", real)
    assert store.get(run).status["status"] == "interrupted"
    assert not [p.name for p in (tmp_path / run).iterdir() if p.name.startswith(".")]


def test_a_torn_last_history_line_is_left_out():
    text = "epoch,loss,accuracy\n0,0.5,0.8\n1,0.4,0.9\n2,0.3"       # killed mid-line
    assert history_from_csv(text) == {"loss": [0.5, 0.4], "accuracy": [0.8, 0.9]}
    assert history_from_csv("epoch,loss,accuracy\n0,0.5,0.8\n1,0.4\n") == \
        {"loss": [0.5], "accuracy": [0.8]}
