"""Image classification: any picture in, the top-k classes out, preprocessing hidden.

Length (~620 lines, on purpose): the three preprocessing families (MNIST-way digits,
photo views, ImageNet), calibration and the Classifier predictor that chooses between them
are one pipeline.

``classify(image, model="mnist_cnn", top_k=5)`` is the one-line API. Underneath, a
:class:`Classifier` does what a transformers pipeline does, in three steps:

- ``preprocess``: a decoded RGB picture -> the model's input, uint8-range [H, W, C] 0-255,
  plus the mapping back to the picture (so a heatmap can be laid over the original):
    * 28x28x1 models (mnist_cnn, fashion_cnn, Train-page runs): the MNIST way —
      grayscale, the ink found against its own paper whatever the paper's colour, the
      light on it and the polarity (:func:`ink_map`), crop to the ink, scale the ink to a
      20x20 box (28x28 for clothes, as Fashion-MNIST was made) and centre it by its
      centre of mass in 28x28;
    * 32x32 photo models (cifar_cnn): several views of the photo resized to 32x32 RGB —
      the whole photo and a 3x3 grid of square crops of 60% of its shorter side, each
      also mirrored — and the answer of the view the model is surest about (a CIFAR-10
      object fills its frame; in a real photo the subject often fills a corner of it);
    * ImageNet models: shorter side resized to 224, centre crop 224x224, and the family's
      own normalisation inside the compiled call (ResNet50: "caffe" BGR mean subtraction;
      MobileNetV3 and EfficientNetV2 normalise inside the model).
- ``predict``: a ``tf.function``-compiled direct call of the model (not ``model.predict``,
  whose per-call set-up costs milliseconds that dominate one small image).
- ``postprocess``: the top-k :class:`Prediction` list (plain data), with calibrated
  confidences: ``softmax(logits / T)``, T fitted on held-out data by temperature scaling
  (Guo et al. 2017; ``bench/calibrate.py`` stores T in models/manifest.json); and an
  out-of-distribution score (the energy ``logsumexp(logits)``, Liu et al. 2020, or for
  ``cifar_cnn`` a feature-space score, Mahalanobis + nearest neighbours, from statistics
  stored in ``models/<name>.ood.npz``) compared with the model's threshold:
  ``Result.unfamiliar`` = "this does not look like anything I was trained on" (see
  :mod:`cvlib.calibration`).

Example:
    >>> from cvlib.recognize import classify
    >>> classify(open("digit.png", "rb").read(), model="mnist_cnn", top_k=3)  # doctest: +SKIP
    [Prediction(label='7', index=7, score=0.998), ...]
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from cvlib import CVLibError
from cvlib.imageio import decode_image, to_rgb
from cvlib.predictor import Predictor
from cvlib.validation import number_array

IMAGENET_SIZE = 224
# How each ImageNet model normalises uint8-range RGB: "none" = the model does it itself.
IMAGENET_NORMALISATION = {"mobilenet_v3_small": "none", "efficientnet_v2_b0": "none",
                          "resnet50": "caffe"}
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


class UnsupportedModel(CVLibError):
    """The model cannot classify pictures (wrong task or input shape)."""


@dataclass(frozen=True)
class Prediction:
    """One class of a top-k answer: its name, its index in the model's output, its score."""

    label: str
    index: int
    score: float


