"""Training the digit-scene segmenter (U-Net) and detector (centre points), and measuring them.

Length (~540 lines, on purpose): scene data, losses, the two training loops, their
measures (mIoU, COCO mAP) and the live job share one scene pipeline.

``python -m cvlib train --task segment|detect ...`` calls :func:`fit_scenes`;
:class:`SegmenterJob` trains a small segmenter in the background for the Segment page's
live panel (a few hundred scenes, about a minute) and keeps the masks it draws for fixed
sample scenes after every epoch.

Losses:
    segment: cross-entropy per pixel + (1 - soft Dice) averaged over the 11 classes. The
        Dice term keeps the small digit classes (3% of the pixels) from drowning in the
        background, which plain cross-entropy lets happen early in training.
    detect: CenterNet's (Zhou et al. 2019) penalty-reduced focal loss on Gaussian
        heat-map targets (alpha 2, beta 4), L1 on size (weight 0.1) and offset (weight 1)
        at the object centres, each normalised by the number of objects.

Data: ``train_scenes`` scenes of the train split (MNIST train digits) generated once and
kept in memory; validation on ``val_scenes`` train-split scenes of another seed; the final
measure on ``eval_scenes`` held-out test-split scenes (MNIST test digits).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from cvlib.jobs import BackgroundJob, JobSnapshot, StoppedBeforeStart, progress_callback_base
from cvlib.scenes import NUM_CLASSES, SEGMENT_CLASS_NAMES, digit_scenes
from cvlib.validation import check_choice, check_range

TASKS = ("segment", "detect")
PRECISIONS = ("float32", "mixed_bfloat16")
STRIDE = 4


@dataclass(frozen=True)
class SceneTrainConfig:
    """What to train, on how much data, for how long.

    Attributes:
        task: "segment" (U-Net, 11 classes) or "detect" (centre points, 10 classes).
        filters: encoder channels per level, full resolution first.
        train_scenes: number of training scenes (generated once, kept in memory).
        val_scenes: validation scenes (train split, seed + 1000) measured each epoch.
        eval_scenes: held-out test-split scenes measured at the end (0 = skip).
        epochs: passes over the training scenes.
        batch_size: scenes per step.
        learning_rate: peak Adam learning rate (cosine decay to 1% after 1 epoch warm-up).
        precision: "float32" or "mixed_bfloat16" (bfloat16 compute on AVX512-BF16 CPUs;
            the saved weights are float32 either way).
        time_limit: stop after this many seconds of training (None = no limit).
        seed: seed of the scenes and of the weights.
        init_from: start from the shipped weights of this registry model (same spec)
            instead of random ones: a second training stage (None = from scratch).
    """

    task: str = "segment"
    filters: tuple[int, ...] = (16, 32, 48, 64, 96)
    train_scenes: int = 6000
    val_scenes: int = 200
    eval_scenes: int = 1000
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 3e-3
    precision: str = "float32"
    time_limit: float | None = None
    seed: int = 0
    init_from: str | None = None

    def __post_init__(self):
        check_choice("task", self.task, TASKS)
        check_choice("precision", self.precision, PRECISIONS)
        check_range("train_scenes", self.train_scenes, 8, 100_000, integer=True)
        check_range("val_scenes", self.val_scenes, 0, 10_000, integer=True)
        check_range("eval_scenes", self.eval_scenes, 0, 10_000, integer=True)
        check_range("epochs", self.epochs, 1, 1000, integer=True)
        check_range("batch_size", self.batch_size, 1, 1024, integer=True)
        check_range("learning_rate", self.learning_rate, 0.0, 1.0, low_inclusive=False)
        if self.time_limit is not None:
            check_range("time_limit", self.time_limit, 1, 86_400)
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["filters"] = list(self.filters)
        return d

    def spec(self):
        if self.task == "segment":
            from cvlib.nets.unet import UNetSpec
            return UNetSpec(filters=self.filters, num_classes=NUM_CLASSES)
        from cvlib.nets.centernet import CenterNetSpec
        return CenterNetSpec(filters=self.filters, num_classes=10)


def build(config: SceneTrainConfig, for_training: bool = False):
    dtype = config.precision if for_training and config.precision != "float32" else None
    if config.task == "segment":
        from cvlib.nets.unet import build_unet
        return build_unet(config.spec(), name="digit_segmenter", dtype=dtype)
    from cvlib.nets.centernet import build_centernet
    return build_centernet(config.spec(), name="digit_detector", dtype=dtype)


# --- detection targets ------------------------------------------------------------------

def _gaussian_radius(h: float, w: float, min_overlap: float = 0.7) -> float:
    """CenterNet's radius: how far a corner may move and keep IoU >= min_overlap."""
    a1, b1 = 1, h + w
    c1 = w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2 = 4, 2 * (h + w)
    c2 = (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3 = 4 * min_overlap, -2 * min_overlap * (h + w)
    c3 = (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def detection_targets(boxes_list, labels_list, size: int = 128, classes: int = 10,
                      stride: int = STRIDE) -> np.ndarray:
    """Boxes -> float32 [N, S, S, classes + 5] training targets (S = size / stride):
    Gaussian heat maps, then width, height, offset x, offset y (cells) and a 0/1 mask of
    the centre cells."""
    s = size // stride
    out = np.zeros((len(boxes_list), s, s, classes + 5), np.float32)
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    for n, (boxes, labels) in enumerate(zip(boxes_list, labels_list)):
        for (x0, y0, x1, y1), c in zip(np.asarray(boxes) / stride, labels):
            w, h = x1 - x0, y1 - y0
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            ix, iy = min(int(cx), s - 1), min(int(cy), s - 1)
            r = max(0, int(_gaussian_radius(math.ceil(h), math.ceil(w))))
            sigma = (2 * r + 1) / 6
            g = np.exp(-((xx - ix) ** 2 + (yy - iy) ** 2) / (2 * sigma ** 2))
            out[n, :, :, c] = np.maximum(out[n, :, :, c], g)
            out[n, iy, ix, classes:] = (w, h, cx - ix, cy - iy, 1.0)
    return out


# --- losses -------------------------------------------------------------------------------

def segment_loss(y_true, y_pred):
    """Per-pixel cross-entropy + (1 - soft Dice over the classes). y_true int [N, H, W]."""
    import keras
    from keras import ops
    y_pred = ops.cast(y_pred, "float32")
    ce = keras.losses.sparse_categorical_crossentropy(y_true, y_pred)
    onehot = ops.one_hot(ops.cast(y_true, "int32"), NUM_CLASSES)
    inter = ops.sum(onehot * y_pred, axis=(0, 1, 2))
    total = ops.sum(onehot + y_pred, axis=(0, 1, 2))
    dice = (2 * inter + 1.0) / (total + 1.0)
    return ops.mean(ce) + 1.0 - ops.mean(dice)


def detect_loss(y_true, y_pred, classes: int = 10):
    """CenterNet: focal loss on the heat maps + L1 on size (x0.1) and offset at centres."""
    from keras import ops
    y_pred = ops.cast(y_pred, "float32")
    heat_t, heat_p = y_true[..., :classes], ops.clip(y_pred[..., :classes], 1e-4, 1 - 1e-4)
    centre = y_true[..., classes + 4]
    num = ops.maximum(ops.sum(centre), 1.0)
    pos = ops.cast(ops.equal(heat_t, 1.0), "float32")
    pos_loss = ops.log(heat_p) * ops.square(1 - heat_p) * pos
    neg_loss = ops.log(1 - heat_p) * ops.square(heat_p) * ops.power(1 - heat_t, 4) * (1 - pos)
    focal = -(ops.sum(pos_loss) + ops.sum(neg_loss)) / num
    m = centre[..., None]
    size = ops.sum(ops.abs(y_pred[..., classes:classes + 2] - y_true[..., classes:classes + 2])
                   * m) / num
    off = ops.sum(ops.abs(y_pred[..., classes + 2:classes + 4]
                          - y_true[..., classes + 2:classes + 4]) * m) / num
    return focal + 0.1 * size + off


# --- measuring ---------------------------------------------------------------------------

def predict_batches(model, images: np.ndarray, batch: int = 64) -> list:
    """Run ``model`` over uint8 [N, H, W, 3] in batches (compiled call, no ``predict``)."""
    from cvlib.segment import compiled_forward
    fn = compiled_forward(model)
    return [np.asarray(fn(images[i:i + batch].astype(np.float32)))
            for i in range(0, len(images), batch)]


def evaluate_segmenter(model, scenes, classifier=None, refine: bool = True) -> dict:
    """Data-set IoU / Dice over ``scenes`` (one confusion matrix over every pixel), of the
    masks :class:`cvlib.segment.Segmenter` returns: argmax, :func:`refine_regions`, then
    (``refine``) :func:`cvlib.refine.refine_objects` with ``classifier`` (the manifest's
    ``region_classifier``; None: edges only). For comparison: ``miou_argmax`` (per-pixel
    argmax) and ``miou_network`` (argmax + refine_regions, the network's own answer).

    Returns ``{"miou", "mdice", "iou_per_class", "pixel_accuracy", "miou_argmax",
    "miou_network", "scenes"}``.
    """
    from cvlib.refine import refine_objects
    from cvlib.segment import confusion_matrix, refine_regions, scores_from_confusion
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), np.int64)
    cm_raw = np.zeros_like(cm)
    cm_net = np.zeros_like(cm)
    start = 0
    for probs in predict_batches(model, scenes.images):
        n = len(probs)
        masks = scenes.masks[start:start + n]
        net = refine_regions(probs)
        pred = np.stack([refine_objects(img, m, p, classifier) for img, m, p in
                         zip(scenes.images[start:start + n], net, probs)]) if refine else net
        for counts, p in ((cm, pred), (cm_raw, probs.argmax(-1)), (cm_net, net)):
            counts += confusion_matrix(p.reshape(-1, p.shape[-1]),
                                       masks.reshape(-1, masks.shape[-1]), NUM_CLASSES)
        start += n
    s = scores_from_confusion(cm)
    return {"miou": round(s["iou"]["mean"], 4), "mdice": round(s["dice"]["mean"], 4),
            "iou_per_class": {n: round(float(v), 4) for n, v in
                              zip(SEGMENT_CLASS_NAMES, s["iou"]["per_class"])},
            "pixel_accuracy": round(float(np.trace(cm) / cm.sum()), 5),
            "miou_argmax": round(scores_from_confusion(cm_raw)["iou"]["mean"], 4),
            "miou_network": round(scores_from_confusion(cm_net)["iou"]["mean"], 4),
            "scenes": len(scenes)}


