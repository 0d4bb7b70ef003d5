"""A user's own model file, opened without running anything in it.

Length (~900 lines, on purpose): the zip, JSON, HDF5 and architecture checks are one
pipeline whose every refusal has its own plain message; nothing here is used elsewhere.

The Train page downloads a run as ``<name>.weights.h5`` (the weights alone) or
``<name>.keras`` (a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``).
:func:`load_user_classifier` takes such a file back from a user and returns a
:class:`cvlib.recognize.Classifier`, under one rule (DESIGN.md): **a model is code +
weights**. The architecture is always built by :mod:`cvlib.nets` from code; the file only
ever supplies numbers, and only after it has been checked.

Why not ``keras.saving.load_model(path, safe_mode=True)``? A ``.keras`` archive's
``config.json`` tells Keras which Python classes and functions to import and call, and
``safe_mode`` has been bypassed again and again:

- CVE-2024-3660: a ``Lambda`` layer carries marshalled Python bytecode that Keras
  (before 2.13, or with ``safe_mode=False``) runs while loading;
- CVE-2025-1550 (GHSA-48g7-3x6r-xfhp, fixed in Keras 3.9): a ``module`` key in
  ``config.json`` made Keras import any Python module and call any function in it, even
  with ``safe_mode=True``;
- CVE-2025-8747 and CVE-2025-9906: the same through functions inside Keras itself
  (``keras.utils.get_file``, ``keras.config.enable_unsafe_deserialization``);
- CVE-2025-9905: ``safe_mode`` is ignored for legacy HDF5 (``.h5``) full models.

So this module never hands a user's file to ``load_model``. It reads the zip and the
HDF5 file itself (``zipfile``, ``json``, ``h5py``: none of them executes anything or
unpickles), and refuses, with a :class:`ModelFileError` whose message names the layer,
the tensor and what was expected:

1. anything that is not a ``.keras`` zip or an HDF5 weights file, a file larger than
   ``MAX_FILE_BYTES``, a truncated file, a zip bomb (a member that would unpack to more
   than its limit), encrypted or unexpected members (``*.pkl``, ``assets/``...);
2. in ``config.json`` (before any weight is read): a ``Lambda`` layer or any serialised
   Python function (CVE-2024-3660, CVE-2025-9906), a ``module`` outside Keras
   (CVE-2025-1550), a ``registered_name`` of a custom object, and any Keras class that
   CV Lab's architectures do not use (:data:`ALLOWED_CLASSES`); then the whole layer
   graph is compared with the architecture built from code: same layers, same order,
   same connections, same filters, units, kernel sizes, activations...;
3. in the weights (HDF5, read with ``h5py`` in a child process with a time and memory
   limit, because a crafted HDF5 file can crash the HDF5 C library, and with it the
   server: tests/fixtures/hdf5_segfault.weights.h5): soft and external links, external or
   virtual storage (which read other files of the server), tensors of Python objects,
   strings or variable length (pickled objects), any tensor larger than
   ``MAX_TENSOR_BYTES`` or larger than the architecture's own, extra or missing tensors,
   any shape or dtype other than the code-built model's, NaN or infinite numbers.

Only then are the weights used: the checked numbers are written into a fresh HDF5 file
laid out like the code-built model's own, and Keras's ``load_weights`` reads that file
into the model built from code. Keras never opens the user's file.

The architecture is read from the weights' layout (layer names and tensor shapes, not
their values): the three architectures a run can have (``TrainConfig.arch``: "cnn",
"resnet", "resnet9"), their filters, dense width, batch norm and dropout, with the
Train page's limits (:class:`cvlib.train.TrainConfig`). The data set (so the class names)
comes from the model's name ("mnist_cnn", "fashion_mnist_cnn", "cifar10_resnet9" ...,
as the Train page names them) or the input channels, unless the caller gives it.

Example:
    >>> from cvlib.safe_models import load_user_classifier
    >>> data = open("cvlab_mnist_20260101-120000-ab12.keras", "rb").read()  # doctest: +SKIP
    >>> clf = load_user_classifier(data, "cvlab_mnist_20260101-120000-ab12.keras")  # doctest: +SKIP
    >>> clf(open("digit.png", "rb").read()).predictions[0].label  # doctest: +SKIP
    '7'
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field

from cvlib import CVLibError

MAX_FILE_BYTES = 64 * 1024 * 1024        # a whole model file (the largest run is ~20 MB)
MAX_TENSOR_BYTES = 32 * 1024 * 1024      # one tensor, before the architecture is known
MAX_JSON_BYTES = 1024 * 1024             # config.json / metadata.json (a run's: ~15 kB)
MAX_JSON_NODES = 100_000                 # dicts, lists and values in config.json
MAX_H5_OBJECTS = 10_000                  # groups and datasets in a weights file
H5_SECONDS = 10                          # reading a weights file, in its own process
H5_MEMORY = 2 * 1024**3                  # ... with at most this much address space
ZIP_MEMBERS = {"config.json": MAX_JSON_BYTES, "metadata.json": MAX_JSON_BYTES,
               "model.weights.h5": MAX_FILE_BYTES}
_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

# The Keras classes CV Lab's architectures (cvlib.nets.cnn, cvlib.nets.resnet) consist
# of, by their serialised module. Anything else in a config.json is refused.
ALLOWED_CLASSES = {
    "keras.layers": {"InputLayer", "Rescaling", "Conv2D", "BatchNormalization",
                     "Activation", "ReLU", "MaxPooling2D", "Flatten", "Dense", "Dropout",
                     "Add", "GlobalAveragePooling2D", "GlobalMaxPooling2D"},
    "keras.src.models.functional": {"Functional"},
    "keras.models": {"Functional"},
    "keras": {"DTypePolicy", "FloatDTypePolicy"},
    "keras.initializers": {"GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform",
                           "LecunNormal", "LecunUniform", "Zeros", "Ones", "Constant",
                           "RandomNormal", "RandomUniform", "TruncatedNormal",
                           "Orthogonal", "VarianceScaling"},
    "keras.regularizers": {"L1", "L2", "L1L2"},
    "keras.constraints": {"MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"},
}
# Serialisation markers without a module that Keras uses for plain values.
_PLAIN_MARKERS = {"__keras_tensor__", "__tuple__"}
# Names under which Keras stores Python code or arbitrary bytes.
_CODE_MARKERS = {"Lambda", "TFOpLambda", "function", "__lambda__", "__bytes__",
                 "__numpy__", "__tensor__", "__typespec__"}
_CODE_KEYS = {"function", "function_type", "module_fn", "output_shape_type", "fn_module"}
# Activations a config may name (strings; a dict would be a serialised function).
_ACTIVATIONS = {"relu", "softmax", "linear", "sigmoid", "tanh", "elu", "selu", "gelu",
                "swish", "silu", "softplus", "softsign", "relu6", "leaky_relu", "mish",
                "hard_sigmoid", "exponential", None}
# Layer settings that decide what a layer computes: compared with the code-built model.
# (Initialisers, regularisers, dropout rates, momentum and dtypes do not change what the
# trained weights compute at inference and are only scanned, not compared.)
_COMPARED = ("batch_shape", "filters", "kernel_size", "strides", "padding",
             "data_format", "dilation_rate", "groups", "activation", "use_bias", "units",
             "pool_size", "scale", "offset", "axis", "epsilon", "center", "keepdims",
             "negative_slope", "max_value", "threshold")


class ModelFileError(CVLibError, ValueError):
    """A user's model file was refused (base of the errors below); the message says which
    part of the file and what was expected."""


class BadModelFile(ModelFileError):
    """Not a model file CV Lab reads: wrong format, too large, truncated, a zip bomb."""


class UnsafeModelFile(ModelFileError):
    """The file asks for code to run or for data that a weights file never holds: a
    Lambda layer, a module or custom object, pickled objects, links to other files."""


class ArchitectureMismatch(ModelFileError):
    """The file is not a model of an architecture CV Lab builds from code (or its
    config and weights disagree with it)."""


@dataclass(frozen=True)
class ModelFileInfo:
    """What a checked model file holds (plain data; no Keras object).

    Attributes:
        filename: the name the user gave the file.
        format: "keras" (a zip archive) or "weights.h5".
        arch: "cnn", "resnet" or "resnet9".
        dataset: "mnist", "fashion_mnist" or "cifar10" (which class names).
        config: the ``TrainConfig`` fields that decide the architecture (dataset, arch,
            filters, dense, batchnorm, dropout).
        input_shape: (H, W, C) the model takes, uint8 range 0-255.
        num_classes: outputs of its softmax.
        params: number of weights (sum of all tensor sizes, batch-norm statistics too).
        sha256: hex digest of the file's bytes.
        model_name: the name the file gives its model ("" when none).
    """

    filename: str
    format: str
    arch: str
    dataset: str
    config: dict = field(default_factory=dict)
    input_shape: tuple = (28, 28, 1)
    num_classes: int = 10
    params: int = 0
    sha256: str = ""
    model_name: str = ""


# --- public API ---------------------------------------------------------------------------

def check_model_file(data: bytes, filename: str = "model", dataset: str | None = None
                     ) -> ModelFileInfo:
    """Check a user's model file completely, without loading any weight into a model.

    Args:
        data: the file's bytes (a ``.keras`` zip or a ``.weights.h5`` HDF5 file; told apart
            by content, not by name).
        filename: the name the user gave it (only for messages).
        dataset: "mnist", "fashion_mnist" or "cifar10" to choose the class names; None
            reads it from the model's name in the file, else from its input channels.

    Returns:
        :class:`ModelFileInfo`.

    Raises:
        BadModelFile: not a model file, too large, truncated, damaged, a zip bomb.
        UnsafeModelFile: Lambda layers, Python functions, modules or custom objects in
            ``config.json``; object, string or variable-length tensors; links or external
            storage in the HDF5 file.
        ArchitectureMismatch: not one of CV Lab's architectures, or ``config.json`` or
            a tensor differs from the architecture built from code (the message names the
            layer or tensor and what was expected).
    """
    return _check(data, filename, dataset)[0]


def load_user_classifier(data: bytes, filename: str = "model", dataset: str | None = None):
    """A :class:`cvlib.recognize.Classifier` from a user's ``.keras`` or ``.weights.h5``
    file: the architecture built by :mod:`cvlib.nets` from code, the file's weights loaded
    into it after :func:`check_model_file` passed.

    Args:
        data, filename, dataset: as for :func:`check_model_file`.

    Returns:
        A ``Classifier`` named ``"upload:<first 12 hex digits of the sha256>"``, taking
        pictures like the Train-page runs (uint8-range input, the MNIST-way preprocessing
        for 28x28x1 models); the class names of ``dataset``.

    Raises:
        BadModelFile, UnsafeModelFile, ArchitectureMismatch: see :func:`check_model_file`.
    """
    info, values = _check(data, filename, dataset)
    from cvlib.data import CLASS_NAMES
    from cvlib.recognize import classifier_from_model
    model = _build(info)
    expected = _expected_layout(json.dumps(_spec_of(info), sort_keys=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "user.weights.h5")    # Keras needs the suffix
        _write_checked(values, expected, path, info.filename)
        model.load_weights(path)
    return classifier_from_model(model, f"upload:{info.sha256[:12]}",
                                 CLASS_NAMES.get(info.dataset), info.dataset)


# --- the checks ---------------------------------------------------------------------------

def _check(data: bytes, filename: str, dataset: str | None) -> tuple[ModelFileInfo, dict]:
    """(info, {tensor path: numpy array} of the weights file, read in a child process)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be the file's bytes; got {type(data).__name__}.")
    data = bytes(data)
    name = str(filename or "model")
    if dataset is not None:
        from cvlib.train import TRAINABLE_DATASETS
        if dataset not in TRAINABLE_DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(TRAINABLE_DATASETS)}; "
                             f"got {dataset!r}.")
    if not data:
        raise BadModelFile(f"{name} is empty (0 bytes). Choose the model file again.",
                           kind="model_file_empty", name=name)
    if len(data) > MAX_FILE_BYTES:
        raise BadModelFile(
            f"{name} is {len(data) / 2**20:.0f} MB; a CV Lab model file is at most "
            f"{MAX_FILE_BYTES // 2**20} MB.", kind="model_file_too_big", name=name,
            mb=round(len(data) / 2**20), limit_mb=MAX_FILE_BYTES // 2**20)
    sha = hashlib.sha256(data).hexdigest()
    config = None
    if data.startswith(_ZIP_MAGIC):
        fmt = "keras"
        members = _read_zip(data, name)
        config = _parse_json(members["config.json"], name, "config.json")
        if "metadata.json" in members:
            _parse_json(members["metadata.json"], name, "metadata.json")
        _scan_config(config, name)            # before any weight is looked at
        weights = members["model.weights.h5"]
        if not weights.startswith(_HDF5_MAGIC):
            raise BadModelFile(f"{name}: its model.weights.h5 is not an HDF5 file.",
                               kind="model_file_bad_weights", name=name)
    elif data.startswith(_HDF5_MAGIC):
        fmt, weights = "weights.h5", data
    else:
        raise BadModelFile(
            f"{name} is neither a .keras model (a zip archive) nor a .weights.h5 file "
            f"(HDF5). Upload a file that the Train page downloads.",
            kind="model_file_format", name=name)
    layout, values = _read_h5_isolated(weights, name)
    spec = _infer(layout, name, dataset, config)
    expected = _expected_layout(json.dumps(
        {k: v for k, v in spec.items() if k != "model_name"}, sort_keys=True))
    if config is not None:
        _compare_config(config, expected["config"], name, spec["arch"])
    _compare_layout(layout, expected, name, spec["arch"])
    info = ModelFileInfo(
        filename=name, format=fmt, arch=spec["arch"], dataset=spec["dataset"],
        config={k: spec[k] for k in ("dataset", "arch", "filters", "dense", "batchnorm",
                                      "dropout")},
        input_shape=tuple(spec["input_shape"]), num_classes=spec["num_classes"],
        params=sum(math.prod(s) for s, _ in expected["tensors"].values()),
        sha256=sha, model_name=layout["model_name"])
    return info, values


def _read_zip(data: bytes, name: str) -> dict[str, bytes]:
    """The members of a .keras archive, each read with its size limit."""
    damaged = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
               OSError, ValueError)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except damaged as exc:
        raise BadModelFile(
            f"{name} is not a complete .keras archive ({_short(exc)}): the file is cut off "
            f"or damaged. Download it again.", kind="model_file_damaged", name=name,
            detail=_short(exc)) from None
    seen = set()
    for info in infos:
        if info.filename in seen:
            raise UnsafeModelFile(f"{name} holds {info.filename} twice; refused.",
                                  kind="model_file_member", name=name, member=info.filename)
        seen.add(info.filename)
        if info.filename not in ZIP_MEMBERS:
            raise UnsafeModelFile(
                f"{name} holds '{info.filename}', which a CV Lab model never has (only "
                f"config.json, metadata.json and model.weights.h5); refused.",
                kind="model_file_member", name=name, member=info.filename)
        if info.flag_bits & 0x1:
            raise BadModelFile(f"{name}: {info.filename} is encrypted; refused.",
                               kind="model_file_encrypted", name=name, member=info.filename)
        limit = ZIP_MEMBERS[info.filename]
        if info.file_size > limit:
            raise BadModelFile(
                f"{name}: {info.filename} would unpack to {info.file_size / 2**20:.0f} MB "
                f"from {info.compress_size / 2**20:.1f} MB (a zip bomb?); the limit is "
                f"{limit / 2**20:.0f} MB.", kind="model_file_zip_bomb", name=name,
                member=info.filename, mb=round(info.file_size / 2**20),
                limit_mb=round(limit / 2**20))
    for needed in ("config.json", "model.weights.h5"):
        if needed not in seen:
            raise BadModelFile(
                f"{name} has no {needed}: it is not a Keras 3 .keras model.",
                kind="model_file_member_missing", name=name, member=needed)
    out = {}
    try:
        for info in infos:
            limit = ZIP_MEMBERS[info.filename]
            with zf.open(info) as f:          # the real size, whatever the header says
                blob = f.read(limit + 1)
            if len(blob) > limit:
                raise BadModelFile(
                    f"{name}: {info.filename} unpacks to more than {limit / 2**20:.0f} MB "
                    f"(a zip bomb?); refused.", kind="model_file_zip_bomb", name=name,
                    member=info.filename, mb=round(limit / 2**20),
                    limit_mb=round(limit / 2**20))
            out[info.filename] = blob
    except damaged as exc:
        raise BadModelFile(
            f"{name} is damaged ({_short(exc)}): download it again.",
            kind="model_file_damaged", name=name, detail=_short(exc)) from None
    return out


