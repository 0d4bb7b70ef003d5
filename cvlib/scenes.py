"""Digit scenes: a small, exact segmentation and detection data set made from MNIST.

``digit_scenes(n, seed, split)`` paints one to five real MNIST digits, each at its own
size and place, on a varied background (flat colour, linear or radial gradient, smooth
noise, stripes or a checkerboard, plus pixel noise), in a colour that stands out from the
background under it. Because the digits are pasted, the answers are exact:

- a label map of 11 classes per pixel: 0 = background, k + 1 = digit k (a pixel belongs
  to a digit where the digit's MNIST ink, resized to the pasted size, is above 50%);
- one box per digit, ``(x0, y0, x1, y1)`` in pixels (x1, y1 exclusive, i.e. the tight box
  of the digit's mask pixels), with the digit's class index 0-9.

Digits never overlap (their ink boxes keep a 2-pixel gap), so every box matches its mask.
Scene ``i`` depends only on ``(seed, split, i)``: ``digit_scenes(5, seed=3)`` is the first
five of ``digit_scenes(1000, seed=3)``. The ``"train"`` split draws digits from MNIST's
training images, ``"test"`` from its test images (through :func:`cvlib.data.load_dataset`,
so the offline chain applies; with only the packaged subset, ``info.subset`` is True).

Example:
    >>> from cvlib.scenes import digit_scenes
    >>> s = digit_scenes(4, seed=0, split="test")  # doctest: +SKIP
    >>> s.images.shape, s.masks.shape, s.boxes[0], s.labels[0]  # doctest: +SKIP
    ((4, 128, 128, 3), (4, 128, 128), array([[..]], dtype=float32), array([7, 2]))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from cvlib.validation import check_choice, check_range

SIZE = 128
NUM_CLASSES = 11
SEGMENT_CLASS_NAMES = ["background"] + [str(i) for i in range(10)]
DETECT_CLASS_NAMES = [str(i) for i in range(10)]
MAX_DIGITS = 5
MIN_DIGIT, MAX_DIGIT = 24, 64          # pasted size of the 28x28 MNIST frame, pixels
_SPLIT_CODE = {"train": 0, "test": 1}


@dataclass
class Scene:
    """One scene: image uint8 [128, 128, 3], mask uint8 [128, 128] (0-10), boxes float32
    [k, 4] (x0, y0, x1, y1 pixels), labels int64 [k] (digit 0-9)."""

    image: np.ndarray
    mask: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray


@dataclass
class DigitScenes:
    """``n`` scenes.

    Attributes:
        images: uint8 [n, 128, 128, 3], RGB 0-255.
        masks: uint8 [n, 128, 128], class per pixel: 0 = background, k + 1 = digit k.
        boxes: n arrays float32 [k_i, 4], (x0, y0, x1, y1) in pixels, x1/y1 exclusive.
        labels: n arrays int64 [k_i], the digit (0-9) of each box.
        class_names: the 11 mask classes, ``["background", "0", ..., "9"]``.
        info: the :class:`cvlib.data.DatasetInfo` of the MNIST digits used.
    """

    images: np.ndarray
    masks: np.ndarray
    boxes: list
    labels: list
    class_names: list = field(default_factory=lambda: list(SEGMENT_CLASS_NAMES))
    info: object = None

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> Scene:
        return Scene(self.images[i], self.masks[i], self.boxes[i], self.labels[i])


# --- backgrounds ---------------------------------------------------------------------

def _luma(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, np.float32)
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _background(rng: np.random.Generator) -> np.ndarray:
    """float32 [128, 128, 3] in 0-255: one of six kinds of background."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / (SIZE - 1)
    c1 = rng.uniform(0, 255, 3).astype(np.float32)
    kind = rng.integers(6)
    if kind == 0:                                   # flat colour
        bg = np.broadcast_to(c1, (SIZE, SIZE, 3)).copy()
    elif kind in (1, 2):                            # linear / radial gradient
        c2 = rng.uniform(0, 255, 3).astype(np.float32)
        if kind == 1:
            a = rng.uniform(0, 2 * np.pi)
            t = np.cos(a) * xx + np.sin(a) * yy
        else:
            cx, cy = rng.uniform(0, 1, 2)
            t = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        bg = c1 + (c2 - c1) * t[..., None]
    elif kind == 3:                                 # smooth coloured noise
        cells = int(rng.integers(3, 12))
        low = rng.uniform(-1, 1, (cells, cells, 3)).astype(np.float32)
        up = np.stack([np.asarray(Image.fromarray(low[..., c], "F").resize(
            (SIZE, SIZE), Image.BICUBIC)) for c in range(3)], -1)
        bg = c1 + up * rng.uniform(20, 70)
    else:                                           # stripes / checkerboard texture
        c2 = np.clip(c1 + rng.uniform(-70, 70, 3), 0, 255).astype(np.float32)
        period = rng.uniform(4, 24)
        a = rng.uniform(0, np.pi)
        u = (np.cos(a) * xx + np.sin(a) * yy) * (SIZE - 1) / period
        if kind == 4:
            t = 0.5 + 0.5 * np.sin(2 * np.pi * u)
        else:
            v = (-np.sin(a) * xx + np.cos(a) * yy) * (SIZE - 1) / period
            t = ((np.floor(u) + np.floor(v)) % 2).astype(np.float32)
        bg = c1 + (c2 - c1) * t[..., None]
    return bg