def detect_scenes(model, scenes, score_threshold: float = 0.01, iou_threshold: float = 0.5):
    """Detections for every scene (low threshold: for mAP, the curve needs them all)."""
    from cvlib.detect import decode
    dets = []
    for out in predict_batches(model, scenes.images):
        for o in out:
            b, s, c = decode(o, score_threshold, iou_threshold)
            dets.append(np.concatenate([b, s[:, None], c[:, None]], 1).reshape(-1, 6))
    return dets


def evaluate_detector(model, scenes) -> dict:
    """COCO mAP@0.5 and mAP@0.5:0.95 (pycocotools) over ``scenes``."""
    from cvlib.detect import mean_average_precision
    dets = detect_scenes(model, scenes)
    truths = list(zip(scenes.boxes, scenes.labels))
    r = mean_average_precision(dets, truths, image_sizes=(128, 128), num_classes=10)
    return {"map50": round(r["map50"], 4), "map50_95": round(r["map50_95"], 4),
            "ap50_per_class": {str(k): round(v, 4) for k, v in
                               sorted(r["per_class_ap50"].items())},
            "scenes": len(scenes), "true_boxes": r["true_boxes"]}


# --- fitting -----------------------------------------------------------------------------

@dataclass
class SceneTrainResult:
    model: object
    config: SceneTrainConfig
    history: dict
    metrics: dict
    seconds: float
    info: object = None
    stopped: bool = False