def _parse_json(blob: bytes, name: str, member: str):
    try:
        return json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadModelFile(f"{name}: its {member} is not valid JSON ({_short(exc)}).",
                           kind="model_file_bad_json", name=name, member=member,
                           detail=_short(exc)) from None


def _scan_config(config, name: str) -> None:
    """Refuse code, modules outside Keras, custom objects and unknown classes anywhere in
    ``config.json`` (a walk over plain JSON: nothing is imported or called)."""
    if not isinstance(config, dict):
        raise BadModelFile(f"{name}: its config.json does not describe a model.",
                           kind="model_file_bad_json", name=name, member="config.json",
                           detail="not an object")
    stack, nodes = [(config, "")], 0
    while stack:
        node, where = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise BadModelFile(f"{name}: its config.json is far larger than any CV Lab "
                               f"model's; refused.", kind="model_file_config_size",
                               name=name)
        if isinstance(node, list):
            stack.extend((v, where) for v in node)
            continue
        if not isinstance(node, dict):
            continue
        inner = node.get("config")
        layer = node.get("name")
        if not isinstance(layer, str) and isinstance(inner, dict):
            layer = inner.get("name")
        here = layer if isinstance(layer, str) and layer else where
        _scan_node(node, name, here)
        stack.extend((v, here) for v in node.values())


