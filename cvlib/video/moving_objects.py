"""Moving objects found by background subtraction: boxes per frame with no trained model.

A background model learns, pixel by pixel, what the scene usually looks like; a pixel that
does not fit it is foreground. This finds *anything that moves* (a car, a person, a
swaying branch), not a class of object: an object that stops becomes background after a
while, a parked car is never found, and a camera that moves (or shakes) makes the whole
picture foreground. Use it on clips from a still camera.

Method (all OpenCV):

1. Each frame is scaled down to ``max_side`` pixels and, by default, its brightness is
   mapped onto the background's (:func:`match_light`): a camera's automatic exposure
   darkens or brightens the whole picture at once when a white car drives in, as on the
   shared traffic clip, and without this the whole road turns "foreground".
2. ``cv2.createBackgroundSubtractorKNN``: a k-nearest-neighbours density estimate per
   pixel from its recent samples (Z. Zivkovic and F. van der Heijden, "Efficient adaptive
   density estimation per image pixel for the task of background subtraction", Pattern
   Recognition Letters 2006), or ``cv2.createBackgroundSubtractorMOG2``: a mixture of
   Gaussians per pixel with an adaptive number of components (Z. Zivkovic, "Improved
   adaptive Gaussian mixture model for background subtraction", ICPR 2004, and the same
   2006 paper). Both mark shadows (darker pixels of the background's colour) as 127;
   shadows are dropped.
3. A morphological opening (removes specks of noise), then a closing (fills holes such as
   a car's dark windows), on the foreground mask.
4. ``cv2.connectedComponentsWithStats``: each connected region of at least ``min_area``
   of the frame becomes one box.

KNN is the default: measured on the shared traffic clip against our own annotation
(``bench/traffic_tracking.py``, bench/RESULTS.md), with the brightness matching both find
all 18 annotated cars at IoU 0.5 at about the same speed (130-210 frames/s on these
shared CPUs), but KNN's boxes fit more tightly (mean best IoU 0.90 against 0.86) and MOG2
left one spurious track (5 track ids for the 4 cars; KNN 4). Without the brightness
matching both lose a car and fragment tracks.
"""

from __future__ import annotations

import numpy as np

from cvlib import CVLibError
from cvlib.predictor import Detection, FrameRecord
from cvlib.validation import check_choice, check_range, number_array

METHODS = ("knn", "mog2")
CLASS_NAMES = ["moving object"]
MIN_AREA = 0.004     # smallest object, as a share of the frame (bench/traffic_tracking.py)


class MovingObjectsError(CVLibError, ValueError):
    """Frames that background subtraction cannot use (wrong shape, none at all)."""


def _shape_error(shape) -> MovingObjectsError:
    return MovingObjectsError(
        f"Frames must be pictures [H, W] or [H, W, 3] (a clip: [N, H, W(, 3)]); got an "
        f"array of shape {tuple(shape)}.", kind="moving_frames_shape", shape=str(tuple(shape)))


def _check_frame(frame) -> np.ndarray:
    """One frame as uint8 RGB [H, W, 3] (grey, RGBA and number types 0-255 accepted)."""
    f = number_array(frame, "frame", "a video frame: an array of numbers [H, W(, 3)]")
    if f.ndim == 3 and f.shape[-1] in (1, 3, 4):
        f = np.repeat(f, 3, -1) if f.shape[-1] == 1 else f[..., :3]
    elif f.ndim == 2:
        f = np.stack([f] * 3, -1)
    else:
        raise _shape_error(f.shape)
    if min(f.shape[:2]) < 8:
        raise MovingObjectsError(
            f"A frame must be at least 8×8 pixels; got {f.shape[1]}×{f.shape[0]}.",
            kind="moving_frame_small", width=int(f.shape[1]), height=int(f.shape[0]))
    from cvlib.imageio import to_rgb_array  # the one number rule (floats in 0-1, NaN)
    return to_rgb_array(f)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114], np.float32)     # ITU-R BT.601


