"""GAN training: GanConfig, the conditional DCGAN, fit_gan and the GanJob a page watches,
and the hint read from the loss curves."""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from cvlib.generate.sampling import to_uint8
from cvlib.jobs import BackgroundJob, JobSnapshot, StoppedBeforeStart, progress_callback_base
from cvlib.validation import check_choice, check_range

GAN_DATASETS = ("mnist", "fashion_mnist")
# The shipped classifier that judges each dataset's samples.
JUDGE = {"mnist": "mnist_cnn", "fashion_mnist": "fashion_cnn"}
GRID_PER_CLASS = 2          # fixed-noise grid of a training: 2 samples per class


@dataclass(frozen=True)
class GanConfig:
    """Everything that defines one GAN training. Invalid values raise ``ValueError``.

    Attributes:
        dataset: "mnist" or "fashion_mnist".
        train_size: how many training images to use (None = all available).
        latent_dim: size of the noise vector z, 2-256.
        width: base filter count of both networks (generator 4w -> 2w -> 1 channels).
        g_learning_rate, d_learning_rate: Adam step sizes (beta_1 = 0.5), in [1e-5, 1e-2].
        batch_size: images per step, 8-1024 and at most the training images.
        epochs: passes over the training data, 1-100.
        label_smoothing: real targets for D are 1 - this, in [0, 0.3].
        seed: random seed of the subset, initialisation and noise.
    """

    dataset: str = "mnist"
    train_size: int | None = None
    latent_dim: int = 64
    width: int = 16
    g_learning_rate: float = 2e-4
    d_learning_rate: float = 2e-4
    batch_size: int = 128
    epochs: int = 5
    label_smoothing: float = 0.1
    seed: int = 0

    def __post_init__(self):
        check_choice("dataset", self.dataset, GAN_DATASETS)
        if self.train_size is not None:
            check_range("train_size", self.train_size, 100, 1_000_000, integer=True,
                        hint="Use at least 100 images.")
        check_range("latent_dim", self.latent_dim, 2, 256, integer=True, hint="Try 64.")
        check_range("width", self.width, 4, 128, integer=True, hint="Try 16.")
        check_range("g_learning_rate", self.g_learning_rate, 1e-5, 1e-2, hint="Try 2e-4.")
        check_range("d_learning_rate", self.d_learning_rate, 1e-5, 1e-2, hint="Try 2e-4.")
        check_range("batch_size", self.batch_size, 8, 1024, integer=True)
        check_range("epochs", self.epochs, 1, 100, integer=True)
        check_range("label_smoothing", self.label_smoothing, 0.0, 0.3, hint="Try 0.1.")
        check_range("seed", self.seed, 0, 2**31 - 1, integer=True)
        if self.train_size is not None and self.batch_size > self.train_size:
            raise ValueError(f"batch_size must be at most the {self.train_size} training "
                             f"images; got {self.batch_size}. Try a smaller batch.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GanConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def build_generator(config: GanConfig, num_classes: int = 10):
    from cvlib.nets.gan import build_generator as build
    return build(config.latent_dim, num_classes, config.width,
                 name=f"cgan_{config.dataset}_generator")


def build_gan(config: GanConfig, num_classes: int = 10):
    """The compiled :class:`cvlib.nets.gan.ConditionalGAN` that ``config`` describes."""
    import keras

    from cvlib.nets.gan import ConditionalGAN, build_discriminator
    keras.utils.set_random_seed(config.seed)
    gan = ConditionalGAN(build_generator(config, num_classes),
                         build_discriminator(num_classes, config.width),
                         config.latent_dim, num_classes, config.label_smoothing)
    gan.compile(g_optimizer=keras.optimizers.Adam(config.g_learning_rate, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(config.d_learning_rate, beta_1=0.5))
    return gan


def _training_data(config: GanConfig):
    """uint8 [N, 28, 28, 1] 0-255, int labels [N], DatasetInfo."""
    from cvlib.data import load_dataset
    x, y, info = load_dataset(config.dataset, "train")
    if config.train_size is not None and config.train_size < len(x):
        idx = np.random.default_rng(config.seed).permutation(len(x))[: config.train_size]
        x, y = x[idx], y[idx]
    if config.batch_size > len(x):
        raise ValueError(f"batch_size must be at most the {len(x)} training images "
                         f"available from {info.source}; got {config.batch_size}.")
    return x[..., None], np.asarray(y, np.int64), info


@dataclass
class GanResult:
    """What a finished (or stopped) GAN training produced.

    Attributes:
        generator: the trained generator ``keras.Model`` (z, one-hot) -> [-1, 1] images.
        history: per-epoch means: g_loss, d_loss, d_real, d_fake.
        grids: uint8 [GRID_PER_CLASS * C, 28, 28] fixed-noise samples after each epoch.
        seconds, images_per_second, stopped, epochs_completed, data_info.
    """

    generator: object
    config: GanConfig
    history: dict[str, list[float]]
    grids: list[np.ndarray]
    seconds: float
    images_per_second: float
    stopped: bool
    epochs_completed: int
    data_info: object = None


@dataclass
class GanSnapshot(JobSnapshot):
    """A consistent copy of a GAN job's progress (plain data for the page).

    The fields of :class:`cvlib.jobs.JobSnapshot`, except that ``batches`` holds
    (global step, g_loss, d_loss, d_real, d_fake) for every batch; ``grids`` adds one uint8
    [20, 28, 28] fixed-noise sample grid per finished epoch.
    """

    grids: list = field(default_factory=list)

    def copy(self):
        return replace(super().copy(), grids=list(self.grids))

    @property
    def fraction(self) -> float:
        return 1.0 if self.status == "finished" else super().fraction


def fixed_noise(latent_dim: int, num_classes: int = 10, per_class: int = GRID_PER_CLASS,
                seed: int = 1234) -> tuple[np.ndarray, np.ndarray]:
    """The noise the training grid is drawn from: z [per_class*C, latent], labels [per_class*C]
    (class-major: c0, c0, c1, c1 ...)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((per_class * num_classes, latent_dim)).astype(np.float32)
    return z, np.repeat(np.arange(num_classes), per_class)


def _make_gan_callback(steps_per_epoch: int, epochs: int, batch_size: int, epoch_images: int,
                       stop_event: threading.Event, latent_dim: int, num_classes: int = 10,
                       on_end=None):
    """A Keras callback that records every batch and a fixed-noise grid per epoch under a lock."""
    z_fixed, k_fixed = fixed_noise(latent_dim, num_classes)
    y_fixed = np.eye(num_classes, dtype=np.float32)[k_fixed]

    class _GanProgress(progress_callback_base()):
        def __init__(self):
            super().__init__(GanSnapshot(status="running", epochs=epochs,
                                         steps_per_epoch=steps_per_epoch),
                             stop_event, on_end)
            self._epoch_rows = []

        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            self._epoch_rows = []

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            logs = logs or {}
            row = tuple(float(logs.get(k, np.nan)) for k in ("g_loss", "d_loss", "d_real",
                                                              "d_fake"))
            self._epoch_rows.append(row)
            with self.lock:
                s = self.snap
                s.batch = min(batch + 1, steps_per_epoch)
                step = (s.epoch - 1) * steps_per_epoch + s.batch
                s.images_seen = (s.epoch - 1) * epoch_images + min(s.batch * batch_size,
                                                                   epoch_images)
                s.elapsed = now - self.t0
                if s.elapsed > 0:
                    s.images_per_second = s.images_seen / s.elapsed
                s.batches.append((step, *row))
            self._check_stop()

        def on_epoch_end(self, epoch, logs=None):
            self._check_stop()
            grid = to_uint8(np.asarray(self.model.generator([z_fixed, y_fixed],
                                                            training=False)))
            rows = np.asarray(self._epoch_rows, float).reshape(-1, 4)
            with self.lock:
                for i, k in enumerate(("g_loss", "d_loss", "d_real", "d_fake")):
                    self.snap.history.setdefault(k, []).append(
                        float(np.nanmean(rows[:, i])) if len(rows) else float("nan"))
                self.snap.history.setdefault("epoch_progress", []).append(
                    round(epoch + self.snap.batch / steps_per_epoch, 4))
                self.snap.grids.append(grid)

    return _GanProgress()


def fit_gan(config: GanConfig, callbacks=(), stop_event: threading.Event | None = None,
            verbose: int = 0, progress: bool = True) -> GanResult:
    """Train the conditional GAN described by ``config`` in the calling thread.

    Args:
        config: the run's settings.
        callbacks: extra Keras callbacks.
        stop_event: set it from another thread to stop after the current batch.
        verbose: Keras's progress bar (0 = silent).
        progress: record per-batch logs and grids (False = a bare ``fit``, for benchmarks).

    Example:
        r = fit_gan(GanConfig(train_size=1000, epochs=1))
        sorted(r.history)
        ['d_fake', 'd_loss', 'd_real', 'epoch_progress', 'g_loss']
    """
    x, y, info = _training_data(config)
    gan = build_gan(config, info.num_classes)
    stop_event = stop_event or threading.Event()
    steps = -(-len(x) // config.batch_size)
    cbs = list(callbacks)
    prog = None
    if progress:
        prog = _make_gan_callback(steps, config.epochs, config.batch_size, len(x), stop_event,
                                  config.latent_dim, info.num_classes)
        cbs.insert(0, prog)
    t0 = time.perf_counter()
    gan.fit(x, y, batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
            callbacks=cbs, verbose=verbose)
    seconds = time.perf_counter() - t0
    snap = prog.snapshot() if prog is not None else GanSnapshot()
    done = len(snap.history.get("g_loss", [])) if prog is not None else config.epochs
    seen = snap.images_seen if prog is not None else len(x) * config.epochs
    return GanResult(gan.generator, config, snap.history, snap.grids, seconds,
                     seen / seconds if seconds else 0.0, stop_event.is_set(), done, info)


class GanJob(BackgroundJob):
    """Run :func:`fit_gan` in a daemon thread that a page can watch and stop.

    Same contract as :class:`cvlib.train.TrainingJob` (both are
    :class:`cvlib.jobs.BackgroundJob`): ``start()`` (runs now, or waits its turn in the
    process's :class:`cvlib.jobs.JobQueue`), ``snapshot()``, ``stop()`` (returns
    within a second, keeps the weights), ``join()``, ``result`` (a :class:`GanResult`),
    ``running``.

    Example:
        job = GanJob(GanConfig(train_size=1000, epochs=1)).start()
        job.join(); job.result.history["g_loss"]
    """

    thread_name = "cvlab-gan"

    def _empty_snapshot(self) -> GanSnapshot:
        return GanSnapshot(epochs=self.config.epochs)

    def _work(self) -> None:
        x, y, info = _training_data(self.config)
        gan = build_gan(self.config, info.num_classes)
        steps = -(-len(x) // self.config.batch_size)
        timing = {}

        def on_end():
            # Finish from the callback: fit() may return seconds after this.
            seconds = time.perf_counter() - timing["t0"]
            snap = self._progress.snapshot()
            stopped = self._stop.is_set()
            self._complete(GanResult(
                gan.generator, self.config, snap.history, snap.grids, seconds,
                snap.images_seen / seconds if seconds else 0.0, stopped,
                len(snap.history.get("g_loss", [])), info), stopped)

        self._progress = _make_gan_callback(
            steps, self.config.epochs, self.config.batch_size, len(x), self._stop,
            self.config.latent_dim, info.num_classes, on_end=on_end)
        if self._stop.is_set():   # stopped while loading data
            raise StoppedBeforeStart()
        timing["t0"] = time.perf_counter()
        gan.fit(x, y, batch_size=self.config.batch_size, epochs=self.config.epochs,
                shuffle=True, callbacks=[self._progress], verbose=0)


def gan_hint(history: dict, batches=()) -> str | None:
    """A plain-language diagnosis code from the curves, or None when nothing stands out.

    "d_wins": the discriminator tells real from fake almost perfectly (D(G(z)) stays near 0
    while D(x) is high): the generator gets no useful gradient.
    "mode_collapse": the generator's loss falls while D(G(z)) climbs far above D(x) and the
    discriminator's loss rises: typically the generator found a few images that fool D.
    """
    rows = np.asarray([b[1:5] for b in batches[-50:]], float) if len(batches) else None
    if rows is None or len(rows) < 10:
        return None
    g, d, d_real, d_fake = np.nanmean(rows, axis=0)
    if d_fake < 0.05 and d_real > 0.8 and g > 3.0:
        return "d_wins"
    if d_fake > 0.8 and d_real < 0.5 and d > 2.0:
        return "mode_collapse"
    return None