def _scan_node(node: dict, name: str, where: str) -> None:
    """Refuse one dict of config.json if it names code, a module or an unknown class."""
    cls = node.get("class_name")
    at = f" (in layer '{where}')" if where else ""
    layer = where or "?"
    if isinstance(cls, str) and ("lambda" in cls.lower()):
        raise UnsafeModelFile(
            f"{name}: layer '{layer}' is a {cls} layer, which holds Python code that Keras "
            f"would run when loading the model (CVE-2024-3660). CV Lab never runs code from "
            f"a model file; refused.", kind="model_file_lambda", name=name, layer=layer)
    if cls in _CODE_MARKERS or _CODE_KEYS & node.keys():
        raise UnsafeModelFile(
            f"{name}: config.json holds a serialised Python function or raw bytes{at}, "
            f"which Keras would import or run when loading (CVE-2025-9906); refused.",
            kind="model_file_function", name=name, layer=layer)
    module = node.get("module")
    if cls is None and module is None:
        pass
    elif cls in _PLAIN_MARKERS and module is None:
        pass
    else:
        mod = str(module)
        if module is None or not isinstance(module, str) or (
                mod != "keras" and not mod.startswith("keras.")):
            raise UnsafeModelFile(
                f"{name}: config.json names the Python module '{mod}'{at}; Keras would "
                f"import it and call '{cls}' from it (CVE-2025-1550). Only Keras's own "
                f"layers are accepted; refused.", kind="model_file_module", name=name,
                module=mod, cls=str(cls), layer=layer)
        registered = node.get("registered_name")
        if registered is not None and registered != cls:
            raise UnsafeModelFile(
                f"{name}: config.json uses the custom object '{registered}'{at}, code that "
                f"is not part of Keras; refused. CV Lab builds its models from its own "
                f"code.", kind="model_file_custom", name=name, custom=str(registered),
                layer=layer)
        if cls not in ALLOWED_CLASSES.get(mod, ()):
            raise UnsafeModelFile(
                f"{name}: config.json uses {mod}.{cls}{at}, which none of CV Lab's "
                f"architectures has; refused.", kind="model_file_class", name=name,
                cls=f"{mod}.{cls}", layer=layer)
    act = node.get("activation")      # a dict is scanned as a node of its own
    if act is not None and not isinstance(act, dict) and act not in _ACTIVATIONS:
        raise UnsafeModelFile(
            f"{name}: layer '{layer}' uses the activation {str(act)[:60]!r}, which is not "
            f"one of Keras's built-in activations; refused.", kind="model_file_activation",
            name=name, layer=layer, activation=str(act)[:60])


