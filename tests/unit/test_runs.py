"""Runs on disk: atomic files, CSV history round trip, listing, deleting."""

from __future__ import annotations

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
