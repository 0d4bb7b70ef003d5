"""Train the worked-example CNN: ``TrainConfig``, ``fit()`` and ``TrainingJob``.

Length (~670 lines, on purpose): the config, data preparation, progress callback, job
and results of one training are read together when following a setting from the Train
page to the optimizer; section comments divide them, and the architectures live in
cvlib.nets.

``fit(config)`` trains in the calling thread and returns a :class:`TrainResult`.
``TrainingJob(config).start()`` runs the same training in a daemon thread; a page polls
``job.snapshot()`` (a consistent copy taken under a lock) and may ``job.stop()``, which
returns within a second and keeps the weights learned so far. Jobs wait their turn in the
process's queue (:class:`cvlib.jobs.JobQueue`): a second ``start()`` queues, never fails.

Speed: images are fed as uint8 [N, 28, 28, 1] (the model rescales), Keras's array
adapter shuffles and batches them, and ``steps_per_execution`` runs several batches per
call of the compiled train step, which removes most of the per-batch Python overhead that
dominates this small network on a CPU (measured in bench/train_throughput.py). The
progress callback is marked ``async_safe`` so Keras dispatches it off the training loop.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

from cvlib import CVLibError
from cvlib.data import DatasetInfo, load_dataset
from cvlib.jobs import (  # noqa: F401 - JobBusy, current_job, JobSnapshot: public names of cvlib.train
    BackgroundJob,
    JobBusy,
    JobSnapshot,
    StoppedBeforeStart,
    current_job,
    progress_callback_base,
)
from cvlib.runs import data_fingerprint
from cvlib.validation import check_choice, check_range

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
LR_SCHEDULES = ("constant", "cosine", "warmup_cosine")
TRAINABLE_DATASETS = ("mnist", "fashion_mnist", "cifar10")
# What the Train page offers (a few minutes on a laptop CPU; CIFAR-10 takes an hour).
LIVE_DATASETS = ("mnist", "fashion_mnist")
BATCH_SIZE_CHOICES = (16, 32, 64, 128, 256, 512)
# Learning-rate steps of about x3: the scale on which rates are tuned.
LEARNING_RATE_STEPS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
FILTER_CHOICES = (8, 16, 32, 48, 64, 96, 128)
# The Train page's optimizer and schedule choices (Adam first: the worked example's).
LIVE_OPTIMIZERS = ("adam", "sgd", "momentum", "rmsprop")
LIVE_SCHEDULES = ("warmup_cosine", "cosine", "constant")
# The Train page's recipe: the seed architecture (TrainConfig's defaults) trained for one
# epoch with a warm-up + cosine schedule peaking at 1e-2 and label smoothing 0.1. It
# reaches 99.0% MNIST test accuracy in that epoch (99.21-99.32% over seeds 0-2), ~1/5 of
# the time the seed script takes for its 5 epochs (bench/time_to_accuracy.py,
# bench/RESULTS.md). TrainConfig's own defaults stay near the seed script (5 epochs, Adam
# 1e-3, cosine decay), which the CLI and notebooks get.
PAGE_RECIPE = {"epochs": 1, "batch_size": 64, "learning_rate": 1e-2,
               "lr_schedule": "warmup_cosine", "label_smoothing": 0.1}
ARCHS = ("cnn", "resnet", "resnet9")
PRECISIONS = ("float32", "mixed_bfloat16")
DISTRIBUTE = ("none", "mirrored", "multiworker")
WARMUP_FRACTION = 0.15


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines one training run. Invalid values raise ``ValueError``.

    Attributes:
        dataset: "mnist", "fashion_mnist" or "cifar10".
        arch: "cnn" (the worked example and its knobs), "resnet" (the compact residual
            CNN of cvlib.nets.resnet) or "resnet9" (the narrowed DAWNBench ResNet-9 of
            cvlib.nets.resnet, for CIFAR-10 photos); for both residual nets ``filters``
            are the stage widths and ``dense`` is unused.
        train_size: how many training images to use (None = all available).
        validation_split: fraction of those held out for validation, in [0, 0.5].
        filters: filters of the three conv layers (seed: 32, 64, 64).
        dense: width of the hidden dense layer (seed: 64).
        dropout: dropout before the output layer, in [0, 0.9].
        batchnorm: BatchNormalization after each conv layer.
        l1, l2: kernel regularisation strengths, in [0, 0.1].
        epochs: passes over the training data, 1-100.
        batch_size: images per gradient step, 1-4096 and at most the training images.
        learning_rate: step size, in [1e-6, 1].
        lr_schedule: "cosine" (default: decays the rate to 0 over the run; reached 99.0%
            MNIST test accuracy in 4 epochs where a constant rate stayed below it in 5,
            see bench/RESULTS.md), "warmup_cosine" (rises linearly from 0 over the first
            15% of the steps, then decays like "cosine"; for SGD on large batches) or
            "constant" (the seed script's).
        optimizer: "sgd", "momentum" (SGD with momentum 0.9), "nesterov" (the same with
            Nesterov's look-ahead), "rmsprop" or "adam".
        augment: random shifts (10%), rotations (±10°) and zoom (±10%) while training.
        precision: "float32", or "mixed_bfloat16" to train the "resnet9" body in
            bfloat16 (1.4x faster on CPUs with AVX512-BF16); the model it returns and
            saves is float32 either way.
        label_smoothing: s in [0, 0.5]: train towards s/K on each of the K classes plus
            1 - s on the true one; keeps a net from growing over-confident.
        early_stopping: stop when val_loss has not improved for ``patience`` epochs and
            restore the best weights (needs a validation split).
        patience: epochs to wait, 1-20.
        seed: random seed for the subset, the split, initialisation and shuffling.
        steps_per_execution: batches per call of the compiled train step (speed only).
        distribute: "none" (one device), "mirrored" (``tf.distribute.MirroredStrategy``:
            a copy of the model on every local GPU, or on every logical CPU device) or
            "multiworker" (``tf.distribute.MultiWorkerMirroredStrategy`` over the
            machines that ``$TF_CONFIG`` lists; start the same command on each). Both
            keep one model in sync and split each batch of ``batch_size`` images (the
            global batch) between the devices, so the settings mean what they mean on
            one device. See :func:`cluster_task`.
    """

    dataset: str = "mnist"
    arch: str = "cnn"
    train_size: int | None = None
    validation_split: float = 0.1
    filters: tuple[int, int, int] = (32, 64, 64)
    dense: int = 64
    dropout: float = 0.0
    batchnorm: bool = False
    l1: float = 0.0
    l2: float = 0.0
    epochs: int = 5
    batch_size: int = 64
    learning_rate: float = 1e-3
    lr_schedule: str = "cosine"
    optimizer: str = "adam"
    augment: bool = False
    label_smoothing: float = 0.0
    precision: str = "float32"
    early_stopping: bool = False
    patience: int = 2
    seed: int = 0
    steps_per_execution: int = 8
    distribute: str = "none"

    def __post_init__(self):
        check_choice("dataset", self.dataset, TRAINABLE_DATASETS)
        check_choice("arch", self.arch, ARCHS)
        if self.train_size is not None:
            check_range("train_size", self.train_size, 100, 1_000_000, integer=True,
                        hint="Use at least 100 images.")
        check_range("validation_split", self.validation_split, 0.0, 0.5)
        object.__setattr__(self, "filters", tuple(self.filters))
        if len(self.filters) != 3:
            raise ValueError(f"filters must give 3 conv layers; got {self.filters!r}.")
        for f in self.filters:
            check_range("filters", f, 1, 256, integer=True)
        check_range("dense", self.dense, 1, 1024, integer=True)
        check_range("dropout", self.dropout, 0.0, 0.9, hint="Try 0.2-0.5.")
        check_range("l1", self.l1, 0.0, 0.1)
        check_range("l2", self.l2, 0.0, 0.1)
        check_range("epochs", self.epochs, 1, 100, integer=True)
        check_range("batch_size", self.batch_size, 1, 4096, integer=True)
        check_range("learning_rate", self.learning_rate, 1e-6, 1.0, hint="Try 1e-3.")
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("label_smoothing", self.label_smoothing, 0.0, 0.5, hint="Try 0.1.")
        check_choice("precision", self.precision, PRECISIONS)
        if self.precision != "float32" and self.arch != "resnet9":
            raise ValueError(f"precision={self.precision!r} needs arch='resnet9'; got "
                             f"arch={self.arch!r}. Use precision='float32'.")
        check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_range("patience", self.patience, 1, 20, integer=True)
        check_range("seed", self.seed, 0, 2**31 - 1, integer=True)
        check_range("steps_per_execution", self.steps_per_execution, 1, 64, integer=True)
        check_choice("distribute", self.distribute, DISTRIBUTE)
        if self.early_stopping and self.validation_split == 0:
            raise ValueError("early_stopping needs a validation split > 0; got "
                             "validation_split=0. Set validation_split to 0.1 or turn "
                             "early stopping off.")
        if self.train_size is not None:
            n_train = self.train_size - int(round(self.train_size * self.validation_split))
            if self.batch_size > n_train:
                raise ValueError(f"batch_size must be at most the {n_train} training images; "
                                 f"got {self.batch_size}. Try a smaller batch or more images.")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["filters"] = list(self.filters)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def cnn_spec(self, input_shape=(28, 28, 1), num_classes=10):
        from cvlib.nets.cnn import CNNSpec
        return CNNSpec(filters=self.filters, dense=self.dense, dropout=self.dropout,
                       batchnorm=self.batchnorm, l1=self.l1, l2=self.l2,
                       input_shape=input_shape, num_classes=num_classes)


