"""Object detection: boxes with a class and a score, and how to measure them (mAP).

``detect(image, model="digit_detector", score_threshold=0.5, iou_threshold=0.5)`` is the
one-line API. A :class:`Detector` does the three predictor steps:

- ``preprocess``: any picture -> RGB uint8 scaled so its longer side is 128 and padded to
  128x128 (a 128x128 digit scene goes in untouched), as :mod:`cvlib.segment` does;
- ``_forward``: a ``tf.function``-compiled call of the centre-point net
  (:mod:`cvlib.nets.centernet`, after Zhou et al. 2019, "Objects as Points");
- ``postprocess``: peaks of the class heat maps (a 3x3 max-pool keeps local maxima, as the
  paper does instead of anchors), a box per peak from the regressed size and offset,
  per-class non-maximum suppression (``tf.image.non_max_suppression``) at
  ``iou_threshold``, the boxes mapped back to input pixels -> a list of
  :class:`cvlib.predictor.Detection` (best score first).

Measures: :func:`box_iou` and :func:`mean_average_precision`, computed by ``pycocotools``
(the COCO reference implementation: 101-point interpolated AP per class, averaged over the
classes; mAP@0.5 and mAP@0.5:0.95).

Example:
    >>> from cvlib.data import digit_scenes
    >>> from cvlib.detect import detect
    >>> scenes = digit_scenes(1, seed=2, split="test")
    >>> found = detect(scenes.images[0], score_threshold=0.5)
    >>> sorted(d.label for d in found), sorted(int(v) for v in scenes.labels[0])
    ([2, 3, 4, 5, 7], [2, 3, 4, 5, 7])
"""

from __future__ import annotations

import contextlib
import functools
import io

import numpy as np

from cvlib import CVLibError
from cvlib.predictor import Detection, Predictor
from cvlib.segment import compiled_forward, letterbox, to_rgb_array
from cvlib.validation import check_range

DEFAULT_MODEL = "digit_detector"
MAX_DETECTIONS = 100
# Detectors of the registry with a predictor of their own: name -> "module:Class".
OTHER_PREDICTORS = {"faces_mtcnn": "cvlib.faces:FaceDetector"}


class UnsupportedModel(CVLibError, ValueError):
    """The model named is not a detection model."""


# --- boxes -------------------------------------------------------------------------------

def check_boxes(boxes, width: float | None = None, height: float | None = None,
                name: str = "boxes") -> np.ndarray:
    """Boxes as float64 [k, 4] (x0, y0, x1, y1 pixels), checked.

    Args:
        boxes: array-like [k, 4] (k may be 0).
        width, height: the image's size; when given, every box must lie inside
            [0, width] x [0, height].

    Raises:
        ValueError: wrong shape, NaN, x1 <= x0 or y1 <= y0, or a box outside the image
            (the message names the box and the image size).
    """
    try:
        b = np.asarray(boxes, np.float64)
    except (TypeError, ValueError):          # text, None, ragged lists
        raise ValueError(f"{name} must be an array [k, 4] of numbers (x0, y0, x1, y1); got "
                         f"{type(boxes).__name__}.") from None
    if b.size == 0:
        return b.reshape(0, 4)
    if b.ndim == 1 and b.shape[0] == 4:
        b = b[None]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must be an array [k, 4] of (x0, y0, x1, y1); got shape "
                         f"{b.shape}.")
    if not np.isfinite(b).all():
        raise ValueError(f"{name} must hold finite numbers; got NaN or infinity.")
    for i, (x0, y0, x1, y1) in enumerate(b):
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"{name}[{i}] = ({x0:g}, {y0:g}, {x1:g}, {y1:g}) is not a box: "
                             f"it needs x0 < x1 and y0 < y1 (corners, not x, y, w, h).")
        if width is not None and height is not None and (
                x0 < 0 or y0 < 0 or x1 > width or y1 > height):
            raise ValueError(f"{name}[{i}] = ({x0:g}, {y0:g}, {x1:g}, {y1:g}) lies outside the "
                             f"{width:g}x{height:g} image; boxes must be inside "
                             f"[0, {width:g}] x [0, {height:g}] in pixels.")
    return b