def _targets(config: SceneTrainConfig, scenes):
    if config.task == "segment":
        return scenes.masks
    return detection_targets(scenes.boxes, scenes.labels)


def compile_model(config: SceneTrainConfig, steps_per_epoch: int):
    import keras
    keras.utils.set_random_seed(config.seed)
    model = build(config, for_training=True)
    if config.init_from:
        from cvlib import zoo
        model.load_weights(str(zoo.verified_weights_path(config.init_from)))
    total = steps_per_epoch * config.epochs
    warm = min(steps_per_epoch, max(total // 10, 1))
    if config.time_limit:     # the _TimeLimit callback sets the rate from the clock
        schedule = config.learning_rate / 10
    else:
        schedule = keras.optimizers.schedules.CosineDecay(
            config.learning_rate / 10, max(total - warm, 1), alpha=0.01,
            warmup_target=config.learning_rate, warmup_steps=warm)
    loss = segment_loss if config.task == "segment" else detect_loss
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss,
                  steps_per_execution=4)
    return model


def _float32_copy(config: SceneTrainConfig, trained):
    if config.precision == "float32":
        return trained
    model = build(config)
    model.set_weights(trained.get_weights())
    return model


class _TimeLimit:
    """A Keras callback that trains for ``seconds`` of wall time: the learning rate warms
    up over the first 3% of the time, then follows a cosine to 1% of ``peak`` at the end,
    and training stops when the time is up (so a busy machine trains fewer steps, but
    always with a full schedule)."""

    def __new__(cls, seconds, peak):
        import keras

        class TimeLimit(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.t0 = time.perf_counter()

            def on_train_batch_begin(self, batch, logs=None):
                f = (time.perf_counter() - self.t0) / seconds
                if f >= 1:
                    self.model.stop_training = True
                    return
                if f < 0.03:
                    lr = peak * (0.1 + 0.9 * f / 0.03)
                else:
                    g = (f - 0.03) / 0.97
                    lr = peak * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * g)))
                self.model.optimizer.learning_rate.assign(lr)
        return TimeLimit()