def match_light(frame: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``frame`` with its brightness mapped onto ``reference``'s, for a camera whose
    automatic exposure brightens or darkens the whole picture.

    Both are reduced to the mean grey levels of blocks of 1/24 of the longer side (this
    averages out sensor noise and a camera drift of a few pixels, which would otherwise
    dilute the fit), and ``reference ~ a * frame + b`` is fitted over the blocks by
    Siegel's repeated medians (A. F. Siegel, "Robust regression using repeated medians",
    Biometrika 1982; ``scipy.stats.siegelslopes``: right while fewer than half of the
    blocks are covered by moving objects), then refitted by least squares on the blocks
    within 2.5 robust standard deviations (1.4826 x the median absolute residual) of that
    line. Returns ``a * frame + b``. An affine map rather than a gain: the exposure changes
    of the shared traffic clip are darker by a factor *and* an offset.

    Args:
        frame, reference: uint8 RGB [H, W, 3] of the same size.

    Returns:
        uint8 RGB [H, W, 3]. A frame whose blocks hardly differ (a standard deviation under
        1 grey level, e.g. a flat synthetic background) is only shifted (``a`` = 1); an
        implausible fit (``a`` outside [0.2, 5]) leaves the frame as it is.
    """
    import cv2
    from scipy.stats import siegelslopes
    h, w = frame.shape[:2]
    block = max(1, max(h, w) // 24)
    size = (max(1, w // block), max(1, h // block))
    x = cv2.resize(_luma(frame), size, interpolation=cv2.INTER_AREA).ravel()
    y = cv2.resize(_luma(reference), size, interpolation=cv2.INTER_AREA).ravel()
    if x.size < 4 or x.std() < 1.0:
        a, b = 1.0, float(np.median(y - x))
    else:
        fit = siegelslopes(y, x)
        res = y - (fit.slope * x + fit.intercept)
        keep = np.abs(res) <= 2.5 * 1.4826 * float(np.median(np.abs(res))) + 1e-3
        a, b = (float(v) for v in np.polyfit(x[keep], y[keep], 1)) if keep.sum() >= 4 \
            and x[keep].std() >= 1.0 else (float(fit.slope), float(fit.intercept))
    if not 0.2 <= a <= 5.0:
        return frame
    return np.clip(frame.astype(np.float32) * a + b, 0, 255).astype(np.uint8)


class MovingObjectDetector:
    """Background subtraction as a stateful detector: call it on the frames of one clip in
    order; each call returns that frame's moving objects.

    Args:
        method: "knn" (default) or "mog2" (see the module's docstring).
        history: frames the background model remembers (OpenCV's ``history``): an object
            that stays still for about this many frames becomes background.
        threshold: how far a pixel must be from the background to be foreground: MOG2's
            ``varThreshold`` (squared Mahalanobis distance, default 16) or KNN's
            ``dist2Threshold`` (squared distance in 0-255 RGB units, default 400).
        min_area: smallest object kept, as a fraction of the frame's area, in (0, 1).
        max_side: frames are processed scaled down to at most this many pixels on their
            longer side (speed; boxes are given in the input's pixels).
        open_px, close_px: sizes of the elliptical kernels of the morphological opening
            and closing, in pixels of the scaled-down frame.
        normalise_light: map each frame's brightness onto the background's
            (:func:`match_light`), against a camera's automatic exposure.

    Attributes:
        task: "detect"; class_names: ["moving object"] (every box has label 0).
        mask: uint8 [h, w] of the last frame at the processing size: 255 foreground (after
            the opening and closing), 0 background; None before the first frame.

    Raises:
        ValueError / TypeError: a parameter out of range.
        MovingObjectsError: a frame that is not a picture.
    """

    task = "detect"
    class_names = CLASS_NAMES

    def __init__(self, method: str = "knn", history: int = 200,
                 threshold: float | None = None, min_area: float = MIN_AREA,
                 max_side: int = 384, open_px: int = 3, close_px: int = 9,
                 normalise_light: bool = True):
        check_choice("method", method, METHODS)
        check_range("history", history, 2, 100_000, integer=True)
        if threshold is not None:
            check_range("threshold", threshold, 0.0, None, low_inclusive=False)
        check_range("min_area", min_area, 0.0, 1.0, low_inclusive=False,
                    high_inclusive=False)
        check_range("max_side", max_side, 16, 8192, integer=True)
        check_range("open_px", open_px, 0, 99, integer=True)
        check_range("close_px", close_px, 0, 99, integer=True)
        self.method, self.history, self.threshold = method, int(history), threshold
        self.min_area, self.max_side = float(min_area), int(max_side)
        self.open_px, self.close_px = int(open_px), int(close_px)
        self.normalise_light = bool(normalise_light)
        self.reset()

    def reset(self) -> None:
        """Forget the background: the next frame starts a new clip.

        Also seeds OpenCV's random number generator of this thread (0): KNN updates its
        samples at random, so without it the same clip could give other boxes."""
        import cv2
        cv2.setRNGSeed(0)
        if self.method == "mog2":
            self._sub = cv2.createBackgroundSubtractorMOG2(
                history=self.history, varThreshold=self.threshold or 16.0,
                detectShadows=True)
        else:
            self._sub = cv2.createBackgroundSubtractorKNN(
                history=self.history, dist2Threshold=self.threshold or 400.0,
                detectShadows=True)
        self._size: tuple[int, int] | None = None     # (H, W) of the clip's frames
        self._primed = False
        self.mask: np.ndarray | None = None

    def learn_background(self, frames, samples: int = 25, repeats: int = 10) -> None:
        """Start the background model afresh (:meth:`reset`) from the per-pixel median of
        ``samples`` frames spread over the clip (a median background: right wherever each
        pixel shows the background in more than half of them, i.e. objects keep moving),
        shown to the model ``repeats`` times. Without it the first frame only starts the
        model, and the next few find little while it learns (MOG2's learning rate, for
        one, starts at 1/2).

        Args:
            frames: uint8 [N, H, W, 3] or [N, H, W], the clip about to be analysed.

        Raises:
            MovingObjectsError: no frames, or frames that are not pictures.
        """
        check_range("samples", samples, 1, 1000, integer=True)
        check_range("repeats", repeats, 1, 1000, integer=True)
        if len(frames) == 0:
            raise MovingObjectsError("There are no frames to look at (an empty clip).",
                                     kind="moving_no_frames")
        self.reset()
        pick = np.unique(np.linspace(0, len(frames) - 1, min(samples, len(frames))).round())
        small = [self._scaled(_check_frame(frames[int(i)])) for i in pick]
        if self.normalise_light:
            small = [small[0]] + [match_light(f, small[0]) for f in small[1:]]
        median = np.median(np.stack(small), axis=0).astype(np.uint8)
        for _ in range(repeats):
            self._sub.apply(median)
        self._size = tuple(np.shape(frames)[1:3])
        self._primed = True

    def _scaled(self, frame: np.ndarray) -> np.ndarray:
        import cv2
        h, w = frame.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1.0:
            frame = cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))),
                               interpolation=cv2.INTER_AREA)
        return frame

    def __call__(self, frame) -> list[Detection]:
        """The moving objects of the next frame.

        Args:
            frame: uint8 RGB [H, W, 3] (or grey [H, W]), every frame of a clip the same
                size, in order.

        Returns:
            list of :class:`cvlib.predictor.Detection`: ``box`` (x0, y0, x1, y1) in the
            frame's pixels, ``label`` 0, ``score`` = the share of the box that is
            foreground, in (0, 1]. Without :meth:`learn_background` the first frame only
            starts the background model and gives no objects.

        Raises:
            MovingObjectsError: not a picture, or a frame of another size than the first.
        """
        import cv2
        f = _check_frame(frame)
        if self._size is None:
            self._size = f.shape[:2]
        elif f.shape[:2] != self._size:
            raise MovingObjectsError(
                f"Every frame of a clip must have the same size; the first was "
                f"{self._size[1]}×{self._size[0]}, this one is {f.shape[1]}×{f.shape[0]}.",
                kind="moving_frame_size", first=f"{self._size[1]}×{self._size[0]}",
                got=f"{f.shape[1]}×{f.shape[0]}")
        first = self.mask is None
        small = self._scaled(f)
        if self.normalise_light and not (first and not self._primed):
            small = match_light(small, np.asarray(self._sub.getBackgroundImage()))
        raw = self._sub.apply(small)
        fg = np.where(raw == 255, 255, 0).astype(np.uint8)       # 127 = shadow: dropped
        for op, px in ((cv2.MORPH_OPEN, self.open_px), (cv2.MORPH_CLOSE, self.close_px)):
            if px > 1:
                # on a border of background: OpenCV's default border would let a closing
                # grow a blob that comes near the edge all the way to it
                r = px // 2 + 1
                padded = cv2.copyMakeBorder(fg, r, r, r, r, cv2.BORDER_CONSTANT, value=0)
                kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (px, px))
                fg = cv2.morphologyEx(padded, op, kernel)[r:-r, r:-r]
        self.mask = fg
        if first and not self._primed:
            self.mask = np.zeros_like(fg)
            return []
        n, _, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
        sy, sx = f.shape[0] / fg.shape[0], f.shape[1] / fg.shape[1]
        min_px = self.min_area * fg.size
        out = []
        for x, y, w, h, area in stats[1:n]:
            if area < min_px:
                continue
            box = (float(x * sx), float(y * sy), float((x + w) * sx), float((y + h) * sy))
            out.append(Detection(box, 0, float(area) / float(w * h)))
        return sorted(out, key=lambda d: -d.area)

    def background(self) -> np.ndarray | None:
        """The background the model has learned so far: uint8 RGB [h, w, 3] at the
        processing size (None before the first frame or :meth:`learn_background`)."""
        if self.mask is None and not self._primed:
            return None
        return np.asarray(self._sub.getBackgroundImage())


def moving_objects(frames, method: str = "knn", min_area: float = MIN_AREA,
                   history: int = 200, threshold: float | None = None,
                   max_side: int = 384, normalise_light: bool = True,
                   learn_background: bool = True, fps: float | None = None,
                   detector: MovingObjectDetector | None = None) -> list[FrameRecord]:
    """Moving objects in every frame of a clip, by background subtraction.

    Args:
        frames: a ``cvlib.videoio.VideoClip`` (its frame indices and times are kept) or
            frames uint8 [N, H, W, 3] / [N, H, W], 0-255, from a still camera.
        method, min_area, history, threshold, max_side, normalise_light: see
            :class:`MovingObjectDetector`.
        learn_background: start the background model from the median of frames spread
            over the clip (:meth:`MovingObjectDetector.learn_background`), so that objects
            are found from the first frame on.
        fps: frame rate for the times of an array (default: time = frame index).
        detector: use this detector (e.g. to read its ``background()`` afterwards);
            the other settings are then ignored.

    Returns:
        list of :class:`cvlib.predictor.FrameRecord`, one per frame, in the plain-data form
        of a detector's timeline (:func:`cvlib.video.analyze`), which
        :func:`cvlib.video.track` follows: ``result = {"detections": [Detection, ...],
        "count": n, "foreground": share of the frame that is foreground, in [0, 1]}``.
        Without ``learn_background`` the first frame has no objects (it starts the
        background model) and the next few find little.

    Raises:
        MovingObjectsError: no frames, or frames that are not pictures.
        ValueError / TypeError: a setting out of range.

    Example:
        >>> import numpy as np
        >>> frames = np.full((6, 48, 64, 3), 90, np.uint8)
        >>> for i, f in enumerate(frames):
        ...     f[20:30, 10 * i:10 * i + 10] = 250        # a square moving right
        >>> recs = moving_objects(frames, min_area=0.01)
        >>> recs[-1].result["count"], [round(v) for v in recs[-1].result["detections"][0].box]
        (1, [50, 20, 60, 30])
    """
    from cvlib.videoio import VideoClip
    if isinstance(frames, VideoClip):
        indices = [int(i) for i in frames.indices]
        times = [float(s) for s in frames.times]
        frames = frames.frames
    else:
        frames = number_array(frames, "frames",
                              "video frames: an array of numbers [N, H, W(, 3)]")
        if frames.ndim not in (3, 4):
            raise _shape_error(frames.shape)
        indices = list(range(len(frames)))
        times = [i / fps if fps else float(i) for i in indices]
    if len(frames) == 0:
        raise MovingObjectsError("There are no frames to look at (an empty clip).",
                                 kind="moving_no_frames")
    det = detector if detector is not None else MovingObjectDetector(
        method=method, history=history, threshold=threshold, min_area=min_area,
        max_side=max_side, normalise_light=normalise_light)
    if learn_background:
        det.learn_background(frames)
    records: list[FrameRecord] = []
    for k, frame in enumerate(frames):
        dets = det(frame)
        records.append(FrameRecord(indices[k], times[k], {
            "detections": dets, "count": len(dets),
            "foreground": float(np.count_nonzero(det.mask)) / det.mask.size}))
    return records
