"""Training under tf.distribute (``TrainConfig(distribute=...)``, ``--distribute``).

The slow tests train the same small recipe (800 MNIST training images, 1 epoch, a
narrow CNN) on one device, under ``MirroredStrategy`` over two logical CPU devices in
one process, and under ``MultiWorkerMirroredStrategy`` in two worker processes on this
machine (a ``TF_CONFIG`` on localhost ports), and compare test accuracies.

"Within noise" here: synchronous data parallelism averages the replicas' gradients over
the same global batch of ``batch_size`` images, which is the update one device makes on
that batch, so a distributed run with the same seed may differ from the single-device run
only through floating-point summation order. The noise it must stay within is that of the
recipe itself: the spread between two single-device seeds (0 and 1), measured in the same
test (4.3 points when written: 81.29% and 76.96%), and never less than 1 point (the
binomial standard deviation of an accuracy near 0.8 on 10,000 test images is 0.4 points).
Measured differences from the same-seed single-device run: 0.00 points (mirrored and
two workers both gave 81.29%, with the same test loss).

Every process is a fresh one: logical devices must be configured before TensorFlow
initialises, and a multi-worker strategy must be created before any other TF operation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cvlib import CVLibError
from cvlib.train import DistributeError, TrainConfig, cluster_task, is_chief
from tests.conftest import ROOT
from tests.e2e.conftest import free_port

# The shared recipe: about 45 steps of 16 images, so that it learns (~80%) in seconds.
RECIPE = dict(train_size=800, validation_split=0.1, epochs=1, batch_size=16,
              filters=(16, 32, 32), dense=64, learning_rate=3e-3, lr_schedule="constant")
CLI_RECIPE = ["--train-size", "800", "--validation-split", "0.1", "--epochs", "1",
              "--batch-size", "16", "--filters", "16,32,32", "--dense", "64",
              "--lr", "3e-3", "--lr-schedule", "constant"]
TIMEOUT = 300   # seconds for a process; a worker whose peer never comes waits forever

# One process, two logical CPU devices: single-device seeds 0 and 1, then mirrored seed 0.
ONE_PROCESS = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from cvlib.train import TrainConfig, fit
recipe = json.loads(sys.argv[1])
out = {"devices": len(tf.config.list_logical_devices("CPU"))}
for name, seed, distribute in (("single0", 0, "none"), ("single1", 1, "none"),
                               ("mirrored0", 0, "mirrored")):
    r = fit(TrainConfig(seed=seed, distribute=distribute, **recipe))
    out[name] = {"accuracy": r.test_accuracy, "loss": r.test_loss, "replicas": r.replicas,
                 "chief": r.chief, "epochs": r.epochs_completed}
print(json.dumps(out))
"""


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", **extra)
    return env


def _last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def _noise(runs: dict) -> float:
    """The recipe's own noise: the single-device seed-to-seed spread, at least 1 point."""
    return max(0.01, abs(runs["single0"]["accuracy"] - runs["single1"]["accuracy"]))


@pytest.fixture(scope="module")
def one_process():
    recipe = dict(RECIPE, filters=list(RECIPE["filters"]))
    proc = subprocess.run([sys.executable, "-c", ONE_PROCESS, json.dumps(recipe)], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return _last_json(proc.stdout)


# --- settings and TF_CONFIG (fast) --------------------------------------------------------

def test_distribute_is_validated():
    assert TrainConfig().distribute == "none"
    with pytest.raises(ValueError, match="distribute must be one of 'none', 'mirrored'"):
        TrainConfig(distribute="horovod")
    assert TrainConfig.from_dict(TrainConfig(distribute="mirrored").to_dict()).distribute \
        == "mirrored"


def _tf_config(monkeypatch, index, kind="worker", chief=False):
    cluster = {"worker": ["localhost:1", "localhost:2"]}
    if chief:
        cluster["chief"] = ["localhost:3"]
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster,
                                                "task": {"type": kind, "index": index}}))