@dataclass
class TrainResult:
    """What a finished (or stopped) training produced.

    Attributes:
        model: the trained ``keras.Model`` (takes uint8-range [N, 28, 28, 1]).
        history: per-epoch lists: loss, accuracy, val_loss, val_accuracy.
        test_accuracy, test_loss: on the data set's test split.
        seconds: wall time of the training loop (without test evaluation).
        images_per_second: training images processed per second of ``seconds``.
        stopped: True when stopped early by the user.
        epochs_completed: full epochs finished.
        test_probs: float32 [N_test, classes] softmax outputs; y_test: int64 [N_test].
        data_info: where the data came from; run_id: the saved run, if any.
    """

    model: object
    config: TrainConfig
    history: dict[str, list[float]]
    test_accuracy: float
    test_loss: float
    seconds: float
    images_per_second: float
    stopped: bool
    epochs_completed: int
    test_probs: np.ndarray
    y_test: np.ndarray
    data_info: DatasetInfo
    run_id: str | None = None
    data_fingerprint: str = ""     # of the test set evaluated on (cvlib.runs.data_fingerprint)
    replicas: int = 1              # model copies trained in sync (config.distribute)
    chief: bool = True             # False on the workers of a cluster that save nothing

    def confusion_matrix(self) -> np.ndarray:
        """int64 [C, C]: rows = true class, columns = predicted class."""
        return confusion_matrix(self.y_test, self.test_probs.argmax(1), self.test_probs.shape[1])

    def metrics(self) -> dict:
        return {"test_accuracy": self.test_accuracy, "test_loss": self.test_loss,
                "seconds": self.seconds, "images_per_second": self.images_per_second,
                "stopped": self.stopped, "epochs_completed": self.epochs_completed,
                "data_source": self.data_info.source, "data_subset": self.data_info.subset,
                "data_fingerprint": self.data_fingerprint, "data_path": self.data_info.path,
                "params": int(self.model.count_params())}


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """int64 [K, K] counts, rows = true class, columns = predicted class
    (``sklearn.metrics.confusion_matrix`` with every class listed, even unseen ones)."""
    from sklearn.metrics import confusion_matrix as sk_confusion_matrix
    return sk_confusion_matrix(np.asarray(y_true), np.asarray(y_pred),
                               labels=np.arange(num_classes)).astype(np.int64)


