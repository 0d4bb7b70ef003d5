"""Faults lose nothing (issue 15, part 3): a job that raises, a tab closed mid-training, a
full disk while a run is saved, a damaged or missing model file, the server killed with
SIGTERM or SIGKILL mid-epoch or mid-save, and two server processes sharing one runs folder.

Each fault is made for real where a test can (a process is really killed, a second process
really writes the same folder); a full disk is simulated at ``os.replace`` (the last step of
every atomic write in cvlib.runs) and a vanished browser session at the server's answer
to "is this session still there" (ui.jobs._session_alive).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cvlib.runs import RunStore
from cvlib.train import TrainConfig, TrainingJob, current_job
from tests.conftest import ROOT
from tests.e2e.fake_runs import fake_run

TINY = dict(train_size=500, epochs=1, filters=(8, 16, 16), dense=16)
LONG = dict(train_size=4000, epochs=30, filters=(8, 16, 16), dense=16)


def _wait_for_batches(job, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = job.snapshot()
        if s.status == "running" and (s.batch >= 1 or s.epoch > 1):
            return s
        assert not s.done, (s.status, s.error)
        time.sleep(0.05)
    raise AssertionError("no progress")


def _stray_temp_files(root: Path) -> list[str]:
    # _atomic_write_bytes: ".<name>*.tmp"; write_weights: ".tmp-*.weights.h5"
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*")
                  if p.name.endswith(".tmp") or p.name.startswith(".tmp-"))


def _snapshot_files(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}


# --- a job that raises ------------------------------------------------------------------

def test_a_job_that_raises_ends_failed_and_frees_the_server(tmp_path, monkeypatch):
    from cvlib import train
    from cvlib.data import DatasetUnavailable

    def gone(config):       # the data folder vanished (an unmounted disk) under the job
        raise DatasetUnavailable("MNIST digits are not on this machine any more: copy "
                                 "mnist.npz into $CVLIB_DATA_DIR.")
    monkeypatch.setattr(train, "prepare", gone)
    store = RunStore(tmp_path / "runs")
    job = TrainingJob(TrainConfig(**TINY), store=store).start()
    assert job.join(60)
    snap = job.snapshot()
    assert snap.status == "failed"
    assert "MNIST digits are not on this machine any more" in snap.error
    assert "Traceback" not in snap.error and "\n" not in snap.error
    record = store.get(job.run_id)
    assert record.status["status"] == "failed"              # never listed as finished
    assert "not on this machine" in record.status["reason"]
    assert [r.status["status"] for r in store.list()] == ["failed"]
    assert current_job() is None and not job.running         # the worker is free again


def test_the_train_page_says_why_a_job_failed(monkeypatch):
    from cvlib import train
    from cvlib.data import DatasetUnavailable
    from tests.app.helpers import open_page, texts

    def gone(config):
        raise DatasetUnavailable("MNIST digits are not on this machine any more.")
    monkeypatch.setattr(train, "prepare", gone)
    at = open_page("pages/train.py")
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    assert job.join(60)
    at.run()
    assert not at.exception
    shown = texts(at)
    assert "The job failed:" in shown and "not on this machine any more" in shown
    assert "Traceback" not in shown
    # the runs table lists the run as failed, not finished
    table = at.dataframe[-1].value
    assert list(table["status"]) == ["failed"]


# --- a tab closed mid-training -------------------------------------------------------------

def test_a_closed_tab_stops_its_job_and_keeps_the_run(tmp_path, monkeypatch):
    """ui.jobs.watch_session asks the server whether the session that started the job is
    still there; the browser closing is the server answering False."""
    from ui import jobs as ui_jobs
    alive = {"now": True}
    monkeypatch.setattr(ui_jobs, "_session_id", lambda: "session-1")
    monkeypatch.setattr(ui_jobs, "_session_alive", lambda sid: alive["now"])
    store = RunStore(tmp_path / "runs", owner="browser-a")
    job = TrainingJob(TrainConfig(**LONG), store=store).start()
    try:
        watcher = ui_jobs.watch_session(job, grace=0.2, poll=0.05)
        assert watcher is not None
        _wait_for_batches(job)
        alive["now"] = False                                  # the tab is closed
        assert job.join(60)
        watcher.join(10)
    finally:
        job.stop()
        job.join(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.reason == "browser tab closed"
    record = store.get(job.run_id)
    assert record.status["status"] == "stopped" and record.weights_path.exists()
    assert record.owner == "browser-a"
    assert current_job() is None


# --- a full disk while a run is saved ---------------------------------------------------

def test_a_full_disk_while_saving_fails_the_run_and_keeps_the_others(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    earlier = fake_run(runs, "20200101-100000-aaaa", 1, epochs=1)
    before = _snapshot_files(runs / earlier)
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("model.weights.h5"):       # the biggest file: the disk fills
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)
    monkeypatch.setattr(os, "replace", replace)
    store = RunStore(runs)
    job = TrainingJob(TrainConfig(**TINY), store=store).start()
    assert job.join(120)
    snap = job.snapshot()
    assert snap.status == "failed" and "disk is full" in snap.error
    record = store.get(job.run_id)
    assert record.status["status"] == "failed"
    assert "disk is full" in record.status["reason"] and "model.weights.h5" in \
        record.status["reason"]
    assert not record.weights_path.exists() and "test_accuracy" not in record.metrics
    assert _stray_temp_files(runs) == []                    # no half-written file left
    assert _snapshot_files(runs / earlier) == before        # the earlier run is untouched
    assert {r.run_id: r.status["status"] for r in RunStore(runs).list()} == \
        {job.run_id: "failed", earlier: "finished"}
    assert current_job() is None


def test_a_disk_that_stays_full_leaves_no_run_that_looks_finished(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    store = RunStore(runs)
    run = store.create({"dataset": "mnist"})
    store.write_history(run, {"loss": [0.5]})
    real_replace = os.replace

    def replace(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "replace", replace)
    from cvlib.runs import RunDiskFull
    with pytest.raises(RunDiskFull) as err:
        store.write_metrics(run, {"test_accuracy": 0.9})
    assert err.value.kind == "disk_full" and isinstance(err.value, OSError)
    assert "disk is full" in str(err.value) and "metrics.json" in str(err.value)
    with pytest.raises(RunDiskFull):
        store.set_status(run, "failed", str(err.value))     # even this cannot be written
    monkeypatch.setattr(os, "replace", real_replace)
    record = RunStore(runs).get(run)
    assert record.status["status"] == "interrupted" and record.metrics == {}
    assert record.history == {"loss": [0.5]}
    assert _stray_temp_files(runs) == []


# --- a damaged or missing model file -------------------------------------------------------

@pytest.mark.parametrize("fault", ["damaged", "missing"])
def test_a_bad_model_file_is_named_and_the_page_offers_the_others(tmp_path, monkeypatch,
                                                                   fault):
    import streamlit as st

    from cvlib import zoo
    from tests.app.helpers import open_page
    shutil.copytree(zoo.models_dir(), tmp_path / "models")
    target = tmp_path / "models" / "mnist_cnn.weights.h5"
    if fault == "damaged":
        data = bytearray(target.read_bytes())
        data[-100] ^= 0xFF
        target.write_bytes(bytes(data))
    else:
        target.unlink()
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path / "models"))
    zoo._load_cached.cache_clear()              # a model verified before the damage is gone
    st.cache_resource.clear()
    st.cache_data.clear()                       # and answers an earlier test cached
    from cvlib.recognize import get_classifier
    get_classifier.cache_clear()                # (a process keeps what it loaded before)
    with pytest.raises(zoo.ModelUnavailable) as err:     # a damaged file is "unavailable" too
        zoo.load("mnist_cnn")
    assert "mnist_cnn.weights.h5" in str(err.value) and "python -m cvlib train" in str(err.value)
    try:
        at = open_page("pages/recognize.py", rec_model="mnist_cnn")
        assert not at.exception
        error = " ".join(e.value for e in at.error)
        assert "mnist_cnn.weights.h5" in error
        assert ("sha256" in error) == (fault == "damaged") and "Restore it" in error
        offer = " ".join(i.value for i in at.info)
        assert "cifar_cnn" in offer and "fashion_cnn" in offer and "mnist_cnn" not in offer
    finally:
        zoo._load_cached.cache_clear()
        st.cache_resource.clear()
        st.cache_data.clear()
        get_classifier.cache_clear()


# --- the server killed mid-epoch or mid-save -------------------------------------------------

CHILD = textwrap.dedent("""
    import os, sys, time
    from cvlib.runs import RunStore
    from cvlib.shutdown import stop_jobs_on_sigterm
    from cvlib.train import TrainConfig, TrainingJob

    where, root = sys.argv[1], sys.argv[2]
    stop_jobs_on_sigterm(wait=60)          # what a server entry point does
    if where == "save":                    # pause inside the final save's last rename
        real = os.replace
        def replace(src, dst):
            if str(dst).endswith("predictions.npz"):
                print("SAVING", flush=True)
                time.sleep(120)
            return real(src, dst)
        os.replace = replace
    small = dict(filters=(8, 16, 16), dense=16)
    config = TrainConfig(train_size=500, epochs=1, **small) if where == "save" \\
        else TrainConfig(train_size=4000, epochs=30, **small)
    job = TrainingJob(config, store=RunStore(root, owner="browser-a")).start()
    print("RUN", job.run_id, flush=True)
    while where == "epoch":
        s = job.snapshot()
        if s.status == "running" and (s.batch >= 1 or s.epoch > 1):
            print("TRAINING", flush=True)
            break
        time.sleep(0.05)
    job.join()
    print("ENDED", job.snapshot().status, flush=True)
