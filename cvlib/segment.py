"""Semantic segmentation: a class for every pixel, and how to measure it (IoU, Dice).

``segment(image, model="digit_segmenter")`` is the one-line API. Underneath, a
:class:`Segmenter` does the three predictor steps:

- ``preprocess``: any picture (file bytes, PIL image, uint8 array) -> RGB uint8, scaled so
  its longer side is the model's input size (128) and padded (edge pixels repeated) to a
  square; a 128x128 digit scene goes in untouched;
- ``_forward``: a ``tf.function``-compiled call of the U-Net (``model.predict`` costs
  milliseconds of set-up per call, which dominate one small image);
- ``postprocess``: the padding cut off, the probabilities resized back to the input's
  pixels (bilinear), ``mask = argmax``, then one class per object (:func:`refine_regions`:
  each connected foreground region takes the class with the most probability summed over
  its pixels, so a digit is not half "3", half "8") -> :class:`cvlib.predictor.Segmentation`.

Measures: :func:`iou` (Jaccard index, intersection over union) and :func:`dice`
(Sørensen-Dice, F1 of the pixels), per class and their mean over the classes present,
from one confusion matrix (the same figures as ``sklearn.metrics.jaccard_score`` /
``f1_score`` with ``average=None``, at numpy ``bincount`` speed).

Example:
    >>> from cvlib.data import digit_scenes
    >>> from cvlib.segment import segment, iou
    >>> scenes = digit_scenes(1, seed=0, split="test")
    >>> s = segment(scenes.images[0])
    >>> s.mask.shape, s.probs.shape, s.class_names[:3]
    ((128, 128), (128, 128, 11), ['background', '0', '1'])
    >>> iou(s.mask, scenes.masks[0], num_classes=11)["mean"] > 0.8
    True
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from cvlib import CVLibError
from cvlib.imageio import to_rgb_array  # noqa: F401 - public here too (detect, notebooks)
from cvlib.predictor import Predictor, Segmentation
from cvlib.scenes import SEGMENT_CLASS_NAMES
from cvlib.validation import number_array

DEFAULT_MODEL = "digit_segmenter"
# Segmenters of the registry with a predictor of their own: name -> "module:Class".
OTHER_PREDICTORS = {"deeplab_v3_plus_voc": "cvlib.voc:VocSegmenter"}


class UnsupportedModel(CVLibError, ValueError):
    """The model named is not a segmentation model."""


# --- pictures in -----------------------------------------------------------------------

def letterbox(rgb: np.ndarray, size: int = 128):
    """Scale uint8 [H, W, 3] so its longer side is ``size`` and pad it to size x size.

    Returns:
        (x uint8 [size, size, 3], scale = model pixels per input pixel,
        (w, h) = the picture's extent inside ``x``, from its top-left corner).
    """
    h, w = rgb.shape[:2]
    if (h, w) == (size, size):
        return rgb, 1.0, (w, h)
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(rgb).resize((nw, nh), Image.BILINEAR))
    x = np.pad(small, ((0, size - nh), (0, size - nw), (0, 0)), mode="edge")
    return x, scale, (nw, nh)


def compiled_forward(model):
    """A ``tf.function`` of ``model(x, training=False)`` for float32 [N, H, W, 3]."""
    import tensorflow as tf
    shape = tuple(model.input_shape[1:])
    spec = tf.TensorSpec((None,) + shape, tf.float32)

    @tf.function(input_signature=[spec], reduce_retracing=True)
    def forward(x):
        return model(x, training=False)
    return forward


# --- the predictor ---------------------------------------------------------------------

class Segmenter(Predictor):
    """Per-pixel classes from a segmentation model of the registry.

    Example:
        >>> import numpy as np
        >>> seg = Segmenter.from_name("digit_segmenter")
        >>> image = np.full((90, 160, 3), 200, np.uint8)
        >>> seg(image).mask.shape == image.shape[:2]
        True
    """

    task = "segment"
    refine = True       # one class per connected region (see refine_regions)

    def __init__(self, name: str, model, class_names=None, region_classifier=None):
        k = int(model.output_shape[-1])
        if not class_names:
            class_names = SEGMENT_CLASS_NAMES if k == len(SEGMENT_CLASS_NAMES) else \
                [str(i) for i in range(k)]
        super().__init__(name, model, class_names)
        self.size = int(model.input_shape[1] or 128)
        self._fn = compiled_forward(model)
        self.region_classifier = region_classifier     # see cvlib.refine.classify_regions

    @classmethod
    def from_name(cls, name: str) -> "Segmenter":
        """The registry model ``name`` (weights sha256-checked by :mod:`cvlib.zoo`).

        Raises:
            UnsupportedModel: ``name`` is a model of another task (or a Train-page run).
            cvlib.zoo.UnknownModel, cvlib.zoo.ModelUnavailable: see :func:`cvlib.zoo.load`.
        """
        from cvlib import zoo
        from cvlib.predictor import registry_predictor
        other = registry_predictor(name, "segment", "segmentation", UnsupportedModel,
                                   OTHER_PREDICTORS)
        if other is not None:             # a segmenter with a predictor of its own
            return other
        return cls(name, zoo.load(name), zoo.class_names(name) or SEGMENT_CLASS_NAMES,
                   region_classifier(name))

    def preprocess(self, inputs, **kwargs):
        rgb = to_rgb_array(inputs)
        x, scale, extent = letterbox(rgb, self.size)
        return {"x": x, "extent": extent, "shape": rgb.shape[:2], "rgb": rgb}

    def _forward(self, prepared):
        return self._fn(prepared["x"][None].astype(np.float32))

    def postprocess(self, outputs, prepared, **kwargs):
        probs = outputs[0]                               # [S, S, K] tensor
        w, h = prepared["extent"]
        probs = probs[:h, :w]
        H, W = prepared["shape"]
        if (H, W) != (h, w):
            import tensorflow as tf
            probs = tf.image.resize(probs, (H, W), method="bilinear")
        probs = np.asarray(probs, np.float32)
        probs = probs / np.maximum(probs.sum(-1, keepdims=True), 1e-12)
        notes: dict = {}
        if self.refine:
            from cvlib.refine import refine_objects
            # edges only where the mask is at the network's resolution or finer
            mask = refine_objects(prepared["rgb"], refine_regions(probs), probs,
                                  self.region_classifier, edges=max(H, W) <= self.size,
                                  notes=notes)
        else:
            mask = probs.argmax(-1).astype(np.int32)
        unlike = False
        if notes:
            from cvlib.refine import unlike_digit_scene
            unlike = unlike_digit_scene(notes["objects"], notes["unfamiliar"])
        return Segmentation(mask=mask, probs=probs, class_names=list(self.class_names),
                            objects=notes.get("objects"), unfamiliar=notes.get("unfamiliar"),
                            unlike_training=unlike)


def region_classifier(name: str):
    """The digit classifier that names each object of segmenter ``name`` (the manifest's
    ``region_classifier``, see :func:`cvlib.refine.classify_regions`), or None."""
    from cvlib import zoo
    try:
        other = zoo.manifest_entry(name).get("region_classifier")
    except CVLibError:            # not a shipped model (a run): no region classifier
        return None
    if not other:
        return None
    from cvlib.recognize import Classifier
    return Classifier.from_name(other)


def refine_regions(probs: np.ndarray, background: int = 0) -> np.ndarray:
    """One class per object: argmax per pixel, then every connected region of non-background
    pixels (8-connected) gets the class whose probability, summed over the region, is
    largest.

    A per-pixel classifier can split one digit between two look-alike classes (a "3" whose
    lower half scores "5"); objects that do not touch each other are each one class, so
    this costs nothing where the pixels agreed and mends the pixels where they did not.
    Objects that touch would share one class: for scenes of separate objects.

    Args:
        probs: float [H, W, K] (or [N, H, W, K]) class probabilities.
        background: the class index that is not an object.

    Returns:
        int32 [H, W] (or [N, H, W]) label map.
    """
    from scipy import ndimage
    probs = np.asarray(probs, np.float32)
    if probs.ndim == 4:
        return np.stack([refine_regions(p, background) for p in probs])
    mask = probs.argmax(-1).astype(np.int32)
    regions, n = ndimage.label(mask != background, structure=np.ones((3, 3), int))
    if n == 0:
        return mask
    flat = regions.ravel()
    k = probs.shape[-1]
    sums = np.stack([np.bincount(flat, weights=probs[..., c].ravel(), minlength=n + 1)
                     for c in range(k)], axis=1)        # [n + 1, K]
    sums[:, background] = -1.0
    best = sums.argmax(1).astype(np.int32)
    best[0] = background
    return np.where(regions > 0, best[regions], mask).astype(np.int32)


@functools.lru_cache(maxsize=8)
def _predictor(name: str) -> Segmenter:
    return Segmenter.from_name(name)


def segment(image, model="digit_segmenter") -> Segmentation:
    """Label every pixel of ``image``.

    Args:
        image: file bytes, a PIL image or a uint8 array [H, W(, 3|4)] 0-255 (floats in
            0-1 are scaled). Any size: it is scaled to the model's 128x128 and back.
        model: a registry name (``cvlib.zoo.list_models("segment")``) or a
            :class:`Segmenter`.

    Returns:
        :class:`cvlib.predictor.Segmentation`: ``mask`` int32 [H, W] (class index per
        input pixel: the argmax of ``probs``, with each connected object given one class
        by :func:`refine_regions`), ``probs`` float32 [H, W, K] (the model's per-pixel
        probabilities, sum to 1), ``class_names`` (K names, ``["background", "0", ...,
        "9"]`` for digit_segmenter).

    Raises:
        ValueError: an empty image or an array of an unusable shape.
        UnsupportedModel, cvlib.zoo.UnknownModel, cvlib.zoo.ModelUnavailable.
    """
    predictor = model if isinstance(model, Segmenter) else _predictor(str(model))
    return predictor(image)


# --- measures --------------------------------------------------------------------------

def check_mask(mask, shape=None, num_classes: int | None = None, name: str = "mask"):
    """A label map as int64 [H, W], checked.

    Args:
        mask: array-like [H, W] of class indices (or [H, W, 1]).
        shape: the (H, W) it must have, e.g. the picture's; None = any.
        num_classes: class indices must be in [0, num_classes); None = any >= 0.

    Raises:
        ValueError: wrong number of dimensions, wrong size, non-integer values or class
            values the model does not have (the message names the expected ones).
        TypeError: not an array of numbers (text, None, objects, complex numbers).
    """
    a = number_array(mask, name, "a label map: an array of class indices [H, W]")
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 2:
        raise ValueError(f"{name} must be a label map [H, W] of class indices; got shape "
                         f"{a.shape}.")
    if shape is not None and tuple(a.shape) != tuple(shape[:2]):
        raise ValueError(f"{name} must be {shape[1]}x{shape[0]} pixels (width x height) like "
                         f"the image; got {a.shape[1]}x{a.shape[0]}. Resize the mask to the "
                         f"image (nearest neighbour) and try again.")
    if a.size == 0:
        raise ValueError(f"{name} is empty (0 pixels).")
    if not np.issubdtype(a.dtype, np.integer):
        if np.issubdtype(a.dtype, np.bool_):
            a = a.astype(np.int64)
        elif np.all(np.mod(a, 1) == 0):
            a = a.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integer class indices; got {a.dtype} values "
                             f"such as {a.ravel()[0]!r}.")
    lo, hi = int(a.min()), int(a.max())
    if lo < 0 or (num_classes is not None and hi >= num_classes):
        bad = np.unique(a[(a < 0) | (a >= (num_classes or np.iinfo(np.int64).max))])
        expected = f"0-{num_classes - 1}" if num_classes is not None else ">= 0"
        raise ValueError(f"{name} holds class values {bad[:10].tolist()} that the model does "
                         f"not have; expected class indices {expected}. For a black-and-white "
                         f"mask, map white to the object's class and black to 0.")
    return a.astype(np.int64, copy=False)


def confusion_matrix(pred, truth, num_classes: int) -> np.ndarray:
    """int64 [K, K]: rows = true class, columns = predicted class, pixel counts.

    Raises:
        ValueError: see :func:`check_mask` (``pred`` and ``truth`` must have one shape).
    """
    from cvlib.validation import check_range
    check_range("num_classes", num_classes, 1, 10_000, integer=True)
    t = check_mask(truth, None, num_classes, "truth")
    p = check_mask(pred, t.shape, num_classes, "pred")
    return np.bincount(t.ravel() * num_classes + p.ravel(),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _scores(cm: np.ndarray, dice: bool) -> dict:
    tp = np.diag(cm).astype(np.float64)
    fp = cm.sum(0) - tp
    fn = cm.sum(1) - tp
    denom = (2 * tp + fp + fn) if dice else (tp + fp + fn)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(denom > 0, (2 * tp if dice else tp) / np.maximum(denom, 1), np.nan)
    present = ~np.isnan(per)
    return {"per_class": per, "mean": float(per[present].mean()) if present.any() else
            float("nan")}


def iou(pred, truth, num_classes: int) -> dict:
    """Intersection over union (Jaccard index) per class and its mean.

    ``IoU_k = |pred == k AND truth == k| / |pred == k OR truth == k|``. A class absent
    from both maps has no IoU (NaN) and is left out of the mean, as in
    ``sklearn.metrics.jaccard_score(average=None)`` followed by a mean over the classes
    that occur.

    Args:
        pred, truth: label maps int [H, W] of one shape, values in [0, num_classes).
            Also works on stacks [N, H, W] flattened by the caller, or on a
            :func:`confusion_matrix` through :func:`scores_from_confusion`.
        num_classes: K.

    Returns:
        ``{"per_class": float64 [K] in [0, 1] or NaN, "mean": float}``.

    Raises:
        ValueError: shapes differ (the message gives both), or values outside
            [0, num_classes).

    Example:
        >>> iou([[0, 1], [1, 1]], [[0, 1], [0, 1]], 2)["per_class"].tolist()
        [0.5, 0.6666666666666666]
    """
    return _scores(confusion_matrix(pred, truth, num_classes), dice=False)


def dice(pred, truth, num_classes: int) -> dict:
    """Sørensen-Dice coefficient (pixel F1) per class and its mean:
    ``2 |P ∩ T| / (|P| + |T|)``; same arguments, result and errors as :func:`iou`.

    Example:
        >>> dice([[0, 1], [1, 1]], [[0, 1], [0, 1]], 2)["per_class"].tolist()
        [0.6666666666666666, 0.8]
    """
    return _scores(confusion_matrix(pred, truth, num_classes), dice=True)


def scores_from_confusion(cm: np.ndarray) -> dict:
    """``{"iou": {...}, "dice": {...}}`` from an accumulated confusion matrix [K, K]
    (for measuring a whole data set at once: the data-set mIoU of segmentation papers)."""
    cm = np.asarray(cm)
    return {"iou": _scores(cm, dice=False), "dice": _scores(cm, dice=True)}


def disagreement(pred, truth) -> np.ndarray:
    """bool [H, W]: True where prediction and truth differ (for a picture of the errors).

    Raises:
        ValueError: the shapes differ.
    """
    t = check_mask(truth, None, None, "truth")
    p = check_mask(pred, t.shape, None, "pred")
    return p != t
