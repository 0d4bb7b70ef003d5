"""One model registry for every page: shipped weights, Keras-cache models, sha256 checks.

A model is code + weights: the architecture is built by ``cvlib.nets`` and the weights
come from a ``.weights.h5`` file whose sha256 is recorded in ``models/manifest.json``.
Nothing here calls ``keras.models.load_model`` or unpickles a file.

Adding a model is one decorated builder::

    @register("mnist_cnn", task="classify", source="shipped", dataset="mnist")
    def _mnist_cnn(entry):
        return _cnn_from_manifest(entry)

and every page that fits its task picks it up through :func:`list_models`.

Sources:
    shipped      weights in ``models/`` (this repository), checked against the manifest.
    keras-cache  ImageNet weights in the Keras cache (``~/.keras/models``), downloaded
                 there by ``python -m cvlib fetch NAME`` when online; missing offline.
    package      weights inside an installed Python package (``cache_file`` names the
                 module, e.g. ``mtcnn``); "shipped" while that package is installed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cvlib import TASKS, CVLibError


class UnknownModel(CVLibError, KeyError):
    def __str__(self):  # KeyError would quote the message
        return str(self.args[0])


class ModelUnavailable(CVLibError):
    """The model's weights are not on this machine (e.g. ImageNet weights offline)."""


class ModelIntegrityError(ModelUnavailable):
    """A weights file does not match the sha256 in the manifest. A kind of
    :class:`ModelUnavailable` (the model cannot be used here), so a page that offers the
    other models when one is missing does the same for a damaged one."""


@dataclass(frozen=True)
class ModelEntry:
    """A registered model.

    Attributes:
        name: registry name, e.g. "mnist_cnn".
        task: one of TASKS.
        source: "shipped" or "keras-cache".
        builder: ``builder(entry) -> keras.Model`` with random weights (no download).
        dataset: what it was trained on ("mnist", "imagenet" ...).
        cache_file: for keras-cache models, the weights file name in ~/.keras/models.
        description: one line for the UI.
        loader: for keras-cache models, ``loader() -> keras.Model`` with the real weights.
    """

    name: str
    task: str
    source: str
    builder: Callable
    dataset: str = ""
    cache_file: str = ""
    description: str = ""
    loader: Callable | None = None
    extra: dict = field(default_factory=dict)


_REGISTRY: dict[str, ModelEntry] = {}


def register(name: str, *, task: str, source: str = "shipped", dataset: str = "",
             cache_file: str = "", description: str = "", loader: Callable | None = None):
    """Decorator: register ``builder(entry) -> keras.Model`` under ``name``."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}; got {task!r}.")

    def deco(builder):
        _REGISTRY[name] = ModelEntry(name, task, source, builder, dataset, cache_file,
                                     description, loader)
        return builder
    return deco


def models_dir() -> Path:
    """``$CVLIB_MODELS_DIR`` or the repository's ``models/`` folder."""
    value = os.environ.get("CVLIB_MODELS_DIR", "").strip()
    return Path(value) if value else Path(__file__).resolve().parent.parent / "models"


def keras_models_dir() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def read_manifest() -> dict:
    p = models_dir() / "manifest.json"
    if not p.exists():
        return {"models": {}}
    return json.loads(p.read_text())


def write_manifest(manifest: dict) -> None:
    from cvlib.runs import atomic_write_json
    atomic_write_json(models_dir() / "manifest.json", manifest)


def list_models(task: str | None = None) -> list[str]:
    """Names of registered models, optionally for one task, shipped ones first."""
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}; got {task!r}.")
    entries = [e for e in _REGISTRY.values() if task is None or e.task == task]
    return [e.name for e in sorted(entries, key=lambda e: (e.source != "shipped", e.name))]


def available_models(*tasks: str) -> list[str]:
    """Names of the registered models of ``tasks`` (all tasks when none are given, else
    task by task in that order) that can be used now: :func:`status` is not "missing"
    (shipped, or downloaded into the Keras cache).

    Raises:
        ValueError: a task that is not one of ``cvlib.TASKS``.
    """
    names = [n for task in (tasks or (None,)) for n in list_models(task)]
    return [n for n in names if status(n) != "missing"]


def get(name: str) -> ModelEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModel(f"Unknown model {name!r}. Available: {', '.join(list_models())}.",
                           kind="model_unknown", name=str(name),
                           available=", ".join(list_models())) from None


def manifest_entry(name: str) -> dict:
    entry = read_manifest().get("models", {}).get(name)
    if entry is None:
        raise ModelUnavailable(
            f"{name} has no entry in {models_dir() / 'manifest.json'}: train it with "
            f"`python -m cvlib train ... --save {name}`.", kind="model_no_manifest",
            name=name, manifest=str(models_dir() / "manifest.json"))
    return entry


