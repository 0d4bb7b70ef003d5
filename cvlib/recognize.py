"""Image classification: any picture in, the top-k classes out, preprocessing hidden.

``classify(image, model="mnist_cnn", top_k=5)`` is the one-line API. Underneath, a
:class:`Classifier` does what a transformers pipeline does, in three steps:

- ``preprocess``: a decoded RGB picture -> the model's input, uint8-range [H, W, C] 0-255,
  plus the mapping back to the picture (so a heatmap can be laid over the original):
    * 28x28x1 models (mnist_cnn, fashion_cnn, Train-page runs): the MNIST way —
      grayscale, invert when the background is light, crop to the ink, scale the ink to a
      20x20 box (28x28 for clothes, as Fashion-MNIST was made) and centre it by its centre
      of mass in 28x28;
    * 32x32 photo models (cifar_cnn): several views of the photo resized to 32x32 RGB —
      the whole photo and a 3x3 grid of square crops of 60% of its shorter side, each
      also mirrored — and the answer of the view the model is surest about (a CIFAR-10
      object fills its frame; in a real photo the subject often fills a corner of it);
    * ImageNet models: shorter side resized to 224, centre crop 224x224, and the family's
      own normalisation inside the compiled call (ResNet50: "caffe" BGR mean subtraction;
      MobileNetV3 and EfficientNetV2 normalise inside the model).
- ``predict``: a ``tf.function``-compiled direct call of the model (not ``model.predict``,
  whose per-call set-up costs milliseconds that dominate one small image).
- ``postprocess``: the top-k :class:`Prediction` list (plain data).

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
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
        raise ValueError(f"image must be HxW, HxWx1, HxWx3 or HxWx4; got shape {a.shape}.")
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    return to_rgb(Image.fromarray(a))


def preprocess_digit(image: Image.Image, box: int = 20, size: int = 28) -> Prepared:
    """The MNIST way: a picture of a digit (or a sketch) -> uint8 [size, size, 1].

    Grayscale; inverted when the background (the border pixels) is light, so the ink is
    bright on black like MNIST; the background level subtracted and the contrast stretched;
    cropped to the ink; scaled so its longer side is ``box`` pixels; placed in a
    ``size`` x ``size`` frame so that its centre of mass is the centre.
    """
    grey = np.asarray(image.convert("L"), np.float32)
    h, w = grey.shape
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    if np.median(border) > 127:
        grey = 255.0 - grey
        border = 255.0 - border
    ink = np.clip(grey - np.median(border), 0, None)
    peak = ink.max()
    if peak < 30:       # nothing drawn: an empty frame
        return Prepared(np.zeros((size, size, 1), np.uint8), (0, 0, w, h), size / max(w, h),
                        (0.0, 0.0), (w, h), blank=True)
    ink = ink * (255.0 / peak)
    rows = np.flatnonzero((ink > 0.25 * 255).any(1))
    cols = np.flatnonzero((ink > 0.25 * 255).any(0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    crop = ink[y0:y1, x0:x1]
    scale = box / max(y1 - y0, x1 - x0)
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
    return Prepared(x, (float(x0), float(y0), float(x1), float(y1)), scale,
                    (float(ox), float(oy)), (w, h))


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

@dataclass
class Classifier:
    """A classification model with its preprocessing, compiled call and class names.

    Attributes:
        name: registry name (or "run:<id>" for a Train-page run).
        model: the ``keras.Model``; it takes ``normalise(x)`` for x uint8-range float32.
        kind: "digit", "photo" or "imagenet" (which preprocessing).
        class_names: one name per output.
        normalisation: "none" or "caffe" (applied inside the compiled call).
        digit_box: the ink box of the MNIST-way preprocessing (20 digits, 28 clothes).
    """

    name: str
    model: object
    kind: str
    class_names: list[str]
    normalisation: str = "none"
    digit_box: int = 20
    _fn: object = field(default=None, repr=False)

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
        """float32 [N, K] for uint8-range inputs [N, H, W, C] (or one [H, W, C])."""
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        return self.compiled()(x).numpy()

    def top_k(self, probs: np.ndarray, k: int = 5) -> list[Prediction]:
        k = max(1, min(int(k), len(probs)))
        order = np.argsort(-probs)[:k]
        return [Prediction(self.label(i), int(i), float(probs[i])) for i in order]

    def label(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else f"class {index}"

    def __call__(self, image, top_k: int = 5) -> "Result":
        views = self.views(image)
        t0 = time.perf_counter()
        if len(views) == 1:
            p = self.probs(views[0].x)[0]
            best = 0
        else:   # each view and its mirror image in one batch; average the pair
            x = np.stack([v.x for v in views])
            q = self.probs(np.concatenate([x, x[:, :, ::-1]]))
            q = (q[:len(views)] + q[len(views):]) / 2
            best = int(q.max(1).argmax())
            p = q[best]
        seconds = time.perf_counter() - t0
        return Result(self.top_k(p, top_k), p, views[best], seconds, len(views), best)


@dataclass
class Result:
    """What one classification produced (plain data)."""

    predictions: list[Prediction]
    probs: np.ndarray          # float32 [K]
    prepared: Prepared         # the input the answer comes from
    seconds: float             # the compiled model call alone
    views: int = 1             # how many views of the picture the model was shown
    view: int = 0              # which of them answered (0: the whole picture)


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
                               f"pictures with models that take [H, W, 1] or [H, W, 3].")
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
                               f"{', '.join(zoo.list_models('classify'))}.")
    model = zoo.load(name)
    names = zoo.class_names(name) if entry.source == "shipped" else None
    return classifier_from_model(model, name, names, entry.dataset)


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