@dataclass
class Prepared:
    """A picture made ready for one model.

    Attributes:
        x: the model input, uint8 [H, W, C] in 0-255.
        box: (x0, y0, x1, y1), the region of the original picture that the input shows.
        scale: input pixels per original pixel (horizontally; and vertically unless
            ``scale_y`` is given, as for a whole photo squeezed into a square).
        offset: (ox, oy), where the box's top-left corner lands in the input.
        original_size: (width, height) of the original picture.
    """

    x: np.ndarray
    box: tuple[float, float, float, float]
    scale: float
    offset: tuple[float, float]
    original_size: tuple[int, int]
    blank: bool = False
    scale_y: float | None = None

    def to_original(self, heat: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
        """Map a float map over the input (h x w, any resolution) onto the original picture.

        Args:
            heat: float array over the model input (resampled to the input size first).
            size: (width, height) to render at; default the original size.

        Returns:
            float32 [height, width]; 0 where the input did not look.
        """
        h_in, w_in = self.x.shape[:2]
        heat = np.asarray(heat, np.float32)
        if heat.shape != (h_in, w_in):
            heat = np.asarray(Image.fromarray(heat, "F").resize((w_in, h_in), Image.BILINEAR))
        ow, oh = self.original_size
        width, height = size or (ow, oh)
        sx, sy = ow / width, oh / height
        # output pixel (u, v) -> original (u*sx, v*sy) -> input (s*(X - x0) + ox, ...)
        ky = self.scale if self.scale_y is None else self.scale_y
        a, c = self.scale * sx, self.offset[0] - self.scale * self.box[0]
        e, f = ky * sy, self.offset[1] - ky * self.box[1]
        img = Image.fromarray(heat, "F").transform(
            (width, height), Image.AFFINE, (a, 0, c, 0, e, f),
            resample=Image.BILINEAR, fillcolor=0.0)
        return np.asarray(img, np.float32)


# --- preprocessing --------------------------------------------------------------------

def as_pil(image) -> Image.Image:
    """bytes (any supported file), a PIL image or a uint8 array [H, W(, C)] -> RGB PIL."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return decode_image(bytes(image))
    if isinstance(image, Image.Image):
        return to_rgb(image)
    a = number_array(image)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
        raise ValueError(f"image must be HxW, HxWx1, HxWx3 or HxWx4; got shape {a.shape}.")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"image is empty ({a.shape[1]}x{a.shape[0]} pixels); give a picture "
                         f"of at least 1x1 pixels.")
    if a.dtype != np.uint8:
        a = np.clip(np.nan_to_num(a.astype(np.float32)), 0, 255).astype(np.uint8)
    return to_rgb(Image.fromarray(a))


WORK_SIDE = 560        # digit photos are analysed at most this big (20x the 28x28 input)
BG_SIDE = 64           # ... and their paper/illumination estimated at this size
MIN_CONTRAST = 0.12    # ink must differ from its paper by 12% of the paper's headroom
MIN_LEVELS = 20        # ... and by 20 grey levels of 255, else the picture is "empty"


def ink_map(grey: np.ndarray) -> tuple[np.ndarray, bool, float]:
    """Where the ink is, independent of paper colour, light and polarity.

    1. Polarity from ink vs paper: the paper is the picture's border ring; the ink is
       what lies beyond the paper's range, darker (pen on paper) or lighter (chalk on a
       board, an MNIST digit). Whichever side holds more such "excess" is the ink.
    2. Illumination: the paper's brightness at every point is estimated by a
       morphological closing (dark ink; opening for light ink) with a disk of 70% of the
       shorter side, at ``BG_SIDE`` pixels, borders replicated (OpenCV ``morphologyEx``).
       The disk is wider than any stroke, so the ink is filled with the paper around it,
       and a closing leaves a linear fall-off of the light unchanged.
    3. Ink = how far each pixel goes from its own paper towards black (or white), as a
       fraction of the way: ``(paper - g) / paper`` for dark ink, the reflectance
       contrast, which does not change when the light on the sheet halves.

    Args:
        grey: float32 [H, W] grey levels (any range; 0-255 for 8-bit pictures).

    Returns:
        (ink float32 [H, W] in [0, 1], dark_ink, paper level: median of the background
        estimate, in the units of ``grey``).
    """
    import cv2
    h, w = grey.shape
    edge = max(1, min(h, w) // 20)
    ring = np.concatenate([grey[:edge].ravel(), grey[-edge:].ravel(),
                           grey[:, :edge].ravel(), grey[:, -edge:].ravel()])
    lo, hi = np.percentile(ring, [5, 95])
    dark = float(np.clip(lo - grey, 0, None).sum()) >= float(np.clip(grey - hi, 0, None).sum())
    k = min(1.0, BG_SIDE / max(h, w))
    small = cv2.resize(grey, (max(1, round(w * k)), max(1, round(h * k))),
                       interpolation=cv2.INTER_AREA) if k < 1 else grey
    side = max(3, int(0.7 * min(small.shape)) | 1)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE if dark else cv2.MORPH_OPEN, disk,
                          borderType=cv2.BORDER_REPLICATE)
    if bg.shape != grey.shape:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    top = max(255.0, float(grey.max()))
    if dark:
        ink = (bg - grey) / np.maximum(bg, 1.0)
    else:
        ink = (grey - bg) / np.maximum(top - bg, 1.0)
    return np.clip(ink, 0, 1).astype(np.float32), dark, float(np.median(bg))


def preprocess_digit(image: Image.Image, box: int = 20, size: int = 28) -> Prepared:
    """The MNIST way: a picture of a digit (or a sketch) -> uint8 [size, size, 1].

    Works on photos of paper in dim or uneven light, on dark or light paper and on either
    polarity (see :func:`ink_map`): the ink becomes bright on black like MNIST, its
    contrast stretched from the paper's noise floor to its peak; then cropped to the ink
    (connected components, specks dropped), scaled so its longer side is ``box`` pixels
    and placed in a ``size`` x ``size`` frame so that its centre of mass is the centre
    (LeCun et al., MNIST). Big pictures are analysed at ``WORK_SIDE`` pixels; the
    returned box, scale and offset are in the original's pixels.

    Args:
        image: an RGB (or L) PIL image of any size.
        box: the ink's longer side in the output (20 for digits, 28 for clothes).
        size: the output side.

    Returns:
        :class:`Prepared`; ``blank`` is True (and ``x`` all zero) when no ink stands out
        from the paper by ``MIN_CONTRAST`` and ``MIN_LEVELS``.
    """
    import cv2
    W, H = image.size
    f = min(1.0, WORK_SIDE / max(W, H))
    grey_img = image.convert("L")
    if f < 1:
        grey_img = grey_img.resize((max(1, round(W * f)), max(1, round(H * f))), Image.BOX)
        f = grey_img.size[0] / W
    grey = np.asarray(grey_img, np.float32)
    h, w = grey.shape
    ink, dark, paper = ink_map(grey)
    # a speck-proof peak (3x3 median) and the paper's noise floor (median + 4 MAD)
    peak = float(cv2.medianBlur(ink, 3).max()) if min(h, w) >= 3 else float(ink.max())
    med = float(np.median(ink))
    floor = med + max(4 * 1.4826 * float(np.median(np.abs(ink - med))), 0.03)
    headroom = paper if dark else max(255.0, float(grey.max())) - paper
    if peak < MIN_CONTRAST or peak * headroom < MIN_LEVELS or peak <= floor:
        return Prepared(np.zeros((size, size, 1), np.uint8), (0, 0, W, H), size / max(W, H),
                        (0.0, 0.0), (W, H), blank=True)
    ink = np.clip((ink - floor) / (peak - floor), 0, 1) * 255.0
    mask = (ink > 0.25 * 255).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = [i + 1 for i in np.flatnonzero(areas >= max(2, 0.05 * areas.max()))] \
        if n > 1 else []
    if not keep:
        return Prepared(np.zeros((size, size, 1), np.uint8), (0, 0, W, H), size / max(W, H),
                        (0.0, 0.0), (W, H), blank=True)
    x0 = int(min(stats[i, cv2.CC_STAT_LEFT] for i in keep))
    y0 = int(min(stats[i, cv2.CC_STAT_TOP] for i in keep))
    x1 = int(max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in keep))
    y1 = int(max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in keep))
    crop = ink[y0:y1, x0:x1]
    scale = box / max(y1 - y0, x1 - x0)          # input pixels per working pixel
    nw, nh = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
    small = np.asarray(Image.fromarray(crop, "F").resize((nw, nh), Image.LANCZOS), np.float32)
    small = np.clip(small, 0, 255)
    # centre of mass of the scaled ink -> the centre of the frame
    total = small.sum() or 1.0
    cy = (small.sum(1) * np.arange(nh)).sum() / total
    cx = (small.sum(0) * np.arange(nw)).sum() / total
    oy = int(round((size - 1) / 2 - cy))
    ox = int(round((size - 1) / 2 - cx))
    oy = min(max(oy, 0), size - nh) if nh <= size else (size - nh) // 2
    ox = min(max(ox, 0), size - nw) if nw <= size else (size - nw) // 2
    frame = np.zeros((size, size), np.float32)
    frame[max(oy, 0):oy + nh, max(ox, 0):ox + nw] = small[max(-oy, 0):size - oy,
                                                          max(-ox, 0):size - ox]
    x = np.clip(frame, 0, 255).round().astype(np.uint8)[..., None]
    return Prepared(x, (x0 / f, y0 / f, x1 / f, y1 / f), scale * f,
                    (float(ox), float(oy)), (W, H))


def preprocess_photo(image: Image.Image, size: int = 32, crop: bool = True) -> Prepared:
    """A photo -> uint8 [size, size, 3]: centre square crop, or (``crop=False``) the whole
    photo squeezed to a square."""
    w, h = image.size
    if crop:
        side = min(w, h)
        x0, y0 = (w - side) / 2, (h - side) / 2
        box = (x0, y0, x0 + side, y0 + side)
    else:
        box = (0.0, 0.0, float(w), float(h))
    out = image.resize((size, size), Image.BICUBIC if min(w, h) < size else Image.LANCZOS,
                       box=box, reducing_gap=3.0)
    scale = size / (box[2] - box[0])
    return Prepared(np.asarray(out, np.uint8).copy(), box, scale, (0.0, 0.0), (w, h),
                    scale_y=size / (box[3] - box[1]))


PHOTO_CROP = 0.6     # side of the zoomed views, as a fraction of the photo's shorter side


def photo_views(image: Image.Image, size: int = 32, crop: float = PHOTO_CROP,
                grid: int = 3) -> list[Prepared]:
    """The whole photo squeezed to size x size, then a grid x grid of square crops with a
    side of ``crop`` times the shorter side, from the top-left corner to the bottom-right.

    A 32x32 model sees a cat that fills a quarter of a photo as a few pixels; one of the
    zoomed views shows it as a CIFAR-10 image would. On the shared photos the whole photo
    alone put 7 of the 8 CIFAR-10 subjects in the top 2 (the dog beside a bicycle came
    third, after "airplane"); the surest of these views put all 8 there (bench/RESULTS.md).
    """
    w, h = image.size
    side = min(w, h) * crop
    views = [preprocess_photo(image, size, crop=False)]
    steps = [i / (grid - 1) for i in range(grid)] if grid > 1 else [0.5]
    for fy in steps:
        for fx in steps:
            x0, y0 = fx * (w - side), fy * (h - side)
            box = (x0, y0, x0 + side, y0 + side)
            out = image.resize((size, size), Image.LANCZOS, box=box, reducing_gap=3.0)
            views.append(Prepared(np.asarray(out, np.uint8).copy(), box, size / side,
                                  (0.0, 0.0), (w, h)))
    return views


# --- classifiers ----------------------------------------------------------------------

@dataclass(repr=False, eq=False)
class Classifier(Predictor):
    """A classification model with its preprocessing, compiled call and class names.

    ``cvlib.load("classify", name)`` returns one (:meth:`from_name`): a registry name or a
    Train-page run ``"run:<id>"``. Per-model compiled functions (the forward pass, the
    Grad-CAM and gradient functions of :mod:`cvlib.explain`) are cached on this object,
    so dropping the classifier frees its model (no global cache keeps it alive).

    Attributes:
        name: registry name (or "run:<id>" for a Train-page run).
        model: the ``keras.Model``; it takes ``normalise(x)`` for x uint8-range float32.
        kind: "digit", "photo" or "imagenet" (which preprocessing).
        class_names: one name per output.
        normalisation: "none" or "caffe" (applied inside the compiled call).
        digit_box: the ink box of the MNIST-way preprocessing (20 digits, 28 clothes).
        temperature: T of temperature scaling (> 0; 1 = the raw softmax).
        ood_kind, ood_threshold: the familiarity score ("energy", "msp" or one of
            :data:`cvlib.calibration.FEATURE_SCORES`) and the value below which an input
            is called unfamiliar (None: never).
        ood_stats: the :class:`cvlib.calibration.FeatureStats` of a feature-space score.
        ood_note: "" or why the manifest's feature score is not used ("ood_stats_missing",
            "ood_stats_damaged": the energy score and its threshold stand in).
        calibration: the model's manifest figures (ECE before/after, reliability
            diagram, AUROC), or None.
    """

    name: str
    model: object
    kind: str
    class_names: list[str]
    normalisation: str = "none"
    digit_box: int = 20
    temperature: float = 1.0            # temperature scaling (Guo et al. 2017), 1 = none
    ood_kind: str = "energy"            # familiarity score: "energy", "msp", feature scores
    ood_threshold: float | None = None  # below it: "not like anything I was trained on"
    calibration: dict | None = None     # the manifest's figures (reliability diagram ...)
    ood_stats: object = None            # FeatureStats of a feature-space score, else None
    ood_note: str = ""                  # why the manifest's feature score is not in use
    _fn: object = field(default=None, repr=False)
    _feat_fns: dict = field(default_factory=dict, repr=False)
    _logit_fn: object = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)   # explain's compiled functions

    task = "classify"

    @classmethod
    def from_name(cls, name: str) -> "Classifier":
        """The classifier ``name``: a registry name (trained weights, sha256-checked) or
        ``"run:<id>"``, a Train-page run from :class:`cvlib.runs.RunStore`.

        Raises:
            cvlib.zoo.UnknownModel, ModelUnavailable, ModelIntegrityError: registry names.
            cvlib.runs.RunNotFound: no such run, or it has no weights.
            UnsupportedModel: the model is not a classifier.
        """
        if name.startswith("run:"):
            return classifier_from_run(name[4:])
        return get_classifier(name)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        # keras.applications built with weights=None leave H, W open: ImageNet's 224
        return tuple(int(d) if d is not None else IMAGENET_SIZE
                     for d in self.model.input_shape[1:])

    def normalise(self, x):
        """Tensor in -> tensor the model expects (inside tf.function; x float32 0-255)."""
        if self.normalisation == "caffe":
            import tensorflow as tf
            return x[..., ::-1] - tf.constant(_CAFFE_MEAN_BGR, x.dtype)
        return x

    def preprocess(self, image) -> Prepared:
        img = as_pil(image)
        h, w, c = self.input_shape
        if self.kind == "digit":
            return preprocess_digit(img, self.digit_box, h)
        if self.kind == "imagenet":
            return preprocess_imagenet(img, h)
        # the first of the photo views: the whole photo squeezed to a square
        return preprocess_photo(img, h, crop=False)

    def views(self, image) -> list[Prepared]:
        """The inputs one classification looks at: one, except for 32x32 photo models
        given a photo at least twice their size (see :func:`photo_views`)."""
        img = as_pil(image)
        h = self.input_shape[0]
        if self.kind == "photo" and min(img.size) >= 2 * h:
            return photo_views(img, h)
        return [self.preprocess(img)]

    def compiled(self):
        """The tf.function of one forward pass: float32 [N, H, W, C] 0-255 -> probs [N, K]."""
        if self._fn is None:
            import tensorflow as tf
            model = self.model
            spec = tf.TensorSpec((None, *self.input_shape), tf.float32)

            @tf.function(input_signature=[spec], reduce_retracing=True)
            def forward(x):
                return model(self.normalise(x), training=False)
            self._fn = forward
        return self._fn

    def probs(self, x: np.ndarray) -> np.ndarray:
        """float32 [N, K] for uint8-range inputs [N, H, W, C] (or one [H, W, C]): one
        forward pass per input, nothing else."""
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        return self.compiled()(x).numpy()

    def logits(self, x: np.ndarray) -> np.ndarray:
        """float32 [N, K] pre-softmax scores for uint8-range inputs [N, H, W, C] (the
        input of a final softmax Dense layer times its kernel plus bias; ``log p`` for a
        model that does not end in one)."""
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        if self._logit_fn is None:
            import keras
            import tensorflow as tf

            from cvlib.explain import _logits_from
            head_in, to_logits = _logits_from(self.model)
            sub = keras.Model(self.model.inputs, head_in)
            spec = tf.TensorSpec((None, *self.input_shape), tf.float32)

            @tf.function(input_signature=[spec], reduce_retracing=True)
            def forward(t):
                return to_logits(sub(self.normalise(t), training=False))
            self._logit_fn = forward
        return self._logit_fn(x).numpy()

    def predict_logits(self, x: np.ndarray) -> np.ndarray:
        """float32 [N, K]: :meth:`logits`, for photo models (32x32) the mean over each
        input and its mirror image (test-time augmentation)."""
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        if self.kind != "photo":
            return self.logits(x)
        q = self.logits(np.concatenate([x, x[:, :, ::-1]]))
        return (q[:len(x)] + q[len(x):]) / 2

    def predict_probs(self, x: np.ndarray) -> np.ndarray:
        """float32 [N, K]: the probabilities a classification reports for these model
        inputs: ``softmax(predict_logits(x) / temperature)``, the calibrated confidence.
        The robustness lab and the occlusion map use this, so with no disturbance they
        show the prediction's own numbers."""
        from cvlib.calibration import softmax
        return softmax(self.predict_logits(x), self.temperature).astype(np.float32)

    def features(self, x: np.ndarray, layers: list[str]) -> list[np.ndarray]:
        """The outputs of ``layers`` for uint8-range inputs [N, H, W, C] (or one [H, W, C]):
        one float32 [N, D] array per layer, 4-D outputs averaged over height and width; for
        photo models the mean over each input and its mirror image, as
        :meth:`predict_logits`. One compiled forward pass (cached per layer list)."""
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        key = tuple(layers)
        if key not in self._feat_fns:
            import keras
            import tensorflow as tf
            sub = keras.Model(self.model.inputs,
                              [self.model.get_layer(n).output for n in layers])
            spec = tf.TensorSpec((None, *self.input_shape), tf.float32)

            @tf.function(input_signature=[spec], reduce_retracing=True)
            def forward(t):
                outs = sub(self.normalise(t), training=False)
                outs = outs if isinstance(outs, (list, tuple)) else [outs]
                return [tf.reduce_mean(o, [1, 2]) if len(o.shape) == 4 else o for o in outs]
            self._feat_fns[key] = forward
        fn = self._feat_fns[key]
        if self.kind != "photo":
            return [f.numpy() for f in fn(x)]
        both = fn(np.concatenate([x, x[:, :, ::-1]]))
        return [(f.numpy()[:len(x)] + f.numpy()[len(x):]) / 2 for f in both]

    def familiarity(self, logits: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """float64 [N]: the out-of-distribution score (higher = more like the training
        data): of the logits [N, K] (:func:`cvlib.calibration.ood_score`), or, with a
        feature-space score, of the model inputs ``x`` [N, H, W, C] that gave them
        (:meth:`cvlib.calibration.FeatureStats.score`).

        Raises:
            ValueError: the classifier uses a feature-space score and ``x`` is None.
        """
        if self.ood_stats is not None:
            if x is None:
                raise ValueError(f"{self.name} scores familiarity from its features "
                                 f"({self.ood_kind}); pass the model inputs x as well.")
            return self.ood_stats.score(self.features(x, self.ood_stats.layers))
        from cvlib.calibration import ood_score
        return ood_score(logits, self.ood_kind, self.temperature)

    def _forward(self, views):
        return self.predict_logits(np.stack([v.x for v in views]))

    def postprocess(self, logits, views, top_k: int = 5):
        from cvlib.calibration import softmax
        probs = softmax(logits, self.temperature).astype(np.float32)
        best = int(probs.max(1).argmax())
        return self.top_k(probs[best], top_k), best

    def top_k(self, probs: np.ndarray, k: int = 5) -> list[Prediction]:
        k = max(1, min(int(k), len(probs)))
        order = np.argsort(-probs)[:k]
        return [Prediction(self.label(i), int(i), float(probs[i])) for i in order]

    def label(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else f"class {index}"

    def __call__(self, image, top_k: int = 5) -> "Result":
        """Classify one picture: the answer of the view the model is surest about.

        Args:
            image: file bytes, a PIL image or a uint8 array [H, W(, C)].
            top_k: how many classes to return.

        Returns:
            :class:`Result` (plain data).
        """
        from cvlib.calibration import softmax
        views = self.views(image)
        t0 = time.perf_counter()
        z = self._forward(views)          # each view (and, for photos, its mirror image)
        seconds = time.perf_counter() - t0
        preds, best = self.postprocess(z, views, top_k)
        score = float(self.familiarity(z[best:best + 1], views[best].x[None])[0])
        unfamiliar = self.ood_threshold is not None and score < self.ood_threshold
        return Result(preds, softmax(z[best], self.temperature).astype(np.float32),
                      views[best], seconds, len(views), best, score, bool(unfamiliar))


@dataclass
class Result:
    """What one classification produced (plain data)."""

    predictions: list[Prediction]
    probs: np.ndarray          # float32 [K]
    prepared: Prepared         # the input the answer comes from
    seconds: float             # the compiled model call alone
    views: int = 1             # how many views of the picture the model was shown
    view: int = 0              # which of them answered (0: the whole picture)
    familiarity: float = 0.0   # out-of-distribution score (higher = more like training)
    unfamiliar: bool = False   # below the model's threshold: "not like my training data"


def preprocess_imagenet(image: Image.Image, size: int = IMAGENET_SIZE) -> Prepared:
    """Shorter side -> ``size``, centre crop: uint8 [size, size, 3] (no distortion)."""
    return preprocess_photo(image, size, crop=True)


def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet class names from the Keras cache (``imagenet_class_index.json``,
    which Keras downloads beside the weights); "class <i>" names when it is not there."""
    from cvlib.zoo import keras_models_dir
    path = keras_models_dir() / "imagenet_class_index.json"
    try:
        index = json.loads(path.read_text())
        return [index[str(i)][1].replace("_", " ") for i in range(1000)]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return [f"class {i}" for i in range(1000)]


def classifier_from_model(model, name: str, class_names=None, dataset: str = "") -> Classifier:
    """Wrap a ``keras.Model`` (e.g. a Train-page run or a random-weight build)."""
    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise UnsupportedModel(f"{name} takes input of shape {shape}; CV Lab classifies "
                               f"pictures with models that take [H, W, 1] or [H, W, 3].",
                               kind="model_input_shape", name=name, shape=str(shape))
    classes = int(model.output_shape[-1])
    if dataset == "imagenet":
        kind = "imagenet"
        names = list(class_names or imagenet_labels())
    else:
        kind = "digit" if shape[-1] == 1 else "photo"
        names = list(class_names or [str(i) for i in range(classes)])
    return Classifier(name, model, kind, names,
                      normalisation=IMAGENET_NORMALISATION.get(name, "none"),
                      digit_box=28 if dataset == "fashion_mnist" else 20)


def classifier_from_run(run_id: str) -> Classifier:
    """The classifier of a Train-page run (architecture from its config, its weights).

    Raises:
        cvlib.runs.RunNotFound: no run ``run_id`` or it saved no weights.
    """
    from cvlib.data import CLASS_NAMES
    from cvlib.runs import RunNotFound, RunStore
    from cvlib.train import model_from_run
    record = RunStore().get(run_id)
    if not record.weights_path.exists():
        raise RunNotFound(f"Run {run_id} has no saved weights (it may still be training "
                          f"or have failed); choose a finished run.", kind="run_no_weights",
                          run=run_id)
    dataset = record.config.get("dataset", "mnist")
    return classifier_from_model(model_from_run(record), f"run:{run_id}",
                                 CLASS_NAMES.get(dataset), dataset)


@functools.lru_cache(maxsize=8)
def get_classifier(name: str) -> Classifier:
    """The registry model ``name`` with its trained weights, wrapped (cached per process).

    Raises:
        UnknownModel, ModelUnavailable, ModelIntegrityError: from ``cvlib.zoo.load``.
        UnsupportedModel: the model is not a classifier.
    """
    from cvlib import zoo
    entry = zoo.get(name)
    if entry.task != "classify":
        raise UnsupportedModel(f"{name} is a {entry.task} model; choose one of "
                               f"{', '.join(zoo.list_models('classify'))}.",
                               kind="model_wrong_task", name=name, task=entry.task,
                               available=", ".join(zoo.list_models("classify")))
    model = zoo.load(name)
    names = zoo.class_names(name) if entry.source == "shipped" else None
    clf = classifier_from_model(model, name, names, entry.dataset)
    if entry.source == "shipped":
        cal = zoo.manifest_entry(name).get("calibration")
        if cal:                  # written by bench/calibrate.py (temperature, threshold)
            apply_calibration(clf, cal, zoo.models_dir())
    return clf


def apply_calibration(clf: Classifier, cal: dict, folder) -> Classifier:
    """Give ``clf`` the temperature and out-of-distribution score of its manifest entry
    (``"calibration"``, written by ``bench/calibrate.py``).

    A feature-space score reads its statistics from ``folder / cal["ood_stats"]["file"]``
    after checking their sha256; when the file is missing or does not match, the energy
    score and its own threshold (``"energy_threshold"``) stand in and ``clf.ood_note``
    says why ("ood_stats_missing" or "ood_stats_damaged"), so classifying still works.

    Returns:
        ``clf``, changed in place.
    """
    from pathlib import Path

    from cvlib.calibration import FEATURE_SCORES, FeatureStats
    clf.temperature = float(cal.get("temperature", 1.0))
    clf.ood_kind = cal.get("ood_score", "energy")
    clf.ood_threshold = cal.get("ood_threshold")
    clf.calibration = cal
    clf.ood_stats, clf.ood_note = None, ""
    if clf.ood_kind in FEATURE_SCORES:
        from cvlib.zoo import sha256_file
        meta = cal.get("ood_stats") or {}
        path = Path(folder) / meta.get("file", f"{clf.name}.ood.npz")
        if not path.exists():
            clf.ood_note = "ood_stats_missing"
        elif sha256_file(path) != meta.get("sha256"):
            clf.ood_note = "ood_stats_damaged"
        else:
            try:
                clf.ood_stats = FeatureStats.load(path)
            except (OSError, ValueError, KeyError):
                clf.ood_note = "ood_stats_damaged"
        if clf.ood_stats is None:
            clf.ood_kind, clf.ood_threshold = "energy", cal.get("energy_threshold")
    return clf


def build_classifier(name: str) -> Classifier:
    """The registry model ``name`` with random weights (tests, benchmarks; no download)."""
    from cvlib import zoo
    entry = zoo.get(name)
    names = None
    if entry.source == "shipped":
        names = zoo.class_names(name)
    return classifier_from_model(zoo.build(name), name, names, entry.dataset)


def classify(image, model="mnist_cnn", top_k: int = 5) -> list[Prediction]:
    """Classify one picture.

    Args:
        image: file bytes, a PIL image or a uint8 array [H, W(, C)].
        model: a registry name or a :class:`Classifier`.
        top_k: how many classes to return, best first.

    Returns:
        ``top_k`` :class:`Prediction` (label, index, score), scores descending.

    Raises:
        ImageDecodeError: the bytes are not a readable image.
        UnknownModel / ModelUnavailable / UnsupportedModel: the model cannot be used.
    """
    clf = model if isinstance(model, Classifier) else get_classifier(model)
    return clf(image, top_k).predictions