def status(name: str) -> str:
    """"shipped", "cached" or "missing" (cheap: no TensorFlow, no hashing)."""
    e = get(name)
    if e.source == "shipped":
        m = read_manifest().get("models", {}).get(name)
        return "shipped" if m and (models_dir() / m["file"]).exists() else "missing"
    if e.source == "package":
        import importlib.util
        return "shipped" if importlib.util.find_spec(e.cache_file) else "missing"
    return "cached" if (keras_models_dir() / e.cache_file).exists() else "missing"


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verified_weights_path(name: str) -> Path:
    """The shipped weights file of ``name`` after checking its sha256 against the manifest."""
    m = manifest_entry(name)
    path = models_dir() / m["file"]
    if not path.exists():
        raise ModelUnavailable(f"{path} is missing. Restore it (git checkout models/) or "
                               f"retrain it with: {m.get('command', 'python -m cvlib train')}",
                               kind="model_file_missing", path=str(path),
                               command=m.get("command", "python -m cvlib train"))
    got = sha256_file(path)
    if got != m["sha256"]:
        raise ModelIntegrityError(
            f"{path.name} does not match its sha256 in manifest.json (expected "
            f"{m['sha256'][:12]}…, got {got[:12]}…): the file is damaged or was replaced, so "
            f"it is refused. Restore it (git checkout models/) or retrain it with: "
            f"{m.get('command', 'python -m cvlib train')}", kind="model_sha256",
            file=path.name, expected=m["sha256"][:12], got=got[:12],
            command=m.get("command", "python -m cvlib train"))
    return path


def build(name: str):
    """The architecture of ``name`` with random weights (never downloads)."""
    e = get(name)
    return e.builder(e)


@functools.lru_cache(maxsize=16)
def _load_cached(name: str, sha: str):
    e = get(name)
    if e.source == "shipped":
        path = verified_weights_path(name)
        model = e.builder(e)
        model.load_weights(str(path))
        return model
    if e.source == "package":
        return e.loader()
    if status(name) != "cached":
        raise ModelUnavailable(
            f"{name} needs {e.dataset} weights that are not in the Keras cache "
            f"({keras_models_dir()}) and cannot be downloaded offline. Run "
            f"`python -m cvlib fetch {name}` once while online; meanwhile use "
            f"{' or '.join(n for n in list_models(e.task) if get(n).source == 'shipped')}.",
            kind="model_needs_cache", name=name, dataset=e.dataset,
            dir=str(keras_models_dir()),
            shipped=", ".join(n for n in list_models(e.task) if get(n).source == "shipped"))
    return e.loader()


def load(name: str):
    """The model ``name`` with its trained weights (sha256-checked, cached per process).

    Raises:
        UnknownModel: no such name (the message lists the available ones).
        ModelUnavailable: weights missing (offline ImageNet, deleted file).
        ModelIntegrityError: the weights file does not match the manifest.
    """
    e = get(name)
    sha = manifest_entry(name)["sha256"] if e.source == "shipped" else ""
    return _load_cached(name, sha)


def class_names(name: str) -> list[str]:
    e = get(name)
    if e.source == "shipped":
        m = manifest_entry(name)
        return list(m.get("class_names") or [])
    return list(e.extra.get("class_names", []))


def fetch(name: str) -> Path:
    """Download a keras-cache model's weights (online only)."""
    e = get(name)
    if e.source != "keras-cache":
        raise ValueError(f"{name} ships with CV Lab; there is nothing to fetch.")
    try:
        e.loader()
    except Exception as exc:
        raise ModelUnavailable(f"Could not download the weights of {name} ({exc}). "
                               f"Are you online?", kind="model_download", name=name,
                               detail=str(exc)) from exc
    return keras_models_dir() / e.cache_file


# --- the registry -----------------------------------------------------------------------

def _cnn_from_manifest(entry: ModelEntry):
    """Architecture of a model trained by `python -m cvlib train`, from its manifest config."""
    from cvlib.nets import build_classifier
    m = manifest_entry(entry.name)
    return build_classifier(m["config"], tuple(m.get("input_shape", (28, 28, 1))),
                            len(m.get("class_names") or range(10)), name=entry.name)


@register("mnist_cnn", task="classify", dataset="mnist",
          description="The worked-example CNN trained on MNIST digits (shipped).")
def _mnist_cnn(entry):
    return _cnn_from_manifest(entry)


@register("fashion_cnn", task="classify", dataset="fashion_mnist",
          description="A CNN trained on Fashion-MNIST clothes (shipped).")
def _fashion_cnn(entry):
    return _cnn_from_manifest(entry)


@register("cifar_cnn", task="classify", dataset="cifar10",
          description="A ResNet-9 (half width) trained on CIFAR-10 photos; knows only its "
                      "10 classes (shipped).")
def _cifar_cnn(entry):
    return _cnn_from_manifest(entry)


