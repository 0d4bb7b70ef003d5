"""Model registry: listing, sha256 checks, shipped accuracy, ImageNet offline message."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from cvlib import zoo
from tests.conftest import skip_or_fail


def test_registry_lists_by_task_shipped_first():
    names = zoo.list_models("classify")
    assert names[:3] == ["cifar_cnn", "fashion_cnn", "mnist_cnn"]
    assert "mobilenet_v3_small" in names
    with pytest.raises(ValueError):
        zoo.list_models("dance")


def test_unknown_model_names_the_available_ones():
    with pytest.raises(zoo.UnknownModel) as err:
        zoo.get("mnist_cn")
    assert "mnist_cn" in str(err.value) and "mnist_cnn" in str(err.value)


@pytest.mark.parametrize("name", ["mnist_cnn", "fashion_cnn", "cifar_cnn"])
def test_manifest_entry_is_complete_and_matches_the_file(name):
    m = zoo.manifest_entry(name)
    for key in ("file", "sha256", "command", "metrics", "config", "class_names", "dataset"):
        assert key in m, key
    assert m["command"].startswith("python -m cvlib train")
    path = zoo.models_dir() / m["file"]
    assert zoo.sha256_file(path) == m["sha256"]
    assert path.stat().st_size < 10 * 1024 * 1024
    assert zoo.status(name) == "shipped"


def test_sha256_mismatch_is_refused(tmp_path, monkeypatch):
    shutil.copytree(zoo.models_dir(), tmp_path / "models")
    target = tmp_path / "models" / "mnist_cnn.weights.h5"
    data = bytearray(target.read_bytes())
    data[-100] ^= 0xFF                        # one flipped byte
    target.write_bytes(bytes(data))
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path / "models"))
    with pytest.raises(zoo.ModelIntegrityError) as err:
        zoo.verified_weights_path("mnist_cnn")
    msg = str(err.value)
    assert "does not match its sha256" in msg and "python -m cvlib train" in msg
    # load() refuses it too (and does not serve a cached copy of the good file)
    monkeypatch.setattr(zoo, "_load_cached", zoo._load_cached.__wrapped__)
    with pytest.raises(zoo.ModelIntegrityError):
        zoo.load("mnist_cnn")


def test_imagenet_offline_gives_one_plain_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    assert zoo.status("mobilenet_v3_small") == "missing"
    with pytest.raises(zoo.ModelUnavailable) as err:
        zoo.load("mobilenet_v3_small")
    msg = str(err.value)
    assert "\n" not in msg
    assert "python -m cvlib fetch mobilenet_v3_small" in msg and "mnist_cnn" in msg


def test_imagenet_architecture_builds_with_random_weights():
    model = zoo.build("mobilenet_v3_small")     # weights=None: never downloads
    assert model.output_shape == (None, 1000)


def test_shipped_mnist_scores_99_on_the_packaged_digits():
    from cvlib.data import _read_packaged_mnist
    from cvlib.train import predict_probs
    arrays, _ = _read_packaged_mnist()
    x = np.concatenate([arrays["x_train"], arrays["x_test"]])[..., None]
    y = np.concatenate([arrays["y_train"], arrays["y_test"]])
    assert len(y) == 5000
    acc = (predict_probs(zoo.load("mnist_cnn"), x).argmax(1) == y).mean()
    assert acc >= 0.99, acc


@pytest.mark.slow
# cifar_cnn: the goal is 0.88 (the shipped ResNet-9 measured 0.8912).
@pytest.mark.parametrize("name,goal", [("mnist_cnn", 0.992), ("fashion_cnn", 0.915),
                                       ("cifar_cnn", 0.88)])
def test_shipped_models_meet_their_goal_on_the_test_set(name, goal):
    from cvlib.data import DatasetUnavailable, load_dataset
    from cvlib.train import predict_probs
    try:
        x, y, info = load_dataset(zoo.manifest_entry(name)["dataset"], "test")
    except DatasetUnavailable as exc:
        skip_or_fail(f"no test set offline: {exc}")
    if info.subset:
        skip_or_fail("only the offline subset is available; the 5,000-digit check covers it")
    acc = (predict_probs(zoo.load(name), x[..., None] if x.ndim == 3 else x).argmax(1)
           == y).mean()
    assert acc >= goal
    assert acc == pytest.approx(zoo.manifest_entry(name)["metrics"]["test_accuracy"], abs=1e-4)


def test_available_models_are_the_usable_ones_task_by_task(tmp_path, monkeypatch):
    """What the pages offer: registered models whose weights are here, in the order of
    the tasks asked for; a model whose file is gone drops out."""
    from cvlib import zoo
    names = zoo.available_models("detect", "classify")
    want = [n for t in ("detect", "classify") for n in zoo.list_models(t)
            if zoo.status(n) != "missing"]
    assert names == want and "mnist_cnn" in names
    assert names.index("mnist_cnn") > max(names.index(n) for n in zoo.list_models("detect")
                                          if n in names)
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path))    # an empty models folder
    assert "mnist_cnn" not in zoo.available_models("classify")
    assert set(zoo.available_models()) <= set(zoo.list_models())