def fit_scenes(config: SceneTrainConfig, verbose: int = 2, callbacks=()) -> SceneTrainResult:
    """Train a digit-scene segmenter or detector as ``config`` says and measure it.

    Returns:
        :class:`SceneTrainResult` with the float32 model, per-epoch history, and metrics
        (``val_*`` per epoch in history; ``miou``... or ``map50``... on ``eval_scenes``
        held-out test scenes; ``train_seconds``).
    """
    t_data = time.perf_counter()
    train = digit_scenes(config.train_scenes, seed=config.seed, split="train")
    y = _targets(config, train)
    val = digit_scenes(config.val_scenes, seed=config.seed + 1000, split="train") \
        if config.val_scenes else None
    data_seconds = time.perf_counter() - t_data
    steps = -(-len(train) // config.batch_size)
    model = compile_model(config, steps)
    history: dict = {}
    evaluate = evaluate_segmenter if config.task == "segment" else evaluate_detector

    import keras

    class _Val(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            for k, v in (logs or {}).items():
                history.setdefault(k, []).append(float(v))
            if val is not None:
                m = evaluate(self.model, val, refine=False) if config.task == "segment" \
                    else evaluate(self.model, val)
                key = "miou" if config.task == "segment" else "map50"
                history.setdefault(f"val_{key}", []).append(m[key])
                if verbose:
                    print(f"epoch {epoch + 1}: loss {logs.get('loss', 0):.4f} "
                          f"val_{key} {m[key]:.4f} ({time.perf_counter() - t0:.0f} s)",
                          flush=True)

    cbs = [_Val(), *callbacks]
    if config.time_limit:
        cbs.append(_TimeLimit(config.time_limit, config.learning_rate))
    t0 = time.perf_counter()
    model.fit(train.images, y, batch_size=config.batch_size, epochs=config.epochs,
              shuffle=True, callbacks=cbs, verbose=0)
    seconds = time.perf_counter() - t0
    model = _float32_copy(config, model)
    metrics = {"train_seconds": round(seconds, 1), "data_seconds": round(data_seconds, 1),
               "epochs_completed": len(history.get("loss", []))}
    if config.eval_scenes:
        test = digit_scenes(config.eval_scenes, seed=0, split="test")
        metrics.update(evaluate(model, test))
    return SceneTrainResult(model, config, history, metrics, seconds, train.info,
                            stopped=metrics["epochs_completed"] < config.epochs)


# --- the live-training panel --------------------------------------------------------------

@dataclass
class SegmentSnapshot(JobSnapshot):
    """A consistent copy of a :class:`SegmenterJob`'s progress (plain data for the page).

    The fields of :class:`cvlib.jobs.JobSnapshot`, and:
        sample_images: uint8 [S, 128, 128, 3], fixed test scenes (S = config's samples).
        sample_truth: uint8 [S, 128, 128], their true label maps.
        sample_masks: one int32 [S, 128, 128] predicted label map per finished epoch.
        sample_miou: the mIoU of those predictions on the samples, per epoch.
    """

    sample_images: np.ndarray | None = None
    sample_truth: np.ndarray | None = None
    sample_masks: list = field(default_factory=list)
    sample_miou: list = field(default_factory=list)

    def copy(self):
        return replace(super().copy(), sample_masks=list(self.sample_masks),
                       sample_miou=list(self.sample_miou))

    @property
    def fraction(self) -> float:
        return 1.0 if self.status == "finished" else super().fraction


@dataclass(frozen=True)
class LiveSegmentConfig:
    """The live panel's training: small and quick by default (about a minute on 2 cores).

    Attributes:
        train_scenes: training scenes (a few hundred).
        epochs: passes over them.
        batch_size: scenes per step.
        learning_rate: Adam learning rate (constant).
        filters: U-Net channels per level (smaller than the shipped model, to be quick).
        samples: test scenes whose masks are kept after every epoch.
        time_limit: seconds after which training stops by itself (None = none).
        seed: seed of scenes and weights.
    """

    train_scenes: int = 300
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 3e-3
    filters: tuple[int, ...] = (8, 16, 24, 32)
    samples: int = 4
    time_limit: float | None = 90.0
    seed: int = 0

    def __post_init__(self):
        check_range("train_scenes", self.train_scenes, 8, 5000, integer=True)
        check_range("epochs", self.epochs, 1, 100, integer=True)
        check_range("batch_size", self.batch_size, 1, 256, integer=True)
        check_range("learning_rate", self.learning_rate, 0.0, 1.0, low_inclusive=False)
        check_range("samples", self.samples, 1, 16, integer=True)
        if self.time_limit is not None:
            check_range("time_limit", self.time_limit, 1, 3600)
        object.__setattr__(self, "filters", tuple(int(f) for f in self.filters))


@dataclass
class LiveSegmentResult:
    model: object
    config: LiveSegmentConfig
    history: dict
    sample_masks: list
    seconds: float
    stopped: bool


class SegmenterJob(BackgroundJob):
    """Train a small U-Net on a few hundred digit scenes in a daemon thread; after every
    epoch its masks for fixed test scenes go into the snapshot (watch them sharpen).

    Same contract as :class:`cvlib.train.TrainingJob`: ``start()`` (runs now, or waits
    its turn in the process's :class:`cvlib.jobs.JobQueue`),
    ``snapshot()`` -> :class:`SegmentSnapshot`, ``stop()`` (within a second, keeps the
    weights), ``join()``, ``result`` (:class:`LiveSegmentResult`), ``running``.

    Example:
        job = SegmenterJob(LiveSegmentConfig(train_scenes=100, epochs=2)).start()
        job.join(); len(job.snapshot().sample_masks)
        2
    """

    thread_name = "cvlab-segment"

    def __init__(self, config: LiveSegmentConfig | None = None):
        super().__init__(config or LiveSegmentConfig())

    def _empty_snapshot(self) -> SegmentSnapshot:
        return SegmentSnapshot(epochs=self.config.epochs)

    def _work(self) -> None:
        import keras

        from cvlib.nets.unet import UNetSpec, build_unet
        from cvlib.segment import iou

        cfg = self.config
        train = digit_scenes(cfg.train_scenes, seed=cfg.seed, split="train")
        samples = digit_scenes(cfg.samples, seed=cfg.seed, split="test")
        if self._stop.is_set():
            raise StoppedBeforeStart()
        keras.utils.set_random_seed(cfg.seed)
        model = build_unet(UNetSpec(filters=cfg.filters), name="live_segmenter")
        model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=segment_loss)
        steps = -(-len(train) // cfg.batch_size)
        job = self
        t_start = {}

        class _Live(progress_callback_base()):
            def on_train_batch_end(self, batch, logs=None):
                with self.lock:
                    s = self.snap
                    s.batch = min(batch + 1, steps)
                    s.images_seen = (s.epoch - 1) * len(train) + min(
                        s.batch * cfg.batch_size, len(train))
                    s.elapsed = time.perf_counter() - self.t0
                    s.images_per_second = s.images_seen / max(s.elapsed, 1e-9)
                self._check_stop()
                if cfg.time_limit and time.perf_counter() - self.t0 > cfg.time_limit:
                    self.model.stop_training = True

            def on_epoch_end(self, epoch, logs=None):
                probs = np.asarray(self.model(samples.images.astype(np.float32),
                                              training=False))
                masks = probs.argmax(-1).astype(np.int32)
                m = iou(masks.reshape(-1, 128), samples.masks.reshape(-1, 128),
                        NUM_CLASSES)["mean"]
                with self.lock:
                    for k, v in (logs or {}).items():
                        self.snap.history.setdefault(k, []).append(float(v))
                    self.snap.sample_masks.append(masks)
                    self.snap.sample_miou.append(round(m, 4))
                self._check_stop()

        def on_end():
            snap = job._progress.snapshot()
            stopped = job._stop.is_set() or len(snap.sample_masks) < cfg.epochs
            job._complete(LiveSegmentResult(model, cfg, snap.history, snap.sample_masks,
                                            time.perf_counter() - t_start["t0"], stopped),
                          stopped)

        self._progress = _Live(SegmentSnapshot(
            status="running", epochs=cfg.epochs, steps_per_epoch=steps,
            sample_images=samples.images, sample_truth=samples.masks), self._stop, on_end)
        if self._stop.is_set():
            raise StoppedBeforeStart()
        t_start["t0"] = time.perf_counter()
        model.fit(train.images, train.masks, batch_size=cfg.batch_size, epochs=cfg.epochs,
                  shuffle=True, callbacks=[self._progress], verbose=0)


def train_segmenter_job(config: LiveSegmentConfig | None = None) -> SegmenterJob:
    """A started :class:`SegmenterJob` (the live panel's one call)."""
    return SegmenterJob(config).start()
