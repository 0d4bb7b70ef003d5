""""Copy as code" scripts run as is; the CLI fails with one line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cvlib.codegen import keras_script
from cvlib.train import PAGE_RECIPE, TrainConfig
from tests.conftest import ROOT, skip_or_fail


@pytest.mark.parametrize("kwargs", [
    {}, {"batchnorm": True, "dropout": 0.3, "l1": 1e-5, "l2": 1e-4},
    {"augment": True, "early_stopping": True, "lr_schedule": "cosine", "optimizer": "rmsprop"},
    {"dataset": "fashion_mnist", "optimizer": "sgd"}, {"optimizer": "momentum"},
    {"optimizer": "nesterov", "lr_schedule": "warmup_cosine"}, {"label_smoothing": 0.1},
    PAGE_RECIPE,
])
def test_generated_script_is_valid_python(kwargs):
    code = keras_script(TrainConfig(**kwargs))
    compile(code, "generated.py", "exec")
    assert "import cvlib" not in code


@pytest.mark.parametrize("kwargs", [
    {"dataset": "cifar10", "arch": "resnet9"},
])
def test_generated_script_refuses_what_it_cannot_write(kwargs):
    with pytest.raises(ValueError, match="worked-example CNN only"):
        keras_script(TrainConfig(**kwargs))


def test_generated_script_runs_as_is(tmp_path):
    if not os.environ.get("CVLIB_DATA_DIR"):
        skip_or_fail("the generated script reads CVLIB_DATA_DIR or downloads; tests never download")
    script = tmp_path / "train.py"
    # the Train page's recipe (label smoothing: one-hot targets in the script)
    script.write_text(keras_script(TrainConfig(**{**PAGE_RECIPE, "train_size": 500,
                                                  "dropout": 0.2})))
    env = {**os.environ, "CVLIB_DATA_DIR": os.path.abspath(os.environ["CVLIB_DATA_DIR"])}
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("test accuracy:")][-1]
    assert 0.2 < float(line.split(":")[1]) <= 1.0


def test_cli_rejects_bad_settings_in_one_line():
    out = subprocess.run([sys.executable, "-m", "cvlib", "train", "--epochs", "0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: epochs must be in")
    assert "Traceback" not in out.stderr


def test_cli_evaluate_prints_json():
    import json
    out = subprocess.run([sys.executable, "-m", "cvlib", "evaluate", "--model", "mnist_cnn"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["model"] == "mnist_cnn" and result["test_accuracy"] >= 0.99


def test_cli_save_writes_weights_and_a_complete_manifest_entry(tmp_path):
    import json

    from cvlib import zoo
    env = {**os.environ, "CVLIB_MODELS_DIR": str(tmp_path)}
    if env.get("CVLIB_DATA_DIR"):
        env["CVLIB_DATA_DIR"] = os.path.abspath(env["CVLIB_DATA_DIR"])
    out = subprocess.run([sys.executable, "-m", "cvlib", "train", "--train-size", "500",
                          "--epochs", "1", "--verbose", "0", "--save", "tiny_cnn"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    if "offline subset" in out.stderr:          # no full MNIST here: refusing is right
        assert out.returncode == 2 and not (tmp_path / "tiny_cnn.weights.h5").exists()
        return
    assert out.returncode == 0, out.stderr[-2000:]
    entry = json.loads((tmp_path / "manifest.json").read_text())["models"]["tiny_cnn"]
    assert entry["task"] == "classify" and entry["config"]["train_size"] == 500
    assert entry["command"] == ("python -m cvlib train --train-size 500 --epochs 1 "
                                "--verbose 0 --save tiny_cnn")
    assert entry["sha256"] == zoo.sha256_file(tmp_path / "tiny_cnn.weights.h5")
    assert 0 <= entry["metrics"]["test_accuracy"] <= 1