def box_iou(a, b) -> np.ndarray:
    """IoU of every box in ``a`` [n, 4] with every box in ``b`` [m, 4] -> float64 [n, m]."""
    a = check_boxes(a, name="a")
    b = check_boxes(b, name="b")
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None, :] - inter)


# --- decoding the centre-point net -------------------------------------------------------

def decode(outputs, score_threshold: float = 0.5, iou_threshold: float = 0.5,
           max_detections: int = MAX_DETECTIONS, stride: int = 4):
    """Centre-point outputs -> boxes in model-input pixels.

    Args:
        outputs: float32 [S, S, C + 4]: sigmoid heat maps (C), width, height (cells),
            offset x, y (cells), as :func:`cvlib.nets.centernet.build_centernet` gives.
        score_threshold: keep peaks scoring at least this (0-1).
        iou_threshold: per-class NMS overlap above which the weaker box is dropped (0-1).

    Returns:
        (boxes float32 [k, 4] x0, y0, x1, y1; scores float32 [k]; labels int64 [k]),
        best score first.
    """
    import tensorflow as tf
    out = tf.convert_to_tensor(outputs, tf.float32)
    classes = int(out.shape[-1]) - 4
    heat = out[..., :classes]
    peaks = tf.nn.max_pool2d(heat[None], 3, 1, "SAME")[0]
    heat = tf.where(tf.equal(heat, peaks), heat, tf.zeros_like(heat))
    cols = int(out.shape[1])
    flat = tf.reshape(heat, [-1])
    k = min(int(flat.shape[0]), max(max_detections * 2, 1))
    scores, idx = tf.math.top_k(flat, k=k)
    keep = scores >= score_threshold
    scores, idx = tf.boolean_mask(scores, keep), tf.boolean_mask(idx, keep)
    labels = idx % classes
    cell = idx // classes
    y, x = cell // cols, cell % cols
    reg = tf.gather(tf.reshape(out[..., classes:], [-1, 4]), cell)
    cx = (tf.cast(x, tf.float32) + reg[:, 2]) * stride
    cy = (tf.cast(y, tf.float32) + reg[:, 3]) * stride
    w = tf.maximum(reg[:, 0] * stride, 1.0)
    h = tf.maximum(reg[:, 1] * stride, 1.0)
    boxes = tf.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
    # Per-class NMS in one call: shift each class's boxes far apart (yx order for TF).
    shift = tf.cast(labels, tf.float32)[:, None] * 1e4
    yx = tf.gather(boxes, [1, 0, 3, 2], axis=1) + shift
    sel = tf.image.non_max_suppression(yx, scores, max_detections,
                                       iou_threshold=float(iou_threshold))
    return (tf.gather(boxes, sel).numpy(), tf.gather(scores, sel).numpy(),
            tf.gather(labels, sel).numpy().astype(np.int64))


# --- the predictor -----------------------------------------------------------------------