def _ink_colour(rng: np.random.Generator, under: np.ndarray) -> np.ndarray:
    """A colour whose luminance differs by >= 90 from the background patch ``under``."""
    lum = float(_luma(under.reshape(-1, 3).mean(0)))
    for _ in range(20):
        c = rng.uniform(0, 255, 3).astype(np.float32)
        if abs(float(_luma(c)) - lum) >= 90:
            return c
    return np.zeros(3, np.float32) if lum > 127 else np.full(3, 255, np.float32)


# --- scenes --------------------------------------------------------------------------

def _paste_digits(rng, digits: np.ndarray, labels: np.ndarray):
    """Place 1-5 digits without overlap. Returns a list of (alpha [s, s] float32 0-1,
    top, left, label) and the alpha boxes used for the overlap test."""
    count = int(rng.integers(1, MAX_DIGITS + 1))
    hi = max(32, MAX_DIGIT - 8 * (count - 1))
    placed, taken = [], []
    for _ in range(count):
        for _attempt in range(30):
            s = int(rng.integers(MIN_DIGIT, hi + 1))
            k = int(rng.integers(len(digits)))
            top, left = (int(v) for v in rng.integers(0, SIZE - s + 1, 2))
            alpha = np.asarray(Image.fromarray(digits[k]).resize((s, s), Image.BILINEAR),
                               np.float32) / 255.0
            ys, xs = np.nonzero(alpha > 0.05)
            if len(ys) == 0:
                continue
            box = (left + xs.min() - 2, top + ys.min() - 2, left + xs.max() + 3,
                   top + ys.max() + 3)
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                   for b in taken):
                continue
            taken.append(box)
            placed.append((alpha, top, left, int(labels[k])))
            break
    return placed


def _render(rng, digits, labels):
    bg = _background(rng)
    mask = np.zeros((SIZE, SIZE), np.uint8)
    img = bg
    boxes, classes = [], []
    for alpha, top, left, label in _paste_digits(rng, digits, labels):
        s = alpha.shape[0]
        region = img[top:top + s, left:left + s]
        ink = (alpha > 0.5)
        colour = _ink_colour(rng, region[ink])
        img[top:top + s, left:left + s] = region * (1 - alpha[..., None]) + \
            colour * alpha[..., None]
        mask[top:top + s, left:left + s][ink] = label + 1
        ys, xs = np.nonzero(ink)
        boxes.append((left + xs.min(), top + ys.min(), left + xs.max() + 1,
                      top + ys.max() + 1))
        classes.append(label)
    img = img + rng.normal(0, rng.uniform(0, 10), img.shape).astype(np.float32)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return (img, mask, np.asarray(boxes, np.float32).reshape(-1, 4),
            np.asarray(classes, np.int64))


def digit_scenes(n: int, seed: int = 0, split: str = "train") -> DigitScenes:
    """``n`` deterministic 128x128 scenes of 1-5 MNIST digits with masks and boxes.

    Args:
        n: number of scenes, 1-100,000.
        seed: any int >= 0; scene ``i`` depends only on ``(seed, split, i)``.
        split: "train" (digits from MNIST train) or "test" (from MNIST test).

    Returns:
        A :class:`DigitScenes`: ``images`` uint8 [n, 128, 128, 3] 0-255, ``masks`` uint8
        [n, 128, 128] (0 = background, k + 1 = digit k), ``boxes`` (n arrays float32
        [k, 4], x0, y0, x1, y1 in pixels), ``labels`` (n arrays int64 [k], 0-9), ``info``.

    Raises:
        ValueError / TypeError: bad ``n``, ``seed`` or ``split``.
        cvlib.data.DatasetUnavailable: no MNIST source at all (never: the packaged subset
            is the last resort).
    """
    from cvlib.data import load_dataset
    check_range("n", n, 1, 100_000, integer=True)
    check_range("seed", seed, 0, 2**31 - 1, integer=True)
    check_choice("split", split, tuple(_SPLIT_CODE))
    x, y, info = load_dataset("mnist", split)
    images = np.empty((n, SIZE, SIZE, 3), np.uint8)
    masks = np.empty((n, SIZE, SIZE), np.uint8)
    boxes, labels = [], []
    for i in range(n):
        rng = np.random.default_rng([seed, _SPLIT_CODE[split], i])
        images[i], masks[i], b, lab = _render(rng, x, y)
        boxes.append(b)
        labels.append(lab)
    return DigitScenes(images, masks, boxes, labels, list(SEGMENT_CLASS_NAMES), info)
