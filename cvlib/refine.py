"""Sharper masks after the network: edges from the picture's own colours, and one class per
object from a digit classifier.

A segmentation network's mask is right in the middle of an object and unsure on its
1-pixel edge: strokes 2-5 px wide lose 20-50% of their width there. Two steps that need no
training, run after :func:`cvlib.segment.refine_regions`:

1. :func:`refine_edges` (local two-colour model, as in alpha matting: A. Levin,
   D. Lischinski, Y. Weiss, "A Closed-Form Solution to Natural Image Matting", PAMI 2008,
   whose colour-line model assumes each small window mixes two colours). On the band of
   pixels within one pixel of the mask's edge, the ink colour is the mean of the mask's
   inner pixels nearby and the background colour the mean of the outer pixels nearby (a
   ``window`` x ``window`` box); a band pixel's ink fraction (alpha) is its projection on
   the line between the two, and it belongs to the object when alpha > ``threshold``.
   Boundary refinement after the network is an old idea of segmentation (DeepLab's
   fully connected CRF: L.-C. Chen et al., ICLR 2015); this is its smallest form.
2. :func:`classify_regions`: each connected object is cut out (its soft ink from step 1),
   put in a 28x28 frame the MNIST way (:func:`cvlib.recognize.preprocess_digit`) and
   classified by a digit classifier; the object's class combines the classifier's
   probabilities with the segmenter's mean probabilities over the object (product of the
   two, i.e. a naive-Bayes combination of two models). Classify-the-region is the
   second stage of region-based recognition (R. Girshick et al., "Rich feature
   hierarchies...", CVPR 2014).

Measured on digit scenes (``bench/RESULTS.md``): the shipped U-Net alone 0.877 mIoU,
+ edges 0.89, + region classes 0.93.

The same crops also tell when the picture is not a digit scene at all: each object's
familiarity to the digit classifier (its calibrated out-of-distribution score, see
:mod:`cvlib.calibration`) is compared with that classifier's threshold, and
:func:`unlike_digit_scene` calls a picture unlike the training data when most of its
objects are unfamiliar (measured: 0.3% of 1,000 held-out digit scenes, 15 of 15 photos).

Example:
    >>> import numpy as np
    >>> img = np.full((20, 20, 3), 200, np.uint8)    # light paper
    >>> img[5:15, 8:12] = 20                      # a dark bar, columns 8-11
    >>> img[5:15, 7] = 74                         # 70% ink at its left edge
    >>> img[5:15, 12] = 146                       # 30% ink at its right edge
    >>> labels = np.zeros((20, 20), np.int32)
    >>> labels[5:15, 8:13] = 2                    # the network painted columns 8-12
    >>> out, ink = refine_edges(img, labels)
    >>> np.flatnonzero(out[10]).tolist(), round(float(ink[10, 7]), 2)
    ([7, 8, 9, 10, 11], 0.7)
"""

from __future__ import annotations

import numpy as np

_CROSS = np.ones((3, 3), bool)
MIN_CONTRAST = 30.0     # ink and background colours closer than this (RGB distance): keep
MIN_REGION = 6          # objects of fewer pixels keep the segmenter's class
# A picture is "unlike a digit scene" when at least this many of its objects, and at least
# half of them, are unfamiliar to the digit classifier. Measured with the shipped
# digit_segmenter + mnist_cnn (2026-11-30): 4.8% of the 3,044 objects of 1,000 held-out
# test scenes are unfamiliar one by one, but only 3 of the 1,000 scenes meet this rule;
# every one of 15 real photos (the shared photos and scikit-image's samples) meets it,
# with 5-35 unfamiliar objects of 10-50.
UNFAMILIAR_MIN = 3


