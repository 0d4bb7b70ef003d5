"""Classical segmentation, beside the deep models: what learning adds, and where the old
methods still win.

Every function takes a picture (a PIL image, or uint8 [H, W], [H, W, 1], [H, W, 3] or
[H, W, 4]) and returns an int32 label map [H, W] in the picture's own pixels. None of them
learns anything: they group pixels by brightness, colour, edges and position.

=============  ==========================================  ===============================
method         what a label means                          source
=============  ==========================================  ===============================
otsu           0 = darker than the threshold, 1 = brighter  Otsu 1979; scikit-image
watershed      one basin of the gradient image per label    Beucher & Meyer 1993; Neubert &
                                                            Protzel 2014 (compact); skimage
slic           one superpixel per label                     Achanta et al. 2012; skimage
felzenszwalb   one graph component per label                Felzenszwalb & Huttenlocher
                                                            2004; scikit-image
grabcut        0 = background, 1 = foreground in the box    Rother et al. 2004; OpenCV
=============  ==========================================  ===============================

These cost O(H·W) and more: give them photos of up to about a megapixel (the page
shrinks larger ones first). This module imports neither TensorFlow nor Streamlit.

Example:
    >>> from skimage import data
    >>> from cvlib import classical
    >>> labels = classical.slic(data.astronaut(), n_segments=50)
    >>> labels.shape, labels.dtype
    ((512, 512), dtype('int32'))
"""

from __future__ import annotations

import numpy as np

from cvlib import CVLibError
from cvlib.validation import check_range


class BoxError(CVLibError, ValueError):
    """A box (x0, y0, x1, y1) that is not a box inside the picture (a user's GrabCut box)."""

METHODS = ("otsu", "watershed", "slic", "felzenszwalb", "grabcut")
# Real photos that scikit-image ships inside its wheel (offline), by name.
SAMPLE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def sample_photo(name: str) -> np.ndarray:
    """A real photo shipped in the scikit-image wheel: uint8 RGB [H, W, 3].

    ``astronaut`` (Eileen Collins, NASA, public domain, 512×512), ``coffee`` (a cup,
    400×600), ``chelsea`` (a cat, 300×451), ``rocket`` (SpaceX launch, 427×640).

    Raises:
        ValueError: not one of SAMPLE_PHOTOS.
    """
    from skimage import data
    if name not in SAMPLE_PHOTOS:
        raise ValueError(f"name must be one of {', '.join(SAMPLE_PHOTOS)}; got {name!r}.")
    return np.ascontiguousarray(getattr(data, name)()[..., :3])


def _rgb(image) -> np.ndarray:
    """A picture -> uint8 RGB [H, W, 3] (:func:`cvlib.imageio.to_rgb_array`); the
    methods need at least 2x2 pixels."""
    from cvlib.imageio import to_rgb_array
    return to_rgb_array(image, min_side=2)