# --- the pieces of a training ---------------------------------------------------------

@dataclass
class _Prepared:
    config: TrainConfig
    model: object           # the model that is kept and saved
    train_model: object     # model (+ augmentation layers in front when augment=True)
    x_train: np.ndarray
    y_train: np.ndarray
    val: tuple | None
    x_test: np.ndarray
    y_test: np.ndarray
    info: DatasetInfo
    steps_per_epoch: int = 0
    strategy: object = None  # the tf.distribute strategy (config.distribute), or None

    def scope(self):
        """The strategy's scope (build, compile and fit go inside), or a no-op."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()


# --- distributed training (config.distribute) -------------------------------------------

class DistributeError(CVLibError, ValueError):
    """``distribute="multiworker"`` without a usable ``$TF_CONFIG``."""


def cluster_task() -> tuple[str, int, int]:
    """The cluster that ``$TF_CONFIG`` describes, as TensorFlow reads it:
    ``(task type, task index, number of workers)``.

    ``TF_CONFIG`` is JSON, the same on every machine except ``task``, e.g. for two::

        {"cluster": {"worker": ["host1:12345", "host2:12345"]},
         "task": {"type": "worker", "index": 0}}

    Worker 0 (or a task of type "chief", when the cluster lists one) is the chief: the
    only one that writes the run and saves the model.

    Raises:
        DistributeError: ``TF_CONFIG`` is unset, not JSON, or lists no worker this task
            is one of.
    """
    text = os.environ.get("TF_CONFIG", "").strip()
    fix = ("Set TF_CONFIG on each machine, e.g. {\"cluster\": {\"worker\": [\"host1:12345\", "
           "\"host2:12345\"]}, \"task\": {\"type\": \"worker\", \"index\": 0}}, or use "
           "distribute='mirrored' for the devices of this machine.")
    if not text:
        raise DistributeError(f"distribute='multiworker' needs TF_CONFIG to describe the "
                              f"cluster; it is not set. {fix}", kind="tf_config_missing")
    try:
        spec = json.loads(text)
        cluster, task = spec["cluster"], spec["task"]
        kind, index = str(task["type"]), int(task["index"])
        workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
        members = cluster[kind]
        if not 0 <= index < len(members):
            raise IndexError(index)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise DistributeError(f"TF_CONFIG must be JSON with a 'cluster' of workers and this "
                              f"task's 'type' and 'index' in it; got {text[:200]!r} "
                              f"({type(exc).__name__}: {exc}). {fix}",
                              kind="tf_config_invalid") from None
    return kind, index, workers


def is_chief(config: TrainConfig) -> bool:
    """Whether this process writes the run and saves the model: always, except on the
    non-chief workers of a ``distribute="multiworker"`` cluster (see :func:`cluster_task`)."""
    if config.distribute != "multiworker":
        return True
    kind, index, _ = cluster_task()
    has_chief = "chief" in json.loads(os.environ["TF_CONFIG"])["cluster"]
    return kind == "chief" or (kind == "worker" and index == 0 and not has_chief)


def save_on_worker(model) -> None:
    """What a non-chief worker does instead of saving: TensorFlow's multi-worker recipe
    has every worker save (saving may take part in the workers' collective operations)
    and the non-chief ones write into a temporary folder that is then deleted."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="cvlib-worker-") as tmp:
        model.save_weights(os.path.join(tmp, "model.weights.h5"))


def _build_for_multiworker(model, x, y) -> None:
    """Make ``model.fit`` work under ``MultiWorkerMirroredStrategy`` with Keras 3.15, which
    trips twice there (keras-team/keras#20585, tensorflow/tensorflow#72388):

    1. Before training, its TensorFlow trainer builds a model that holds a strategy by
       averaging one (x, y) batch across the replicas with ``strategy.reduce``, which the
       multi-worker strategy cannot do for a pair ("Attempt to convert a value
       (PerReplica...)"). So the optimizer, loss and metric state are built here from one
       local batch, as that step would (the same private ``_symbolic_build``), and the
       model keeps no strategy of its own: ``fit`` then reads the strategy from the scope
       it runs in (``_Prepared.scope``), as Keras's ``distribute_strategy`` property
       does, and skips that step.
    2. After each step it averages the step's logs across workers with
       ``strategy.reduce("MEAN", v, axis=0)``, which fails for the scalar loss and
       accuracy ("Invalid reduction dimension 0 for input with 0 dimensions"). So the
       train and test steps (Keras's own, wrapped through the documented ``train_step``
       override point) return each log as a 1-element vector, and that mean is the
       value itself again.

    Args:
        model: the compiled model, inside the strategy's scope.
        x, y: one batch of training images and labels (uint8 [1, H, W, C], int [1]).
    """
    import tensorflow as tf

    def as_vectors(step):
        def wrapped(data):
            return {k: tf.reshape(v, [1]) for k, v in step(data).items()}
        return wrapped

    model._symbolic_build(data_batch=(x, y))
    model._distribute_strategy = None
    model.train_step = as_vectors(model.train_step)
    model.test_step = as_vectors(model.test_step)


@functools.cache
def _strategy(distribute: str):
    """One strategy per process and kind (TensorFlow allows one multi-worker set-up per
    process, made before any other TF operation runs)."""
    if distribute == "multiworker":
        cluster_task()   # a clear message instead of TF's for a missing or broken TF_CONFIG
    import tensorflow as tf
    if distribute == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def _optimizer(config: TrainConfig, total_steps: int):
    import keras
    lr = config.learning_rate
    if config.lr_schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=max(1, total_steps))
    elif config.lr_schedule == "warmup_cosine":
        warmup = int(total_steps * WARMUP_FRACTION)
        lr = keras.optimizers.schedules.CosineDecay(
            0.0, decay_steps=max(1, total_steps - warmup), warmup_target=lr,
            warmup_steps=warmup)
    return {
        "sgd": lambda: keras.optimizers.SGD(lr),
        "momentum": lambda: keras.optimizers.SGD(lr, momentum=0.9),
        "nesterov": lambda: keras.optimizers.SGD(lr, momentum=0.9, nesterov=True),
        "rmsprop": lambda: keras.optimizers.RMSprop(lr),
        "adam": lambda: keras.optimizers.Adam(lr),
    }[config.optimizer]()