_CHILD = """
import json, os, resource, sys
_, hard = resource.getrlimit(resource.RLIMIT_AS)
limit = int(sys.argv[3]) if hard == resource.RLIM_INFINITY else min(int(sys.argv[3]), hard)
resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
import numpy as np
from cvlib import safe_models as sm
folder, name = sys.argv[1], sys.argv[2]
try:
    with open(os.path.join(folder, "in.h5"), "rb") as f:
        layout = sm._read_h5(f.read(), name, values=True)
    np.savez(os.path.join(folder, "values.npz"), **layout.pop("values"))
    out = {"layout": layout}
except sm.ModelFileError as exc:
    out = {"error": [type(exc).__name__, str(exc), exc.kind, exc.params]}
with open(os.path.join(folder, "out.json"), "w") as f:
    json.dump(out, f)
"""


def _read_h5_isolated(blob: bytes, name: str) -> tuple[dict, dict]:
    """:func:`_read_h5` of a user's file (layout and values) in a child process.

    The HDF5 library is C: a crafted file can crash it (a corrupted attribute made h5py
    3.14 segfault here, found by flipping bytes of a weights file), which would take the
    whole server down. So the file is read in its own short-lived Python process, with
    ``H5_MEMORY`` of address space and ``H5_SECONDS`` of time; a crash, a timeout or a
    memory error there is a refused file, and the server only gets plain JSON and a
    ``.npz`` of arrays back (``allow_pickle=False``).
    """
    import subprocess
    import sys

    import numpy as np
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])]),
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "in.h5"), "wb") as f:
            f.write(blob)
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD, tmp, name, str(H5_MEMORY)],
                                  env=env, capture_output=True, timeout=H5_SECONDS)
        except subprocess.TimeoutExpired:
            raise BadModelFile(
                f"{name} is damaged (reading it took more than {H5_SECONDS} s): download it "
                f"again.", kind="model_file_damaged", name=name,
                detail=f"reading it took more than {H5_SECONDS} s") from None
        out_path = os.path.join(tmp, "out.json")
        if proc.returncode != 0 or not os.path.exists(out_path):
            why = (f"the HDF5 reader crashed on it (signal {-proc.returncode})"
                   if proc.returncode < 0 else "the HDF5 reader failed on it")
            raise BadModelFile(f"{name} is damaged ({why}): download it again.",
                               kind="model_file_damaged", name=name, detail=why)
        with open(out_path) as f:
            out = json.load(f)
        if "error" in out:
            cls, message, kind, params = out["error"]
            error = {c.__name__: c for c in (BadModelFile, UnsafeModelFile,
                                             ArchitectureMismatch)}.get(cls, BadModelFile)
            raise error(message, kind=kind, **params)
        with np.load(os.path.join(tmp, "values.npz"), allow_pickle=False) as npz:
            values = {key: npz[key] for key in npz.files}
    layout = out["layout"]
    layout["tensors"] = {p: (tuple(s), d) for p, (s, d) in layout["tensors"].items()}
    layout["layers"] = {k: [tuple(s) for s in v] for k, v in layout["layers"].items()}
    return layout, values