class Detector(Predictor):
    """Boxes, classes and scores from a detection model of the registry.

    Example:
        >>> import numpy as np
        >>> det = Detector.from_name("digit_detector")
        >>> det(np.zeros((128, 128, 3), np.uint8), score_threshold=0.3)   # nothing there
        []
    """

    task = "detect"
    stride = 4

    def __init__(self, name: str, model, class_names=None):
        k = int(model.output_shape[-1]) - 4
        super().__init__(name, model, class_names or [str(i) for i in range(k)])
        self.size = int(model.input_shape[1] or 128)
        self._fn = compiled_forward(model)

    @classmethod
    def from_name(cls, name: str) -> "Detector":
        """The registry detector ``name``.

        Raises:
            UnsupportedModel: ``name`` is a model of another task.
            cvlib.zoo.UnknownModel, cvlib.zoo.ModelUnavailable: see :func:`cvlib.zoo.load`.
        """
        from cvlib import zoo
        from cvlib.predictor import registry_predictor
        other = registry_predictor(name, "detect", "detection", UnsupportedModel,
                                   OTHER_PREDICTORS)
        if other is not None:             # a detector with a predictor of its own
            return other
        return cls(name, zoo.load(name), zoo.class_names(name))

    def preprocess(self, inputs, **kwargs):
        rgb = to_rgb_array(inputs)
        x, scale, extent = letterbox(rgb, self.size)
        return {"x": x, "scale": scale, "extent": extent, "shape": rgb.shape[:2]}

    def _forward(self, prepared):
        return self._fn(prepared["x"][None].astype(np.float32))

    def postprocess(self, outputs, prepared, score_threshold: float = 0.5,
                    iou_threshold: float = 0.5, **kwargs):
        boxes, scores, labels = decode(outputs[0], score_threshold, iou_threshold,
                                       stride=self.stride)
        H, W = prepared["shape"]
        boxes = boxes / prepared["scale"]
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, W)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, H)
        out = []
        for b, s, c in zip(boxes, scores, labels):
            if b[2] - b[0] <= 0 or b[3] - b[1] <= 0:
                continue
            out.append(Detection(box=tuple(float(round(v, 2)) for v in b), label=int(c),
                                 score=float(s)))
        return out


@functools.lru_cache(maxsize=8)
def _predictor(name: str) -> Detector:
    return Detector.from_name(name)


def detect(image, model="digit_detector", score_threshold: float = 0.5,
           iou_threshold: float = 0.5) -> list[Detection]:
    """Find the objects in ``image``.

    Args:
        image: file bytes, a PIL image or a uint8 array [H, W(, 3|4)] 0-255; any size
            (scaled to the model's 128x128 and back).
        model: a registry name (``cvlib.zoo.list_models("detect")``) or a :class:`Detector`.
        score_threshold: keep detections scoring at least this, in [0, 1].
        iou_threshold: non-maximum suppression: of two boxes of one class overlapping by
            more than this IoU, only the better stays; in [0, 1].

    Returns:
        list of :class:`cvlib.predictor.Detection` (``box`` = (x0, y0, x1, y1) in input
        pixels, ``label`` = class index into ``class_names`` = ["0", ..., "9"], ``score``
        in [0, 1]), best first.

    Raises:
        ValueError / TypeError: an empty image, thresholds outside [0, 1].
        UnsupportedModel, cvlib.zoo.UnknownModel, cvlib.zoo.ModelUnavailable.
    """
    check_range("score_threshold", score_threshold, 0.0, 1.0)
    check_range("iou_threshold", iou_threshold, 0.0, 1.0)
    predictor = model if isinstance(model, Detector) else _predictor(str(model))
    return predictor(image, score_threshold=score_threshold, iou_threshold=iou_threshold)


# --- mean average precision ----------------------------------------------------------------