def augmentation_layers(dataset: str = "mnist"):
    """Digits and clothes: small shifts, rotations and zooms (a flipped 2 is no 2).
    Photos: horizontal flips and shifts of up to 4 pixels with reflected borders."""
    from keras import layers
    if dataset == "cifar10":
        return [layers.RandomFlip("horizontal", name="aug_flip"),
                layers.RandomTranslation(0.125, 0.125, fill_mode="reflect", name="aug_shift")]
    return [layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="aug_shift"),
            layers.RandomRotation(10 / 360, fill_mode="constant", name="aug_rotate"),
            layers.RandomZoom(0.1, fill_mode="constant", name="aug_zoom")]


def _loss(config: TrainConfig, num_classes: int):
    """Sparse cross-entropy; with label smoothing, the one-hot form Keras smooths."""
    if not config.label_smoothing:
        return "sparse_categorical_crossentropy"
    import keras
    smoothing = config.label_smoothing

    def smoothed_sparse_crossentropy(y_true, y_pred):
        y = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32"),
                              num_classes)
        return keras.losses.categorical_crossentropy(y, y_pred, label_smoothing=smoothing)
    return smoothed_sparse_crossentropy


def build_model(config: TrainConfig, input_shape=None, num_classes: int = 10,
                for_training: bool = False):
    """The (uncompiled) model that ``config`` describes (:func:`cvlib.nets.build_classifier`);
    float32 unless ``for_training`` and ``config.precision`` asks for mixed precision."""
    from cvlib.nets import build_classifier
    mixed = for_training and config.arch == "resnet9" and config.precision != "float32"
    return build_classifier(config.to_dict(), input_shape, num_classes,
                            dtype=config.precision if mixed else None)