def refine_edges(image, labels, window: int = 11, threshold: float = 0.5,
                 background: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Move a mask's edge to where the picture's colours put it (see the module docstring).

    Args:
        image: uint8 (or float, 0-255) RGB [H, W, 3], the picture the mask is of.
        labels: int [H, W] label map (``background`` = no object).
        window: side of the box, in pixels, over which the local ink and background
            colours are averaged (odd; 11 for 128x128 digit scenes; scale it with the
            picture).
        threshold: the ink fraction above which a band pixel is object (0.5: the pixel is
            more ink than background, the rule the digit scenes are labelled with).
        background: the background class.

    Returns:
        ``(labels int32 [H, W], ink float32 [H, W] in 0-1)``: the refined label map (a
        pixel that joins an object takes the class of the nearest object pixel) and the
        soft ink (alpha on the band where it could be estimated; 1 inside, 0 outside).
        Where ink and background colours differ by less than ``MIN_CONTRAST``, or either
        has no pixel within the window, the mask is left as it was. Known bias: the ink
        colour is the mean of the mask's inner pixels, so a mask one pixel too fat brings
        half-ink edge pixels into that mean and alpha comes out ~0.1 too high (a quarter
        of such a mask's excess pixels stay; ``tests/unit/test_segment_detect.py``).

    Raises:
        ValueError: ``image`` is not [H, W, 3] of the mask's size, or ``window`` < 3.
    """
    from scipy import ndimage as ndi
    labels = np.asarray(labels)
    img = np.asarray(image, np.float32)
    if img.shape != labels.shape + (3,):
        raise ValueError(f"image must be [H, W, 3] with the mask's size {labels.shape}; "
                         f"got {img.shape}.")
    if window < 3:
        raise ValueError(f"window must be >= 3 pixels; got {window}.")
    obj = labels != background
    if not obj.any():
        return labels.astype(np.int32), np.zeros(labels.shape, np.float32)
    inner = ndi.binary_erosion(obj, _CROSS)
    outer = ~ndi.binary_dilation(obj, _CROSS)
    band = ~inner & ~outer

    def local_mean(sel):
        weight = sel.astype(np.float32)
        n = ndi.uniform_filter(weight, window)
        total = np.stack([ndi.uniform_filter(img[..., c] * weight, window)
                          for c in range(3)], -1)
        return total / np.maximum(n, 1e-6)[..., None], n > 1e-6

    ink_colour, has_ink = local_mean(inner)
    bg_colour, has_bg = local_mean(outer)
    line = ink_colour - bg_colour
    length2 = (line * line).sum(-1)
    ok = band & has_ink & has_bg & (length2 > MIN_CONTRAST ** 2)
    alpha = ((img - bg_colour) * line).sum(-1) / np.maximum(length2, 1e-6)
    is_obj = np.where(ok, alpha > threshold, obj)
    ink = np.where(ok, np.clip(alpha, 0, 1), obj).astype(np.float32)
    _, (iy, ix) = ndi.distance_transform_edt(~obj, return_indices=True)
    nearest = labels[iy, ix]
    out = np.where(is_obj, np.where(obj, labels, nearest), background)
    return out.astype(np.int32), ink


def classify_regions(labels, ink, probs, classifier, background: int = 0,
                     notes: dict | None = None) -> np.ndarray:
    """One class per connected object, from a digit classifier and the segmenter together.

    Args:
        labels: int [H, W] label map (classes 0..K-1; ``background`` = no object).
        ink: float [H, W] in 0-1, the soft ink (:func:`refine_edges`); the classifier sees
            it bright on black, the MNIST way.
        probs: float [H, W, K], the segmenter's probabilities.
        classifier: a :class:`cvlib.recognize.Classifier` whose classes are the
            segmenter's classes without the background (``K - 1`` of them, same order).
        background: the background class (0).
        notes: a dict to fill, when given: ``"objects"`` (int, objects classified) and
            ``"unfamiliar"`` (int, how many of them the classifier finds unlike its
            training data: familiarity below its ``ood_threshold``; 0 when it has none).

    Returns:
        int32 [H, W]: each 8-connected object (of at least ``MIN_REGION`` pixels) relabelled
        with ``argmax(log p_classifier + log p_segmenter)`` over the object classes.

    Raises:
        ValueError: the classifier's class count is not ``K - 1``.
    """
    from PIL import Image
    from scipy import ndimage as ndi

    from cvlib.calibration import softmax
    from cvlib.recognize import preprocess_digit
    if notes is not None:
        notes.update(objects=0, unfamiliar=0)
    labels = np.asarray(labels)
    probs = np.asarray(probs, np.float32)
    k = probs.shape[-1]
    if len(classifier.class_names) != k - 1:
        raise ValueError(f"the classifier has {len(classifier.class_names)} classes; the "
                         f"segmenter has {k - 1} object classes.")
    regions, n = ndi.label(labels != background, structure=_CROSS)
    if n == 0:
        return labels.astype(np.int32)
    objects = [(r, sl) for r, sl in enumerate(ndi.find_objects(regions), 1)
               if (regions[sl] == r).sum() >= MIN_REGION]
    if not objects:
        return labels.astype(np.int32)
    crops = []
    for r, sl in objects:
        crop = np.where(regions[sl] == r, ink[sl], 0.0)
        # a margin of paper wider than the ring preprocess_digit reads the paper from
        # (1/20 of the side): without it a big object's own ink is taken for paper
        crop = np.pad(crop, max(4, max(crop.shape) // 8))
        crops.append(preprocess_digit(Image.fromarray(
            np.round(crop * 255).astype(np.uint8))).x)
    x = np.stack(crops)
    logits = classifier.predict_logits(x)                       # [n, K - 1]
    p_clf = softmax(logits, classifier.temperature)             # = predict_probs
    if notes is not None:
        notes["objects"] = len(crops)
        if classifier.ood_threshold is not None:
            notes["unfamiliar"] = int(np.sum(classifier.familiarity(logits, x)
                                             < classifier.ood_threshold))
    objects_cls = [c for c in range(k) if c != background]
    out = labels.astype(np.int32).copy()
    for (r, _), pc in zip(objects, p_clf):
        sel = regions == r
        ps = probs[sel][:, objects_cls].mean(0)
        ps = ps / max(float(ps.sum()), 1e-12)
        out[sel] = objects_cls[int(np.argmax(np.log(pc + 1e-6) + np.log(ps + 1e-6)))]
    return out


def refine_objects(image, labels, probs, classifier=None, window: int = 11,
                   edges: bool = True, notes: dict | None = None) -> np.ndarray:
    """:func:`refine_edges` (when ``edges``), then :func:`classify_regions` when a
    classifier is given.

    ``window`` is for a 128-pixel picture and grows with the picture's longer side.
    ``edges=False`` is for a mask upsampled from the network's resolution: its edge is then
    a blur several pixels wide, not the one-pixel band the two-colour model mends (a
    280-pixel drawing refined that way lost pieces of its strokes), so only the classes
    are decided. ``notes``: see :func:`classify_regions`. Returns int32 [H, W].
    """
    h, w = np.asarray(labels).shape
    if not edges:
        ink = (np.asarray(labels) != 0).astype(np.float32)
        return (classify_regions(labels, ink, probs, classifier, notes=notes)
                if classifier is not None else np.asarray(labels, np.int32))
    window = max(3, int(round(window * max(h, w) / 128)) | 1)
    out, ink = refine_edges(image, labels, window=window)
    if classifier is not None:
        out = classify_regions(out, ink, probs, classifier, notes=notes)
    return out


def unlike_digit_scene(objects: int, unfamiliar: int) -> bool:
    """Whether a picture whose ``objects`` segmented objects include ``unfamiliar`` ones
    (:func:`classify_regions`'s notes) is unlike the digit scenes the segmenter learned:
    at least ``UNFAMILIAR_MIN`` unfamiliar objects and at least half of all.

    >>> unlike_digit_scene(4, 1), unlike_digit_scene(20, 12), unlike_digit_scene(3, 3)
    (False, True, True)
    """
    return unfamiliar >= UNFAMILIAR_MIN and 2 * unfamiliar >= objects