def _as_rows(dets) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A list of Detection, or an array [k, 6] (x0, y0, x1, y1, score, label)."""
    if len(dets) and isinstance(dets[0], Detection):
        b = np.asarray([d.box for d in dets], np.float64).reshape(-1, 4)
        return b, np.asarray([d.score for d in dets]), np.asarray([d.label for d in dets])
    a = np.asarray(dets, np.float64).reshape(-1, 6)
    return a[:, :4], a[:, 4], a[:, 5].astype(np.int64)


def mean_average_precision(detections, truths, image_sizes=None,
                           num_classes: int | None = None) -> dict:
    """COCO-style mean average precision, computed by ``pycocotools`` (COCOeval, bbox).

    AP of a class = area under its 101-point interpolated precision/recall curve, where a
    detection is a true positive if it overlaps a not-yet-matched true box of its class
    with IoU >= t (best score first). mAP = mean over the classes that have true boxes.

    Args:
        detections: one entry per image: a list of :class:`Detection` or an array [k, 6]
            of (x0, y0, x1, y1, score, label).
        truths: one entry per image: ``(boxes [k, 4] x0, y0, x1, y1, labels [k])``.
        image_sizes: optional (width, height), one for all images or one per image; true
            boxes must then lie inside their image.
        num_classes: optional; labels must then be in [0, num_classes).

    Returns:
        ``{"map50": float, "map50_95": float, "per_class_ap50": {label: float},
        "images": int, "true_boxes": int, "detections": int}`` (APs in [0, 1]).

    Raises:
        ValueError: different numbers of images, bad boxes (see :func:`check_boxes`),
            labels out of range, or no true box at all.

    Example:
        >>> t = [(np.array([[0, 0, 10, 10], [20, 20, 30, 30]]), np.array([0, 0]))]
        >>> d = [np.array([[0, 0, 10, 10, .9, 0], [50, 50, 60, 60, .8, 0],
        ...                [20, 20, 30, 30, .7, 0]])]
        >>> round(mean_average_precision(d, t)["map50"], 4)  # (51 + 50 * 2/3) / 101
        0.835
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    if len(detections) != len(truths):
        raise ValueError(f"detections and truths must cover the same images; got "
                         f"{len(detections)} and {len(truths)}.")
    n = len(truths)
    sizes = [None] * n
    if image_sizes is not None:
        s = np.asarray(image_sizes, np.float64)
        sizes = [tuple(s)] * n if s.ndim == 1 else [tuple(r) for r in s]
    images, annotations, results, cats = [], [], [], set()
    for i, ((tb, tl), dets, size) in enumerate(zip(truths, detections, sizes)):
        w, h = size if size is not None else (None, None)
        tb = check_boxes(tb, w, h, name=f"truths[{i}] boxes")
        tl = np.asarray(tl, np.int64).reshape(-1)
        if len(tl) != len(tb):
            raise ValueError(f"truths[{i}] has {len(tb)} boxes but {len(tl)} labels.")
        db, ds, dl = _as_rows(dets)
        for lab in np.concatenate([tl, dl]):
            if lab < 0 or (num_classes is not None and lab >= num_classes):
                raise ValueError(f"label {int(lab)} of image {i} is not a class index"
                                 + (f" in [0, {num_classes - 1}]." if num_classes else "."))
        images.append({"id": i + 1, "width": w or 1, "height": h or 1})
        for b, lab in zip(tb, tl):
            cats.add(int(lab))
            annotations.append({"id": len(annotations) + 1, "image_id": i + 1,
                                "category_id": int(lab) + 1, "iscrowd": 0,
                                "area": float((b[2] - b[0]) * (b[3] - b[1])),
                                "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]),
                                         float(b[3] - b[1])]})
        for b, s, lab in zip(db, ds, dl):
            results.append({"image_id": i + 1, "category_id": int(lab) + 1,
                            "score": float(s),
                            "bbox": [float(b[0]), float(b[1]), float(b[2] - b[0]),
                                     float(b[3] - b[1])]})
    if not annotations:
        raise ValueError("truths hold no box: average precision needs at least one true box.")
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": annotations,
                      "categories": [{"id": c + 1, "name": str(c)} for c in sorted(cats)]}
        gt.createIndex()
        dt = gt.loadRes(results) if results else COCO()
        if not results:
            dt.dataset = {"images": images, "annotations": [], "categories":
                          gt.dataset["categories"]}
            dt.createIndex()
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.params.maxDets = [1, 10, MAX_DETECTIONS]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    # precision: [T iou thresholds, R=101 recall points, K classes, A areas, M maxDets]
    prec = ev.eval["precision"][:, :, :, 0, -1]
    per_class = {}
    for k, cat in enumerate(ev.params.catIds):
        p = prec[0, :, k]
        per_class[int(cat) - 1] = float(p[p > -1].mean()) if (p > -1).any() else 0.0
    return {"map50": max(0.0, float(ev.stats[1])), "map50_95": max(0.0, float(ev.stats[0])),
            "per_class_ap50": per_class, "images": n, "true_boxes": len(annotations),
            "detections": len(results)}