def _with_channel(x: np.ndarray) -> np.ndarray:
    return x[..., None] if x.ndim == 3 else x


def prepare(config: TrainConfig) -> _Prepared:
    """Load the data and build + compile the model for ``config``."""
    # First: a multi-worker strategy must exist before TensorFlow runs anything else.
    strategy = _strategy(config.distribute) if config.distribute != "none" else None
    import keras

    x, y, info = load_dataset(config.dataset, "train")
    x_test, y_test, _ = load_dataset(config.dataset, "test")
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(len(x))
    if config.train_size is not None:
        order = order[: config.train_size]
    n_val = int(round(len(order) * config.validation_split))
    tr, va = order[n_val:], order[:n_val]
    if config.batch_size > len(tr):
        raise ValueError(f"batch_size must be at most the {len(tr)} training images "
                         f"available from {info.source}; got {config.batch_size}.")
    # uint8 [N, H, W, C] 0-255: the model's Rescaling layer maps to [0, 1].
    x_tr, y_tr = _with_channel(x[tr]), y[tr]
    val = (_with_channel(x[va]), y[va]) if n_val else None

    keras.utils.set_random_seed(config.seed)
    p = _Prepared(config, None, None, x_tr, y_tr, val, _with_channel(x_test), y_test, info,
                  -(-len(x_tr) // config.batch_size), strategy)
    # Under a strategy the variables are made in its scope (a copy per device, kept in
    # sync), and Keras's fit splits each batch of ``batch_size`` images (the global batch)
    # between the replicas and, on several workers, shards the data between them.
    with p.scope():
        model = build_model(config, x_tr.shape[1:], info.num_classes, for_training=True)
        if config.augment:
            train_model = keras.Sequential([keras.Input(x_tr.shape[1:]),
                                            *augmentation_layers(config.dataset), model],
                                           name="augmented")
        else:
            train_model = model
        # One step per execution under a strategy: Keras 3's multi-step loop fails there
        # ("You must feed a value for placeholder tensor", keras-team/keras#19246).
        train_model.compile(optimizer=_optimizer(config, p.steps_per_epoch * config.epochs),
                            loss=_loss(config, info.num_classes), metrics=["accuracy"],
                            steps_per_execution=1 if strategy else config.steps_per_execution)
        if config.distribute == "multiworker":
            _build_for_multiworker(train_model, x_tr[:1], y_tr[:1])
    p.model, p.train_model = model, train_model
    return p


def predict_probs(model, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    """Softmax outputs for many images, without ``model.predict``'s per-call overhead."""
    out = [np.asarray(model(x[i:i + batch], training=False)) for i in range(0, len(x), batch)]
    return np.concatenate(out) if out else np.zeros((0, model.output_shape[-1]), np.float32)


def _as_float32(p: _Prepared):
    """The trained model itself, or for mixed precision a float32 copy of it."""
    if p.config.precision == "float32":
        return p.model
    model = build_model(p.config, p.x_train.shape[1:], p.info.num_classes)
    model.set_weights(p.model.get_weights())
    return model


BN_RECALIBRATION_IMAGES = 5000   # training images used to re-estimate batch-norm statistics


def recalibrate_batchnorm(model, x: np.ndarray, max_images: int = BN_RECALIBRATION_IMAGES,
                          batch: int = 500) -> int:
    """Set every BatchNormalization layer's moving mean and variance to the statistics of
    its input over the training images (in inference mode, layer by layer, input side
    first), replacing the exponential moving averages.

    Why: with Keras's momentum 0.99 the moving averages need several hundred steps to
    forget their initial values (mean 0, variance 1); 1,000 images x 5 epochs at batch
    64 is only 80 steps, so a model that is 99% right in training (batch statistics)
    scored 19% at test time (moving statistics). Re-estimating the population statistics
    after training is the fix of Ioffe & Szegedy 2015 (Alg. 2, inference network) and of
    the "BN update" of Izmailov et al. 2018 (SWA); it costs one forward pass per layer
    over ``max_images`` images.

    Args:
        model: a keras.Model (functional) whose top-level layers include the BN layers.
        x: training images as the model takes them, [N, H, W, C] (uint8 0-255 here).
        max_images: use at most this many images (the first ones).

    Returns:
        The number of BatchNormalization layers updated (0: nothing to do).
    """
    import keras
    bns = [lay for lay in model.layers if isinstance(lay, keras.layers.BatchNormalization)]
    if not bns or len(x) == 0:
        return 0
    x = x[:max_images]
    for bn in bns:
        sub = keras.Model(model.inputs, bn.input)
        total, total_sq, count = 0.0, 0.0, 0
        for i in range(0, len(x), batch):
            h = np.asarray(sub([x[i:i + batch]], training=False), np.float64)
            h = h.reshape(-1, h.shape[-1])
            total = total + h.sum(0)
            total_sq = total_sq + (h * h).sum(0)
            count += len(h)
        mean = total / count
        var = np.maximum(total_sq / count - mean * mean, 0.0)
        bn.moving_mean.assign(mean.astype(np.float32))
        bn.moving_variance.assign(var.astype(np.float32))
    return len(bns)


def _finish(p: _Prepared, history: dict, seconds: float, seen: int, stopped: bool,
            epochs_completed: int) -> TrainResult:
    p.model = _as_float32(p)
    if p.config.batchnorm:
        recalibrate_batchnorm(p.model, p.x_train)
    probs = predict_probs(p.model, p.x_test)
    eps = 1e-7
    test_loss = float(-np.mean(np.log(probs[np.arange(len(p.y_test)), p.y_test] + eps)))
    test_acc = float(np.mean(probs.argmax(1) == p.y_test))
    return TrainResult(model=p.model, config=p.config, history=history,
                       test_accuracy=test_acc, test_loss=test_loss, seconds=seconds,
                       images_per_second=seen / seconds if seconds > 0 else 0.0,
                       stopped=stopped, epochs_completed=epochs_completed,
                       test_probs=probs, y_test=np.asarray(p.y_test), data_info=p.info,
                       data_fingerprint=data_fingerprint(p.x_test, p.y_test),
                       replicas=p.strategy.num_replicas_in_sync if p.strategy else 1,
                       chief=is_chief(p.config))


def _keras_callbacks(config: TrainConfig) -> list:
    import keras
    if config.early_stopping:
        return [keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                              restore_best_weights=True)]
    return []


# --- progress ---------------------------------------------------------------------------

def _make_progress_callback(batch_size: int, steps_per_epoch: int, epochs: int,
                            epoch_images: int, stop_event: threading.Event,
                            on_epoch=None, on_end=None):
    """A Keras callback that records progress under a lock and honours ``stop_event``.

    It does no I/O and no UI calls (``on_epoch``/``on_end`` hooks aside): a page reads
    its ``snapshot()``. Built in a function so that importing this module stays cheap.
    """
    class _Progress(progress_callback_base()):
        # Keras may dispatch batch-end calls to a worker thread when every callback is
        # async-safe: ours only takes a lock and copies a few floats.
        async_safe = True

        def __init__(self):
            super().__init__(JobSnapshot(status="running", epochs=epochs,
                                         steps_per_epoch=steps_per_epoch),
                             stop_event, on_end)
            self.every = max(1, steps_per_epoch // 100)
            self._last_point = -1
            self._seen_before_epoch = 0
            self._mark = (0, 0.0, 0.0)
            self.in_validation = False

        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            with self.lock:
                self._mark = (0, 0.0, 0.0)   # (batches, running loss, running accuracy)

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            with self.lock:
                s = self.snap
                # With several steps per execution Keras reports the last step of the
                # chunk, which can pass the epoch's end.
                s.batch = min(batch + 1, steps_per_epoch)
                done = (s.epoch - 1) * steps_per_epoch + s.batch
                s.images_seen = self._seen_before_epoch + min(s.batch * batch_size,
                                                              epoch_images)
                s.elapsed = now - self.t0
                if s.elapsed > 0:
                    s.images_per_second = s.images_seen / s.elapsed
                    rate = done / s.elapsed
                    s.eta_seconds = (epochs * steps_per_epoch - done) / rate if rate else None
                if logs and done - self._last_point >= self.every:
                    # Keras logs the running mean of the epoch so far; the mean over the
                    # batches since the last point is what the curve should show.
                    k, loss, acc = s.batch, float(logs.get("loss", np.nan)), \
                        float(logs.get("accuracy", np.nan))
                    j, j_loss, j_acc = self._mark
                    if k > j:
                        s.batches.append((done, (k * loss - j * j_loss) / (k - j),
                                          (k * acc - j * j_acc) / (k - j)))
                    self._mark = (k, loss, acc)
                    self._last_point = done
            self._check_stop()

        def on_test_begin(self, logs=None):
            self.in_validation = True
            self._check_stop()

        def on_test_end(self, logs=None):
            self.in_validation = False

        def on_epoch_end(self, epoch, logs=None):
            self._check_stop()
            logs = logs or {}
            with self.lock:
                for k, v in logs.items():
                    if k in ("loss", "accuracy", "val_loss", "val_accuracy"):
                        self.snap.history.setdefault(k, []).append(float(v))
                # Where this epoch ended, in epochs: 0.2 for an epoch stopped early.
                self.snap.history.setdefault("epoch_progress", []).append(
                    round(epoch + self.snap.batch / steps_per_epoch, 4))
                self._seen_before_epoch += epoch_images
                self.snap.images_seen = self._seen_before_epoch
                history = {k: list(v) for k, v in self.snap.history.items()}
            if on_epoch is not None:
                on_epoch(epoch, logs, history)

    return _Progress()


def fit(config: TrainConfig, callbacks=(), stop_event: threading.Event | None = None,
        verbose: int = 0) -> TrainResult:
    """Train the CNN described by ``config`` in the calling thread.

    Args:
        config: the run's settings.
        callbacks: extra Keras callbacks.
        stop_event: set it from another thread to stop after the current batch.
        verbose: Keras's progress bar (0 = silent).

    Returns:
        A :class:`TrainResult` with the model, history and test metrics.

    Example:
        r = fit(TrainConfig(train_size=1000, epochs=1))
        r.test_accuracy > 0.5
        True
    """
    p = prepare(config)
    stop_event = stop_event or threading.Event()
    progress = _make_progress_callback(config.batch_size, p.steps_per_epoch, config.epochs,
                                       len(p.x_train), stop_event)
    t0 = time.perf_counter()
    with p.scope():
        p.train_model.fit(p.x_train, p.y_train, batch_size=config.batch_size,
                          epochs=config.epochs, validation_data=p.val, shuffle=True,
                          callbacks=[progress, *_keras_callbacks(config), *callbacks],
                          verbose=verbose)
    seconds = time.perf_counter() - t0
    snap = progress.snapshot()
    epochs_completed = len(snap.history.get("loss", []))
    return _finish(p, snap.history, seconds, snap.images_seen, stop_event.is_set(),
                   epochs_completed)


# --- background jobs --------------------------------------------------------------------

class TrainingJob(BackgroundJob):
    """Run :func:`fit` in a daemon thread that a page can watch and stop.

    The lifecycle (start/snapshot/stop/join/result, a FIFO queue of heavy jobs per process,
    stop within a second) is :class:`cvlib.jobs.BackgroundJob`'s.

    Args:
        config: the run's settings.
        store: a :class:`cvlib.runs.RunStore` to keep the run on disk (config, history
            every epoch, weights, metrics, TensorBoard logs), or None to keep nothing.

    Example:
        job = TrainingJob(TrainConfig(train_size=1000, epochs=1)).start()
        job.snapshot().status
        'running'
        job.stop(); job.join(); job.result.test_accuracy
    """

    thread_name = "cvlab-train"

    def __init__(self, config: TrainConfig, store=None):
        super().__init__(config)
        self.store = store
        self.run_id: str | None = None
        self._worker_save = False    # a non-chief worker of a cluster (config.distribute)

    def _empty_snapshot(self) -> JobSnapshot:
        return JobSnapshot(epochs=self.config.epochs)

    def _before_start(self) -> None:
        if self.store is not None and not is_chief(self.config):
            self.store, self._worker_save = None, True   # the chief writes the run
        if self.store is not None:
            self.run_id = self.store.create(self.config.to_dict())

    def _on_stopped_early(self) -> None:
        if self.store is not None:
            self.store.set_status(self.run_id, "stopped", self._reason)

    def _on_failed(self) -> None:
        if self.store is not None and self.run_id:
            self.store.set_status(self.run_id, "failed", self._error)

    def _work(self) -> None:
        p = prepare(self.config)
        timing = {}

        def on_epoch(epoch, logs, history):
            if self.store is not None:
                self.store.write_epoch_progress(self.run_id, history.get("epoch_progress", []))

        def on_end():
            # Finish from the callback: fit() may return seconds after this.
            seconds = time.perf_counter() - timing["t0"]
            snap = self._progress.snapshot()
            stopped = self._stop.is_set()
            result = _finish(p, snap.history, seconds, snap.images_seen, stopped,
                             len(snap.history.get("loss", [])))
            result.run_id = self.run_id
            if self.store is not None:
                self.store.write_epoch_progress(self.run_id,
                                                snap.history.get("epoch_progress", []))
                self.store.write_weights(self.run_id, p.model)
                self.store.write_predictions(self.run_id, result.test_probs, result.y_test)
                self.store.write_metrics(self.run_id, result.metrics())
                self.store.set_status(self.run_id, "stopped" if stopped else "finished",
                                      self._reason if stopped else "")
            elif self._worker_save:
                save_on_worker(p.model)
            self._complete(result, stopped)

        progress = _make_progress_callback(self.config.batch_size, p.steps_per_epoch,
                                           self.config.epochs, len(p.x_train), self._stop,
                                           on_epoch=on_epoch, on_end=on_end)
        self._progress = progress
        if self._stop.is_set():   # stopped while loading data
            raise StoppedBeforeStart()
        timing["t0"] = time.perf_counter()
        callbacks = [progress, *_keras_callbacks(self.config)]
        if self.store is not None:
            # Keras's own TensorBoard callback: epoch scalars in tb/train and tb/validation
            # (`tensorboard --logdir <runs dir>`); no graph, no profiling, so it costs
            # one small write per epoch.
            # Keras's own CSVLogger writes history.csv row by row (flushed every epoch).
            import keras
            callbacks.append(keras.callbacks.TensorBoard(
                str(self.store.path(self.run_id) / "tb"), write_graph=False,
                update_freq="epoch", profile_batch=0))
            callbacks.append(keras.callbacks.CSVLogger(str(self.store.history_path(self.run_id))))
        with p.scope():
            p.train_model.fit(p.x_train, p.y_train, batch_size=self.config.batch_size,
                              epochs=self.config.epochs, validation_data=p.val, shuffle=True,
                              callbacks=callbacks, verbose=0)


def model_from_run(record):
    """Rebuild a saved run's model (architecture from its config + its weights file)."""
    config = TrainConfig.from_dict(record.config)
    model = build_model(config)
    model.load_weights(str(record.weights_path))
    return model