""")


def _kill_child(root: Path, where: str, sig: int) -> tuple[str, int, str]:
    """Start CHILD, wait for its marker line, send ``sig``; (run id, exit code, output)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, where, str(root)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    marker = "SAVING" if where == "save" else "TRAINING"
    lines, run_id = [], None
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("RUN "):
                run_id = line.split()[1]
            if line.strip() == marker:
                proc.send_signal(sig)
                break
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = "".join(lines) + (rest or "")
    assert run_id is not None, out[-3000:]
    return run_id, proc.returncode, out


def test_a_killed_server_leaves_every_finished_run_and_no_broken_one(tmp_path):
    """SIGTERM during an epoch (the handler stops the job, which saves its run) and SIGKILL
    during the final save (nothing can run: the run must read as interrupted), in two
    server processes at once (they share nothing but the test's time)."""
    from concurrent.futures import ThreadPoolExecutor
    cases = {"sigterm-epoch": (signal.SIGTERM, "epoch"), "sigkill-save": (signal.SIGKILL, "save")}
    roots, before, finished = {}, {}, {}
    for case in cases:
        runs = roots[case] = tmp_path / case
        finished[case] = [fake_run(runs, "20200101-100000-aaaa", 1, epochs=1),
                          fake_run(runs, "20200101-110000-bbbb", 2, epochs=2,
                                   status="stopped")]
        before[case] = {r: _snapshot_files(runs / r) for r in finished[case]}
    with ThreadPoolExecutor(len(cases)) as pool:
        futures = {case: pool.submit(_kill_child, roots[case], where, sig)
                   for case, (sig, where) in cases.items()}
        killed_runs = {case: f.result() for case, f in futures.items()}
    for case, (sig, where) in cases.items():
        runs, (run_id, code, out) = roots[case], killed_runs[case]
        assert code == (128 + signal.SIGTERM if sig == signal.SIGTERM else -signal.SIGKILL), \
            (case, out[-3000:])
        listed = {r.run_id: r for r in RunStore(runs).list()}     # the restarted server
        assert set(listed) == {*finished[case], run_id}          # nothing lost, nothing extra
        for r in finished[case]:
            assert _snapshot_files(runs / r) == before[case][r]
        killed = listed[run_id]
        assert killed.owner == "browser-a"
        if sig == signal.SIGTERM:
            # the handler stopped the job, which saved its run before the process ended
            assert killed.status["status"] == "stopped", killed.status
            assert killed.status["reason"] == "the server was stopped"
            assert killed.weights_path.exists() and "test_accuracy" in killed.metrics
            assert "ENDED" not in out                # the process ended from the handler
        else:
            # cut off in the save: never shown as finished (nor as running forever)
            assert killed.status["status"] == "interrupted", killed.status
            assert killed.weights_path.exists()          # written whole before the kill
            assert not (runs / run_id / "predictions.npz").exists()
            assert "test_accuracy" not in killed.metrics
        # every file a reader opens is whole (each write was a rename of a complete file)
        for r in listed.values():
            for name in ("config.json", "status.json", "metrics.json", "progress.json"):
                if (r.path / name).exists():
                    json.loads((r.path / name).read_text())