def _gan_from_manifest(entry: ModelEntry):
    """Generator of a GAN trained by `python -m cvlib train --task gan`, from its manifest."""
    from cvlib.nets import build_cgan_generator
    m = manifest_entry(entry.name)
    return build_cgan_generator(m["config"], len(m.get("class_names") or range(10)),
                                name=entry.name)


@register("cgan_mnist", task="generate", dataset="mnist",
          description="A conditional DCGAN that draws MNIST digits of a chosen class (shipped).")
def _cgan_mnist(entry):
    return _gan_from_manifest(entry)


@register("cgan_fashion", task="generate", dataset="fashion_mnist",
          description="A conditional DCGAN that draws Fashion-MNIST clothes of a chosen class "
                      "(shipped).")
def _cgan_fashion(entry):
    return _gan_from_manifest(entry)


def _keras_app(fn_name: str, **kwargs):
    def builder(entry):
        import keras
        return getattr(keras.applications, fn_name)(weights=None, **kwargs)

    def loader():
        import keras
        return getattr(keras.applications, fn_name)(weights="imagenet", **kwargs)
    return builder, loader


for _name, _fn, _file, _desc in [
    ("mobilenet_v3_small", "MobileNetV3Small", "weights_mobilenet_v3_small_224_1.0_float.h5",
     "MobileNetV3Small, ImageNet 1,000 classes (needs the Keras cache)."),
    ("efficientnet_v2_b0", "EfficientNetV2B0", "efficientnetv2-b0.h5",
     "EfficientNetV2B0, ImageNet 1,000 classes (needs the Keras cache)."),
    ("resnet50", "ResNet50", "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
     "ResNet50, ImageNet 1,000 classes (needs the Keras cache)."),
]:
    _b, _l = _keras_app(_fn)
    register(_name, task="classify", source="keras-cache", dataset="imagenet",
             cache_file=_file, description=_desc, loader=_l)(_b)


# Real photos: MTCNN faces (weights inside the mtcnn wheel) and keras-cv's DeepLabV3+ for
# Pascal VOC (weights fetched into the Keras cache when online); both built by cvlib/nets.
def _mtcnn():
    from cvlib.nets.mtcnn import build_mtcnn
    return build_mtcnn()


@register("faces_mtcnn", task="detect", source="package", dataset="wider_face",
          cache_file="mtcnn", loader=_mtcnn,
          description="MTCNN: faces with five landmarks in real photos (weights ship "
                      "inside the mtcnn package).")
def _faces_mtcnn(entry):
    return _mtcnn()


def _voc_weights():
    from cvlib.nets.deeplab import load_voc
    return load_voc()


@register("deeplab_v3_plus_voc", task="segment", source="keras-cache", dataset="pascal_voc",
          cache_file="deeplab_v3_plus_resnet50_pascalvoc.weights.h5", loader=_voc_weights,
          description="keras-cv DeepLabV3+ (ResNet50-V2), Pascal VOC 21 classes (needs the "
                      "Keras cache).")
def _deeplab_v3_plus_voc(entry):
    from cvlib.nets.deeplab import build_voc
    return build_voc()


def _scene_net_from_manifest(entry: ModelEntry, kind: str):
    """U-Net / centre-point detector of a model trained by ``python -m cvlib train --task
    segment|detect``, from its manifest spec (the default spec while none is trained)."""
    m = read_manifest().get("models", {}).get(entry.name) or {}
    spec = dict(m.get("spec") or {})
    if kind == "segment":
        from cvlib.nets.unet import UNetSpec, build_unet
        spec = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
        return build_unet(UNetSpec(**spec), name=entry.name)
    from cvlib.nets.centernet import CenterNetSpec, build_centernet
    spec = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
    return build_centernet(CenterNetSpec(**spec), name=entry.name)


@register("digit_segmenter", task="segment", dataset="digit_scenes",
          description="A compact U-Net that labels every pixel of a digit scene as "
                      "background or one of the digits 0-9 (shipped).")
def _digit_segmenter(entry):
    return _scene_net_from_manifest(entry, "segment")


@register("digit_detector", task="detect", dataset="digit_scenes",
          description="A small centre-point (CenterNet-style) detector that boxes the "
                      "digits 0-9 in a digit scene (shipped).")
def _digit_detector(entry):
    return _scene_net_from_manifest(entry, "detect")


@register("digit_motion", task="sequence", dataset="moving_digits",
          description="A CNN+GRU that watches a 20-frame moving-digit clip and tells the "
                      "digit's direction (8 ways) and the digit (shipped).")
def _digit_motion(entry):
    from cvlib.nets.rnn import SequenceSpec, build
    spec = (read_manifest().get("models", {}).get(entry.name) or {}).get("spec") or {}
    return build(SequenceSpec.from_dict(spec), name=entry.name)