def _read_h5(blob: bytes, name: str, values: bool = False) -> dict:
    """Check an HDF5 weights file with h5py and read its layout (names, shapes, dtypes):
    {"tensors": {path: (shape, dtype str)}, "layers": {layer name: [shape of each
    variable]}, "groups": {path: layer name}, "model_name": str}; with ``values`` also
    "values": {path: array} of every tensor but the optimizer's, read only after every
    check passed (a user's file is read so only in a child process:
    :func:`_read_h5_isolated`)."""
    import h5py
    import numpy as np
    try:
        f = h5py.File(io.BytesIO(blob), "r")
    except (OSError, ValueError) as exc:
        raise BadModelFile(
            f"{name} is not a complete HDF5 weights file ({_short(exc)}): the file is cut "
            f"off or damaged. Download it again.", kind="model_file_damaged", name=name,
            detail=_short(exc)) from None
    tensors, groups, count = {}, {}, 0
    try:
        with f:
            if "model_config" in f.attrs or "model_weights" in f:
                raise UnsafeModelFile(
                    f"{name} is a legacy Keras .h5 model (architecture and weights), whose "
                    f"config Keras would load without safe mode (CVE-2025-9905); CV Lab "
                    f"reads only .keras archives and .weights.h5 files.",
                    kind="model_file_legacy_h5", name=name)
            stack = [("", f)]
            while stack:
                path, group = stack.pop()
                for key in group:
                    count += 1
                    if count > MAX_H5_OBJECTS:
                        raise BadModelFile(f"{name} holds far more objects than any CV Lab "
                                           f"weights file; refused.",
                                           kind="model_file_h5_objects", name=name)
                    full = f"{path}/{key}" if path else key
                    link = group.get(key, getlink=True)
                    if not isinstance(link, h5py.HardLink):
                        raise UnsafeModelFile(
                            f"{name}: '{full}' is a link to another place or file "
                            f"({type(link).__name__}); a weights file holds only its own "
                            f"tensors. Refused.", kind="model_file_link", name=name,
                            tensor=full)
                    obj = group[key]
                    if isinstance(obj, h5py.Group):
                        groups[full] = _attr_name(obj)
                        stack.append((full, obj))
                        continue
                    tensors[full] = _check_dataset(obj, full, name, np, h5py)
            model_name = groups.get("vars") or ""
            arrays = {}
            if values:
                wanted = [p for p in tensors if not p.startswith("optimizer/")]
                total = sum(math.prod(tensors[p][0]) * np.dtype(tensors[p][1]).itemsize
                            for p in wanted)
                if total > MAX_FILE_BYTES:
                    raise UnsafeModelFile(
                        f"{name} declares {total / 2**20:,.0f} MB of weights; a CV Lab "
                        f"model has at most {MAX_FILE_BYTES // 2**20} MB. Refused.",
                        kind="model_file_too_big", name=name, mb=round(total / 2**20),
                        limit_mb=MAX_FILE_BYTES // 2**20)
                arrays = {p.replace("/", "|"): np.asarray(f[p][()]) for p in wanted}
    except ModelFileError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
        raise BadModelFile(
            f"{name} is damaged ({_short(exc)}): download it again.",
            kind="model_file_damaged", name=name, detail=_short(exc)) from None
    layers: dict[str, list] = {}
    for path, layer in groups.items():
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "layers" and parts[2] == "vars" and layer:
            n = sum(1 for p in tensors if p.startswith(path + "/"))
            layers[layer] = [tensors.get(f"{path}/{i}", ((), ""))[0] for i in range(n)]
    out = {"tensors": tensors, "groups": groups, "layers": layers, "model_name": model_name}
    if values:
        out["values"] = arrays
    return out


def _attr_name(group) -> str:
    value = group.attrs.get("name", "")
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _check_dataset(ds, path: str, name: str, np, h5py) -> tuple[tuple, str]:
    dtype = ds.dtype
    if dtype.kind in "OSUV" or h5py.check_vlen_dtype(dtype) is not None \
            or h5py.check_string_dtype(dtype) is not None:
        raise UnsafeModelFile(
            f"{name}: tensor '{path}' holds {_dtype_words(dtype)} (dtype {dtype}), not "
            f"numbers; a weights file never does (a pickled object?). Refused.",
            kind="model_file_object_dtype", name=name, tensor=path, dtype=str(dtype))
    if ds.is_virtual or ds.external:
        raise UnsafeModelFile(
            f"{name}: tensor '{path}' reads its data from other files (external or "
            f"virtual storage); refused.", kind="model_file_external", name=name,
            tensor=path)
    if ds.shape is None:
        raise BadModelFile(f"{name}: tensor '{path}' has no shape; refused.",
                           kind="model_file_damaged", name=name, detail=path)
    shape = tuple(int(d) for d in ds.shape)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > MAX_TENSOR_BYTES:
        raise UnsafeModelFile(
            f"{name}: tensor '{path}' declares {nbytes / 2**20:,.0f} MB (shape {shape}); "
            f"no tensor of a CV Lab model is above {MAX_TENSOR_BYTES // 2**20} MB. "
            f"Refused.", kind="model_file_tensor_too_big", name=name, tensor=path,
            shape=str(shape), mb=round(nbytes / 2**20), limit_mb=MAX_TENSOR_BYTES // 2**20)
    return shape, np.dtype(dtype).name


def _dtype_words(dtype) -> str:
    if dtype.kind == "O":
        return "Python objects or variable-length data"
    if dtype.kind in "SU":
        return "text"
    return "raw records"


def _layer_filters(layers: dict, layer: str, name: str) -> int:
    shapes = layers.get(layer) or []
    if not shapes or len(shapes[0]) != 4:
        raise ArchitectureMismatch(
            f"{name}: layer '{layer}' has no 4-D convolution kernel; it is not a CV Lab "
            f"model.", kind="model_file_arch", name=name, layer=layer)
    return int(shapes[0][-1])


def _infer(layout: dict, name: str, dataset: str | None, config) -> dict:
    """The architecture the weights' layout describes, as build_classifier's config."""
    from cvlib.train import TRAINABLE_DATASETS, TrainConfig
    layers = layout["layers"]
    if "prep_conv" in layers:
        arch = "resnet9"
        filters = [_layer_filters(layers, f"layer{i}_conv", name) for i in (1, 2, 3)]
        first = "prep_conv"
    elif "stem_conv" in layers:
        arch = "resnet"
        filters = [_layer_filters(layers, f"stage{i}_conv1", name) for i in (1, 2, 3)]
        first = "stem_conv"
    elif "conv1" in layers:
        arch = "cnn"
        filters = [_layer_filters(layers, f"conv{i}", name) for i in (1, 2, 3)]
        first = "conv1"
    else:
        shown = ", ".join(sorted(layers)[:8]) or "none"
        raise ArchitectureMismatch(
            f"{name} is not a CV Lab classifier: its layers ({shown}) are none of the "
            f"architectures the Train page builds (cnn, resnet, resnet9).",
            kind="model_file_arch_unknown", name=name, layers=shown)
    channels = int(layers[first][0][2])
    probs = layers.get("probs") or []
    if len(probs) != 2 or len(probs[0]) != 2:
        raise ArchitectureMismatch(f"{name}: it has no output layer 'probs' (dense "
                                   f"softmax); it is not a CV Lab classifier.",
                                   kind="model_file_arch", name=name, layer="probs")
    num_classes = int(probs[0][1])
    model_name = layout["model_name"] or (config or {}).get("config", {}).get("name", "")
    if dataset is None:
        dataset = _dataset_from_name(str(model_name)) or \
            ("cifar10" if channels == 3 else "mnist")
    if dataset not in TRAINABLE_DATASETS:
        dataset = "cifar10" if channels == 3 else "mnist"
    input_shape = (32, 32, 3) if dataset == "cifar10" else (28, 28, 1)
    if channels != input_shape[2]:
        raise ArchitectureMismatch(
            f"{name}: layer '{first}' takes {channels} colour channel(s); a {dataset} model "
            f"takes {input_shape[2]}.", kind="model_file_channels", name=name, layer=first,
            got=channels, expected=input_shape[2], dataset=dataset)
    if num_classes != 10:
        raise ArchitectureMismatch(
            f"{name}: its output layer 'probs' has {num_classes} classes; the data sets "
            f"of the Train page have 10.", kind="model_file_classes", name=name,
            got=num_classes, expected=10)
    dense = int(layers["dense"][0][1]) if arch == "cnn" and len(layers.get("dense") or []) \
        and len(layers["dense"][0]) == 2 else 64
    dropout = 0.0
    if "dropout" in layers:
        dropout = _dropout_rate(config) or 0.5    # no weights: any rate computes the same
    try:
        cfg = TrainConfig(dataset=dataset, arch=arch, filters=tuple(filters), dense=dense,
                          batchnorm="bn1" in layers, dropout=dropout)
    except (TypeError, ValueError) as exc:
        raise ArchitectureMismatch(
            f"{name}: {exc} (the limits of the Train page's models).",
            kind="model_file_limits", name=name, detail=str(exc)) from None
    return {"dataset": dataset, "arch": arch, "filters": list(cfg.filters),
            "dense": cfg.dense, "batchnorm": cfg.batchnorm if arch == "cnn" else True,
            "dropout": cfg.dropout, "input_shape": list(input_shape),
            "num_classes": num_classes, "model_name": str(model_name)}


def _dataset_from_name(model_name: str) -> str:
    """"mnist_cnn" -> "mnist", "fashion_mnist_cnn"/"fashion_cnn" -> "fashion_mnist" ..."""
    low = model_name.lower()
    for prefix, dataset in (("fashion", "fashion_mnist"), ("cifar", "cifar10"),
                            ("mnist", "mnist")):
        if low.startswith(prefix):
            return dataset
    return ""


def _dropout_rate(config) -> float:
    if not isinstance(config, dict):
        return 0.0
    for layer in (config.get("config") or {}).get("layers") or []:
        if isinstance(layer, dict) and layer.get("class_name") == "Dropout":
            rate = (layer.get("config") or {}).get("rate")
            if isinstance(rate, (int, float)) and 0 < rate <= 0.9:
                return float(rate)
    return 0.0


def _spec_of(info: ModelFileInfo) -> dict:
    return {**info.config, "input_shape": list(info.input_shape),
            "num_classes": info.num_classes}


def _write_checked(values: dict, expected: dict, path: str, name: str) -> None:
    """Write a fresh HDF5 file at ``path`` holding exactly the code-built model's groups
    and tensors, with the numbers read from the checked user file: Keras never opens the
    user's own file, and nothing in it but those numbers (no optimizer state, attribute
    or link) goes further. Non-finite numbers are refused."""
    import h5py
    import numpy as np
    with h5py.File(path, "w") as dst:
        for group, layer in sorted(expected["groups"].items()):
            g = dst.require_group(group)
            if layer:
                g.attrs["name"] = layer
        for tensor, (shape, dtype) in sorted(expected["tensors"].items()):
            got = values.get(tensor.replace("/", "|"))
            layer = expected["groups"].get(tensor.rsplit("/", 1)[0], "")
            if got is None or got.shape != tuple(shape) or got.dtype != np.dtype(dtype):
                raise ArchitectureMismatch(      # checked before: the file changed
                    f"{name}: tensor '{tensor}' (layer '{layer}') is "
                    f"{None if got is None else got.shape}; the network built from code has "
                    f"{tuple(shape)}.", kind="model_file_tensor_shape", name=name,
                    tensor=tensor, layer=layer,
                    got=str(None if got is None else got.shape), expected=str(tuple(shape)))
            if not np.isfinite(got).all():
                raise BadModelFile(
                    f"{name}: tensor '{tensor}' holds NaN or infinite numbers (a training "
                    f"that diverged?); refused.", kind="model_file_not_finite", name=name,
                    tensor=tensor)
            dst.create_dataset(tensor, data=got)


def _build(info_or_spec):
    """The model built from code for a ModelFileInfo or a spec dict (random weights)."""
    from cvlib.train import TrainConfig, build_model
    spec = info_or_spec if isinstance(info_or_spec, dict) else _spec_of(info_or_spec)
    cfg = TrainConfig(dataset=spec["dataset"], arch=spec["arch"],
                      filters=tuple(spec["filters"]), dense=spec["dense"],
                      batchnorm=bool(spec["batchnorm"]) and spec["arch"] == "cnn",
                      dropout=spec["dropout"])
    return build_model(cfg, tuple(spec["input_shape"]), int(spec["num_classes"]))


@functools.lru_cache(maxsize=16)
def _expected_layout(spec_json: str) -> dict:
    """The weights layout and serialised config of the architecture built from code
    (its own weights saved by Keras and read back the same way as a user's)."""
    import keras
    spec = json.loads(spec_json)
    model = _build(spec)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "expected.weights.h5")
        model.save_weights(path)
        with open(path, "rb") as f:
            layout = _read_h5(f.read(), "expected")
    layout["config"] = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    layout["order"] = {layer.name: i for i, layer in enumerate(model.layers)}
    return layout


def _layers_of(config) -> list:
    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    return layers if isinstance(layers, list) else []


def _inbound(layer: dict) -> list:
    """The names of the layers feeding ``layer`` (its connections in the graph)."""
    out = []
    stack = [layer.get("inbound_nodes")]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            hist = (node.get("config") or {}).get("keras_history") \
                if isinstance(node.get("config"), dict) else None
            if isinstance(hist, list) and hist:
                out.append(str(hist[0]))
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return sorted(out)


def _compare_config(config: dict, expected: dict, name: str, arch: str) -> None:
    """The archive's layer graph must be the code-built one: same layers in the same
    order, same connections, same settings of :data:`_COMPARED`."""
    got, want = _layers_of(config), _layers_of(expected)
    top_got = config.get("class_name")
    if top_got != expected.get("class_name"):
        raise ArchitectureMismatch(
            f"{name}: its config.json describes a {top_got!s} model; CV Lab's {arch} is a "
            f"{expected.get('class_name')} model.", kind="model_file_config_top", name=name,
            got=str(top_got), expected=str(expected.get("class_name")), arch=arch)
    for i, w in enumerate(want):
        g = got[i] if i < len(got) and isinstance(got[i], dict) else None
        wname, wcls = w.get("name"), w.get("class_name")
        if g is None:
            raise ArchitectureMismatch(
                f"{name}: its config.json ends before layer {i + 1}, '{wname}' ({wcls}) of "
                f"CV Lab's {arch} architecture.", kind="model_file_config_layer", name=name,
                index=i + 1, got="-", expected=f"{wname} ({wcls})", arch=arch)
        gname, gcls = g.get("name"), g.get("class_name")
        if (gname, gcls) != (wname, wcls):
            raise ArchitectureMismatch(
                f"{name}: layer {i + 1} of its config.json is '{gname}' ({gcls}); CV Lab's "
                f"{arch} architecture has '{wname}' ({wcls}) there.",
                kind="model_file_config_layer", name=name, index=i + 1,
                got=f"{gname} ({gcls})", expected=f"{wname} ({wcls})", arch=arch)
        if _inbound(g) != _inbound(w):
            raise ArchitectureMismatch(
                f"{name}: layer '{wname}' of its config.json takes its input from "
                f"{', '.join(_inbound(g)) or 'nothing'}; expected "
                f"{', '.join(_inbound(w)) or 'nothing'}.", kind="model_file_config_inputs",
                name=name, layer=str(wname), got=", ".join(_inbound(g)) or "-",
                expected=", ".join(_inbound(w)) or "-")
        gc, wc = g.get("config") or {}, w.get("config") or {}
        for key in _COMPARED:
            if _norm(gc.get(key)) != _norm(wc.get(key)):
                raise ArchitectureMismatch(
                    f"{name}: layer '{wname}' of its config.json has {key}="
                    f"{_shown(gc.get(key))}; CV Lab's {arch} built from code has "
                    f"{key}={_shown(wc.get(key))}.", kind="model_file_config_setting",
                    name=name, layer=str(wname), key=key, got=_shown(gc.get(key)),
                    expected=_shown(wc.get(key)), arch=arch)
    if len(got) > len(want):
        extra = got[len(want)]
        extra_name = extra.get("name") if isinstance(extra, dict) else "?"
        raise ArchitectureMismatch(
            f"{name}: its config.json has a layer '{extra_name}' after the last layer of "
            f"CV Lab's {arch} architecture.", kind="model_file_config_extra", name=name,
            layer=str(extra_name), arch=arch)


def _norm(value):
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _shown(value) -> str:
    return str(tuple(value) if isinstance(value, list) else value)[:80]


def _compare_layout(layout: dict, expected: dict, name: str, arch: str) -> None:
    """Every tensor of the file must be one of the code-built model's, with its shape and
    dtype, and every one of those must be there."""
    want, got = expected["tensors"], layout["tensors"]
    layer_of = {path: expected["groups"].get(path.rsplit("/", 1)[0], "") for path in want}
    sizes = {tuple(s) for s, _ in want.values()} | {()}
    optimizer = [p for p in got if p.startswith("optimizer/")]
    order = expected["order"]

    def in_model_order(item):          # the first difference in the network's own order
        layer = layout["groups"].get(item[0].rsplit("/", 1)[0], "")
        return order.get(layer, len(order)), item[0]
    for path, (shape, dtype) in sorted(got.items(), key=in_model_order):
        if path in optimizer and tuple(shape) in sizes and dtype in ("float32", "int64") \
                and len(optimizer) <= 4 * len(want) + 8:
            continue      # Adam's moments etc. of a compiled model: checked, never loaded
        if path not in want:
            raise ArchitectureMismatch(
                f"{name}: extra tensor '{path}' (shape {shape}) that CV Lab's {arch} "
                f"architecture does not have; refused.", kind="model_file_extra_tensor",
                name=name, tensor=path, shape=str(shape), arch=arch)
        wshape, wdtype = want[path]
        layer = layer_of[path]
        if math.prod(shape) > math.prod(wshape):
            raise UnsafeModelFile(
                f"{name}: tensor '{path}' (layer '{layer}') is oversized: shape {shape}, "
                f"{math.prod(shape):,} numbers; the {arch} built from code has {wshape}, "
                f"{math.prod(wshape):,}. Refused.", kind="model_file_oversized", name=name,
                tensor=path, layer=layer, shape=str(shape), expected=str(wshape))
        if shape != wshape or dtype != wdtype:
            raise ArchitectureMismatch(
                f"{name}: tensor '{path}' (layer '{layer}') is {dtype} {shape}; the {arch} "
                f"built from code has {wdtype} {wshape}.", kind="model_file_tensor_shape",
                name=name, tensor=path, layer=layer, got=f"{dtype} {shape}",
                expected=f"{wdtype} {wshape}")
    for path in sorted(want):
        if path not in got:
            raise ArchitectureMismatch(
                f"{name}: tensor '{path}' (layer '{layer_of[path]}', shape {want[path][0]}) "
                f"is missing.", kind="model_file_missing_tensor", name=name, tensor=path,
                layer=layer_of[path], shape=str(want[path][0]))
    for path, layer in expected["groups"].items():
        if path != "vars" and layout["groups"].get(path, layer) != layer:
            raise ArchitectureMismatch(
                f"{name}: '{path}' belongs to layer '{layout['groups'][path]}'; the {arch} "
                f"built from code has layer '{layer}' there.", kind="model_file_layer_name",
                name=name, tensor=path, got=layout["groups"][path], expected=layer)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:120]