def test_the_chief_is_worker_0_or_the_listed_chief(monkeypatch):
    multi = TrainConfig(distribute="multiworker")
    _tf_config(monkeypatch, 0)
    assert cluster_task() == ("worker", 0, 2) and is_chief(multi)
    _tf_config(monkeypatch, 1)
    assert not is_chief(multi)
    assert is_chief(TrainConfig(distribute="mirrored"))   # TF_CONFIG concerns multiworker only
    _tf_config(monkeypatch, 0, chief=True)
    assert cluster_task() == ("worker", 0, 3) and not is_chief(multi)
    _tf_config(monkeypatch, 0, kind="chief", chief=True)
    assert is_chief(multi)


@pytest.mark.parametrize("value, says", [
    (None, "TF_CONFIG to describe the cluster; it is not set"),
    ("{not json", "TF_CONFIG must be JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', "TF_CONFIG must be JSON"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}',
     "TF_CONFIG must be JSON"),
])
def test_a_missing_or_broken_tf_config_is_a_plain_error(monkeypatch, value, says):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(DistributeError, match=says) as err:
        cluster_task()
    assert isinstance(err.value, CVLibError) and "distribute='mirrored'" in str(err.value)


def test_cli_without_tf_config_says_so_in_one_line(monkeypatch, capsys):
    from cvlib.__main__ import main
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert main(["train", "--distribute", "multiworker", "--train-size", "200",
                 "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: distribute='multiworker' needs TF_CONFIG") and \
        "Traceback" not in err
    assert main(["train", "--task", "gan", "--distribute", "mirrored"]) == 2
    assert "--distribute trains the classifier" in capsys.readouterr().err


# --- training (slow: fresh TensorFlow processes) ------------------------------------------

@pytest.mark.slow
def test_mirrored_over_two_logical_cpus_matches_one_device(one_process):
    runs = one_process
    assert runs["devices"] == 2
    assert runs["single0"]["replicas"] == 1 and runs["mirrored0"]["replicas"] == 2
    assert runs["mirrored0"]["chief"] and runs["mirrored0"]["epochs"] == 1
    assert runs["single0"]["accuracy"] > 0.5, runs            # it learned (chance: 0.1)
    assert abs(runs["mirrored0"]["accuracy"] - runs["single0"]["accuracy"]) <= _noise(runs), \
        runs


@pytest.mark.slow
def test_two_workers_on_localhost_train_in_sync_and_only_the_chief_saves(one_process,
                                                                          tmp_path):
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    procs, models = [], []
    for index in (0, 1):
        models.append(tmp_path / f"worker{index}" / "models")
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "cvlib", "train", "--distribute", "multiworker",
             *CLI_RECIPE, "--save", "dist_mnist", "--allow-subset", "--verbose", "0"],
            cwd=ROOT, env=_env(TF_CONFIG=tf_config, CVLIB_MODELS_DIR=str(models[-1])),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = []
    try:
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, stderr[-3000:]
            outs.append(_last_json(stdout))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    chief, worker = outs
    assert [o["chief"] for o in outs] == [True, False]
    assert chief["replicas"] == worker["replicas"] == 2
    # One model kept in sync: both evaluate the same weights on the same test set.
    assert (chief["test_accuracy"], chief["test_loss"]) == \
        (worker["test_accuracy"], worker["test_loss"])
    # Only the chief saved (weights + manifest entry with the command); the worker's
    # save went to a temporary folder that is gone.
    assert chief["saved"] == str(models[0] / "dist_mnist.weights.h5") and "saved" not in worker
    entry = json.loads((models[0] / "manifest.json").read_text())["models"]["dist_mnist"]
    assert "--distribute multiworker" in entry["command"]
    assert entry["config"]["distribute"] == "multiworker"
    assert not models[1].exists()
    assert abs(chief["test_accuracy"] - one_process["single0"]["accuracy"]) \
        <= _noise(one_process), (chief, one_process)
