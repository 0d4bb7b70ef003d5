"""The offline data chain: CVLIB_DATA_DIR, Keras cache, packaged subset; clear errors."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from cvlib import data


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No CVLIB_DATA_DIR, an empty Keras cache, and no network at all."""
    monkeypatch.delenv("CVLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras"))

    def refuse(*args, **kwargs):
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def test_offline_fallback_uses_packaged_real_digits(offline):
    x, y, info = data.load_dataset("mnist", "train")
    xt, yt, tinfo = data.load_dataset("mnist", "test")
    assert info.source == tinfo.source == "packaged-subset"
    assert info.subset and "python -m cvlib fetch mnist" in info.note
    assert x.shape == (4000, 28, 28) and x.dtype == np.uint8
    assert xt.shape == (1000, 28, 28)
    # real digits, every class present in both parts, in shuffled order
    assert np.bincount(y, minlength=10).min() == 400
    assert np.bincount(yt, minlength=10).tolist() == [100] * 10
    assert len(set(y[:20].tolist())) > 3
    assert 0.05 < (x > 128).mean() < 0.3          # ink on a dark background, like MNIST
    assert data.availability("mnist") == "subset"


def test_offline_fashion_missing_says_how_to_get_it(offline):
    with pytest.raises(data.DatasetUnavailable) as err:
        data.load_dataset("fashion_mnist")
    msg = str(err.value)
    assert "python -m cvlib fetch fashion_mnist" in msg and "CVLIB_DATA_DIR" in msg
    assert "\n" not in msg
    assert data.availability("fashion_mnist") == "missing"


def test_data_dir_is_used_first(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "mnist.npz",
             x_train=rng.integers(0, 255, (50, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 50, dtype=np.uint8),
             x_test=rng.integers(0, 255, (20, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 20, dtype=np.uint8))
    monkeypatch.setenv("CVLIB_DATA_DIR", str(tmp_path))
    x, y, info = data.load_dataset("mnist", "test")
    assert info.source == "CVLIB_DATA_DIR" and not info.subset
    assert x.shape == (20, 28, 28) and y.dtype == np.int64
    assert not x.flags.writeable       # shared, cached arrays are read-only


def test_broken_file_falls_through_to_the_next_source(monkeypatch, tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"this is not a zip file")
    monkeypatch.setenv("CVLIB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras"))
    x, y, info = data.load_dataset("mnist", "train")
    assert info.source == "packaged-subset"


def test_fashion_idx_reader(monkeypatch, tmp_path):
    import gzip
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for prefix, n in (("train", 30), ("t10k", 10)):
        imgs = np.arange(n * 784, dtype=np.uint32).astype(np.uint8)
        with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + imgs.tobytes())
        with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + (np.arange(n) % 10).astype(np.uint8).tobytes())
    monkeypatch.setenv("CVLIB_DATA_DIR", str(tmp_path))
    x, y, info = data.load_dataset("fashion_mnist", "test")
    assert x.shape == (10, 28, 28) and y.tolist() == list(range(10))
    assert info.class_names[9] == "Ankle boot"


@pytest.mark.parametrize("name,split", [("imagenet", "train"), ("mnist", "validation")])
def test_bad_names_are_refused(name, split):
    with pytest.raises(ValueError, match="must be one of"):
        data.load_dataset(name, split)


def test_full_data_when_available():
    """Whatever source the chain finds, the arrays have the documented layout."""
    x, y, info = data.load_dataset("mnist", "test")
    assert x.ndim == 3 and x.shape[1:] == (28, 28) and len(x) == len(y)
    if info.source == "CVLIB_DATA_DIR":
        assert len(x) == 10000
