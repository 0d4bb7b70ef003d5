"""fit() learns, TrainingJob reports progress, stops within a second, keeps its weights."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from cvlib.jobs import job_queue
from cvlib.runs import RunStore
from cvlib.train import TrainConfig, TrainingJob, current_job, fit, model_from_run


def test_fit_on_1000_images_learns_well_above_chance():
    result = fit(TrainConfig(train_size=1000, epochs=3, seed=1))
    assert result.test_accuracy > 0.6          # chance is 0.1
    assert set(result.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(result.history["loss"]) == 3
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.model.count_params() == 93_322
    assert result.images_per_second > 0 and result.seconds > 0
    cm = result.confusion_matrix()
    assert cm.shape == (10, 10) and cm.sum() == len(result.y_test)
    assert np.trace(cm) / cm.sum() == pytest.approx(result.test_accuracy)


def test_fit_options_build_and_train():
    # every knob at once, tiny: the pipeline accepts them and still learns something
    result = fit(TrainConfig(train_size=600, epochs=2, batchnorm=True, dropout=0.3, l2=1e-4,
                             augment=True, optimizer="momentum", learning_rate=1e-2,
                             lr_schedule="cosine", early_stopping=True, patience=1,
                             filters=(8, 16, 16), dense=32))
    assert result.test_accuracy > 0.15
    assert result.model.count_params() < 93_322


def _wait_for_batches(job, n=3, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = job.snapshot()
        if s.status == "running" and (s.batch >= n or s.epoch > 1):
            return s
        if s.done:
            raise AssertionError(f"job ended early: {s.status} {s.error}")
        time.sleep(0.05)
    raise AssertionError("no progress")


def test_job_stop_returns_within_a_second_and_keeps_weights(tmp_path):
    store = RunStore(tmp_path / "runs")
    job = TrainingJob(TrainConfig(epochs=20, train_size=20000), store=store).start()
    try:
        snap = _wait_for_batches(job)
        assert snap.images_per_second > 0 and snap.eta_seconds is not None
        from cvlib.data import load_dataset
        n = min(20000, len(load_dataset("mnist")[0]))     # the offline subset has 4,000
        assert snap.steps_per_epoch == -(-(n - round(n * 0.1)) // 64)
        assert job.stop()      # stop() only signals; how fast it returns is in bench/
        assert job.join(30)
    finally:
        job.stop()
        job.join(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.reason == "stopped by the user"
    result = job.result
    assert result.stopped and result.epochs_completed <= 1
    assert result.test_accuracy > 0.3           # what it learned so far is kept
    record = store.get(job.run_id)
    assert record.status["status"] == "stopped"
    reloaded = model_from_run(record)
    for a, b in zip(reloaded.get_weights(), result.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert (record.path / "tb" / "train").exists()    # TensorBoard logs


def test_second_job_waits_its_turn_and_starts_by_itself():
    queue = job_queue()
    workers = queue.workers
    queue.set_workers(1)                        # as on a 2-core server
    job = TrainingJob(TrainConfig(epochs=20, train_size=20000)).start()
    job2 = None
    try:
        _wait_for_batches(job, n=1)
        assert current_job() is job
        job2 = TrainingJob(TrainConfig(train_size=500, epochs=1)).start()
        s = job2.snapshot()
        assert (s.status, s.position, job2.running) == ("queued", 1, True)
        assert job.running                      # the first one lost nothing
    finally:
        job.stop()
        job.join(30)
        queue.set_workers(workers)
    assert job2.join(60) and job2.snapshot().status == "finished"   # started when job ended
    assert current_job() is None


def test_finished_job_writes_the_whole_run(tmp_path):
    store = RunStore(tmp_path / "runs")
    job = TrainingJob(TrainConfig(train_size=500, epochs=2), store=store).start()
    assert job.join(120)
    snap = job.snapshot()
    assert snap.status == "finished" and snap.fraction == pytest.approx(1.0)
    record = store.get(job.run_id)
    assert record.status["status"] == "finished"
    assert len(record.history["loss"]) == 2 and record.history["epoch_progress"] == [1.0, 2.0]
    assert record.metrics["test_accuracy"] == pytest.approx(job.result.test_accuracy)
    probs, labels = record.predictions()
    assert probs.shape == (len(labels), 10)
    assert record.weights_path.exists()
    assert [r.run_id for r in store.list()] == [job.run_id]


def test_stop_from_another_thread_during_fit():
    stop = threading.Event()
    timer = threading.Timer(3.0, stop.set)
    timer.start()
    result = fit(TrainConfig(epochs=20, train_size=20000), stop_event=stop)
    # stopped early (the behaviour; bench/ measures how soon) with the weights learned so far
    assert result.stopped and result.epochs_completed < 20
    assert result.model is not None and 0.0 <= result.test_accuracy <= 1.0