def _grey(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float64 grey in [0, 1] (ITU-R 601 luma, as skimage.color.rgb2gray)."""
    return (rgb.astype(np.float64) @ np.array([0.2125, 0.7154, 0.0721])) / 255.0


def otsu(image) -> np.ndarray:
    """Two classes by one global brightness threshold chosen by Otsu's method.

    The threshold maximises the variance between the two classes of the grey-level
    histogram (equivalently minimises the variance within them). Works when object and
    background differ in brightness and the lighting is even; fails on textures and
    shadows, which is where learned models win.

    Args:
        image: PIL image or uint8 [H, W(, C)].

    Returns:
        int32 [H, W]: 1 where the pixel is brighter than the threshold, else 0.

    Raises:
        TypeError, ValueError: not a picture, or an empty one.

    Source: N. Otsu, "A threshold selection method from gray-level histograms", IEEE
    Trans. SMC 9(1), 1979; ``skimage.filters.threshold_otsu``.
    """
    from skimage.filters import threshold_otsu
    grey = _grey(_rgb(image))
    if float(grey.max()) == float(grey.min()):
        return np.zeros(grey.shape, np.int32)          # one grey level: one class
    return (grey > threshold_otsu(grey)).astype(np.int32)


def watershed(image, markers: int = 100, compactness: float = 0.001) -> np.ndarray:
    """Regions grown from ``markers`` seeds over the gradient image ("flooding").

    The Sobel gradient magnitude of the grey picture is seen as a relief; basins fill from
    seeds laid on a regular grid until they meet at the ridges (edges). A small
    ``compactness`` keeps regions roughly round where edges are weak (compact watershed).

    Args:
        image: PIL image or uint8 [H, W(, C)].
        markers: number of seeds (>= 1).
        compactness: 0 = classic watershed; larger = more regular regions.

    Returns:
        int32 [H, W]: region index per pixel, 0 .. n-1.

    Raises:
        TypeError, ValueError: not a picture; markers < 1 or compactness < 0.

    Source: S. Beucher & F. Meyer, "The morphological approach to segmentation: the
    watershed transformation", 1993; P. Neubert & P. Protzel, "Compact watershed and
    preemptive SLIC", ICPR 2014; ``skimage.segmentation.watershed``.
    """
    from skimage.filters import sobel
    from skimage.segmentation import watershed as _ws
    check_range("markers", markers, 1, None, integer=True)
    check_range("compactness", compactness, 0, None)
    grey = _grey(_rgb(image))
    labels = _ws(sobel(grey), markers=int(markers), compactness=float(compactness))
    return _relabel(labels)


def slic(image, n_segments: int = 100, compactness: float = 10.0) -> np.ndarray:
    """SLIC superpixels: k-means on colour (CIELAB) and position, limited to a window.

    Args:
        image: PIL image or uint8 [H, W(, C)].
        n_segments: about how many superpixels (>= 1).
        compactness: balance of colour against position; larger = squarer superpixels.

    Returns:
        int32 [H, W]: superpixel index per pixel, 0 .. n-1.

    Raises:
        TypeError, ValueError: not a picture; n_segments < 1 or compactness <= 0.

    Source: R. Achanta et al., "SLIC superpixels compared to state-of-the-art superpixel
    methods", IEEE TPAMI 34(11), 2012; ``skimage.segmentation.slic``.
    """
    from skimage.segmentation import slic as _slic
    check_range("n_segments", n_segments, 1, None, integer=True)
    check_range("compactness", compactness, 0, None, low_inclusive=False)
    labels = _slic(_rgb(image), n_segments=int(n_segments), compactness=float(compactness),
                   start_label=0, channel_axis=-1)
    return _relabel(labels)


def felzenszwalb(image, scale: float = 100.0, sigma: float = 0.5,
                 min_size: int = 50) -> np.ndarray:
    """Felzenszwalb-Huttenlocher graph segmentation: merge neighbouring pixels while the
    colour difference across a boundary is small against the variation inside.

    Args:
        image: PIL image or uint8 [H, W(, C)].
        scale: larger = fewer, larger regions (> 0).
        sigma: Gaussian smoothing before the graph is built (0-100 pixels).
        min_size: smallest region in pixels (>= 1), smaller ones are merged.

    Returns:
        int32 [H, W]: region index per pixel, 0 .. n-1.

    Raises:
        TypeError, ValueError: not a picture; a parameter out of range.

    Source: P. Felzenszwalb & D. Huttenlocher, "Efficient graph-based image
    segmentation", IJCV 59(2), 2004; ``skimage.segmentation.felzenszwalb``.
    """
    from skimage.segmentation import felzenszwalb as _fz
    check_range("scale", scale, 0, None, low_inclusive=False)
    # a Gaussian wider than any picture only costs memory (sigma=1e9: a 60 GB kernel)
    check_range("sigma", sigma, 0, 100, hint="Try 0.5-2.")
    check_range("min_size", min_size, 1, None, integer=True)
    labels = _fz(_rgb(image), scale=float(scale), sigma=float(sigma),
                 min_size=int(min_size), channel_axis=-1)
    return _relabel(labels)


def grabcut(image, box, iterations: int = 5, seed_mask=None) -> np.ndarray:
    """GrabCut: foreground / background from a box around the object.

    Two Gaussian mixture colour models (object, background) and a graph cut alternate;
    everything outside ``box`` is background for sure, inside it is to be decided.

    Args:
        image: PIL image or uint8 [H, W(, C)].
        box: (x0, y0, x1, y1) in the picture's pixels, x0 < x1, y0 < y1, inside it.
        iterations: rounds of model fitting and graph cut (1-20).
        seed_mask: optional int [H, W] of OpenCV's GrabCut labels (0 background,
            1 foreground, 2 probably background, 3 probably foreground) to start from
            instead of the box alone (e.g. a Grad-CAM region, :mod:`cvlib.weak`); pixels
            outside the box are still forced to background.

    Returns:
        int32 [H, W]: 1 = foreground, 0 = background.

    Raises:
        TypeError, ValueError: not a picture; a box outside the picture, covering all
            of it, empty or of the wrong form; iterations out of range; a seed mask of the
            wrong shape.

    Source: C. Rother, V. Kolmogorov & A. Blake, "GrabCut: interactive foreground
    extraction using iterated graph cuts", SIGGRAPH 2004; OpenCV ``cv2.grabCut``.
    """
    import cv2
    rgb = _rgb(image)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = check_box(box, (w, h))
    check_range("iterations", iterations, 1, 20, integer=True)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    ix0, iy0 = int(np.floor(x0)), int(np.floor(y0))
    ix1, iy1 = int(np.ceil(x1)), int(np.ceil(y1))
    if seed_mask is None:
        if ix0 <= 0 and iy0 <= 0 and ix1 >= w and iy1 >= h:
            raise ValueError(f"box {(x0, y0, x1, y1)} covers the whole {w}×{h} picture: "
                             f"GrabCut learns the background from the pixels outside the "
                             f"box, so leave a margin around the object.")
        mask = np.zeros((h, w), np.uint8)
        rect = (ix0, iy0, max(1, ix1 - ix0), max(1, iy1 - iy0))
        cv2.grabCut(bgr, mask, rect, bgd, fgd, int(iterations), cv2.GC_INIT_WITH_RECT)
    else:
        mask = np.asarray(seed_mask)
        if mask.shape != (h, w):
            raise ValueError(f"seed_mask must be [H, W] = [{h}, {w}] like the picture; got "
                             f"shape {mask.shape}.")
        mask = np.clip(mask, 0, 3).astype(np.uint8).copy()
        outside = np.ones((h, w), bool)
        outside[iy0:iy1, ix0:ix1] = False
        mask[outside] = cv2.GC_BGD
        fg = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
        bg = (mask == cv2.GC_BGD) | (mask == cv2.GC_PR_BGD)
        if not fg.any() or not bg.any():     # GrabCut needs both colour models
            return fg.astype(np.int32)
        cv2.grabCut(bgr, mask, None, bgd, fgd, int(iterations), cv2.GC_INIT_WITH_MASK)
    return ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.int32)


def check_box(box, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Validate a box (x0, y0, x1, y1) against a picture of ``size`` = (width, height).

    Returns:
        the box as four floats.

    Raises:
        BoxError (a ValueError): not four numbers, empty (x0 >= x1 or y0 >= y1), or not
            inside the picture (the message names the picture's size).
    """
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise BoxError(f"box must be four numbers (x0, y0, x1, y1); got {box!r}.",
                       kind="box_not_numbers", box=repr(box)) from None
    w, h = size
    shown = f"{x0:g}, {y0:g}, {x1:g}, {y1:g}"
    if not (np.isfinite([x0, y0, x1, y1]).all() and x0 < x1 and y0 < y1):
        raise BoxError(f"box must have x0 < x1 and y0 < y1; got {(x0, y0, x1, y1)}.",
                       kind="box_empty", box=shown)
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        raise BoxError(f"box {(x0, y0, x1, y1)} is outside the picture of {w}×{h} pixels; "
                       f"use 0 <= x0 < x1 <= {w} and 0 <= y0 < y1 <= {h}.",
                       kind="box_outside", box=shown, width=w, height=h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise BoxError(f"box must be at least 2×2 pixels; got {x1 - x0:g}×{y1 - y0:g}.",
                       kind="box_too_small", box_width=x1 - x0, box_height=y1 - y0)
    return x0, y0, x1, y1


def segment(method: str, image, **params) -> np.ndarray:
    """Run one of METHODS by name (``grabcut`` needs ``box=``); int32 label map [H, W].

    Raises:
        ValueError: unknown method (the message lists METHODS), or bad parameters.
    """
    fn = {"otsu": otsu, "watershed": watershed, "slic": slic, "felzenszwalb": felzenszwalb,
          "grabcut": grabcut}.get(method)
    if fn is None:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}.")
    return fn(image, **params)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Labels -> consecutive int32 0 .. n-1 (same regions)."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(labels.shape).astype(np.int32)