# --- two server processes, one runs folder ---------------------------------------------

WRITER = textwrap.dedent("""
    import json, secrets, sys, time
    from pathlib import Path
    import numpy as np
    import cvlib.runs as runs
    from cvlib.runs import RunStore

    name, root, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    # 16 possible ids, all in the same second: the two processes collide for sure
    runs.new_run_id = lambda: "20260101-000000-" + secrets.token_hex(1)[0] + "000"
    while not (root / "go").exists():
        time.sleep(0.005)
    store = RunStore(root / "runs", owner="browser-a")
    mine = []
    for i in range(n):
        run = store.create({"writer": name, "i": i})
        store.write_history(run, {"loss": [1.0, 0.5]})
        store.write_predictions(run, np.full((50, 10), 0.1), np.arange(50) % 10)
        store.write_metrics(run, {"test_accuracy": 0.5, "writer": name})
        store.set_status(run, "finished")
        mine.append(run)
    (root / f"done-{name}").write_text("")
    while not all((root / f"done-{w}").exists() for w in ("a", "b")):
        time.sleep(0.005)
    seen = {r.run_id: [r.status["status"], r.config.get("writer"),
                       r.metrics.get("writer")] for r in store.list()}
    print(json.dumps({"mine": mine, "seen": seen}))
""")


def test_two_processes_share_one_runs_folder(tmp_path):
    n = 6
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = {w: subprocess.Popen([sys.executable, "-c", WRITER, w, str(tmp_path), str(n)],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for w in ("a", "b")}
    (tmp_path / "go").write_text("")
    reader = RunStore(tmp_path / "runs")
    deadline = time.time() + 120
    while any(p.poll() is None for p in procs.values()) and time.time() < deadline:
        for r in reader.list():                       # a third reader while both write
            assert r.status["status"] in ("running", "finished"), r.status
        time.sleep(0.01)
    results = {}
    for w, p in procs.items():
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err[-3000:]
        results[w] = json.loads(out.strip().splitlines()[-1])
    a, b = set(results["a"]["mine"]), set(results["b"]["mine"])
    assert len(a) == len(b) == n and not a & b                  # unique ids across processes
    for w in ("a", "b"):                                        # each lists the other's runs
        seen = results[w]["seen"]
        assert set(seen) == a | b
        for run, (status, writer, metrics_writer) in seen.items():
            owner = "a" if run in a else "b"
            assert status == "finished" and writer == metrics_writer == owner, (run, seen)
    assert _stray_temp_files(tmp_path / "runs") == []
