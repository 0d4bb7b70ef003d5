"""Motion: frame-difference energy, scene cuts, dense optical flow (OpenCV Farneback) drawn
as arrows and colours, moving regions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cvlib.video.analysis import _rgb

# --- motion -------------------------------------------------------------------------------

@dataclass
class Motion:
    """Frame-difference statistics of a clip.

    Attributes:
        energy: float32 [N - 1], mean absolute grey-level difference between frame i and
            i + 1, in [0, 1] (0 = identical, 1 = black <-> white everywhere).
        cuts: indices i (1..N-1) where a new shot starts (frame i differs from i - 1 far
            more than usual).
        threshold: the energy above which a pair counted as a cut.
    """

    energy: np.ndarray
    cuts: list[int] = field(default_factory=list)
    threshold: float = 0.0


def _grey(frames) -> np.ndarray:
    x = np.asarray(frames)
    if x.ndim == 4:
        x = x[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)   # ITU-R BT.601 luma
    return x.astype(np.float32)


def _grey_frame(frame) -> np.ndarray:
    """One frame uint8 [H, W] or [H, W, 1|3|4] -> float32 [H, W] luma."""
    f = np.asarray(frame)
    if f.ndim == 3:
        f = f[..., 0] if f.shape[-1] == 1 else _grey(f[None])[0]
    if f.ndim != 2:
        raise ValueError(f"a frame must be [H, W] or [H, W, 3]; got shape {f.shape}.")
    return f.astype(np.float32)


def motion(frames, cut_threshold: float | None = None, min_cut: float = 0.12) -> Motion:
    """Frame-difference energy and scene cuts.

    A cut is a pair whose energy is above ``cut_threshold``, by default
    ``max(min_cut, median + 8 * MAD)`` of the clip's energies (a robust outlier rule: a cut
    changes most pixels at once, ordinary motion only some).

    Args:
        frames: uint8 [N, H, W] or [N, H, W, 3], N >= 2.

    Raises:
        ValueError: fewer than 2 frames.
    """
    g = _grey(frames)
    if len(g) < 2:
        raise ValueError(f"motion needs at least 2 frames; got {len(g)}.")
    energy = np.abs(np.diff(g, axis=0)).mean(axis=(1, 2)) / 255.0
    if cut_threshold is None:
        med = float(np.median(energy))
        mad = float(np.median(np.abs(energy - med)))
        cut_threshold = max(min_cut, med + 8 * mad)
    cuts = [int(i) + 1 for i in np.flatnonzero(energy > cut_threshold)]
    return Motion(energy.astype(np.float32), cuts, float(cut_threshold))


def optical_flow(frame_a, frame_b, max_side: int = 640) -> np.ndarray:
    """Dense optical flow from ``frame_a`` to ``frame_b`` (OpenCV Farnebäck).

    Args:
        frame_a, frame_b: uint8 [H, W] or [H, W, 3] of the same size.
        max_side: frames larger than this are scaled down first (speed) and the flow is
            scaled back to the input's pixels.

    Returns:
        float32 [H, W, 2]: (dx, dy) in pixels per frame for every pixel of ``frame_a``
        (x = column, y = row, rows grow downwards).

    Raises:
        ValueError: frames of different sizes.
    """
    import cv2
    a, b = _grey_frame(frame_a), _grey_frame(frame_b)
    if a.shape != b.shape:
        raise ValueError(f"both frames must have the same size; got {a.shape} and {b.shape}.")
    h, w = a.shape
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        a = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
        b = cv2.resize(b, size, interpolation=cv2.INTER_AREA)
    flow = cv2.calcOpticalFlowFarneback(a.astype(np.uint8), b.astype(np.uint8), None,
                                        pyr_scale=0.5, levels=3, winsize=15, iterations=3,
                                        poly_n=5, poly_sigma=1.2, flags=0)
    if scale < 1.0:
        flow = cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / scale
    return flow.astype(np.float32)


def flow_to_rgb(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """The usual colour-wheel picture of a flow field: hue = direction, brightness = speed.

    Args:
        flow: float [H, W, 2] (dx, dy).
        max_magnitude: speed shown at full brightness (default: the 99th percentile, at
            least 1 pixel per frame).

    Returns:
        uint8 RGB [H, W, 3]. Hue 0° (red) = towards +x, counter-clockwise on screen as in
        the direction labels (so "up" is 90°, green-yellow).
    """
    import cv2
    dx, dy = flow[..., 0], flow[..., 1]
    mag = np.hypot(dx, dy)
    ang = (np.degrees(np.arctan2(-dy, dx)) + 360) % 360   # rows grow down: -dy is "up"
    # at least 1 px/frame at full brightness, so the sub-pixel noise of a still scene
    # stays dark instead of being stretched to full colour
    top = max_magnitude or max(float(np.percentile(mag, 99)), 1.0)
    hsv = np.zeros((*mag.shape, 3), np.uint8)
    hsv[..., 0] = (ang / 2).astype(np.uint8)              # OpenCV hue is 0-179
    hsv[..., 1] = 255
    hsv[..., 2] = np.clip(mag / top * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def colour_wheel(size: int = 96) -> np.ndarray:
    """uint8 RGB [size, size, 3]: the key of :func:`flow_to_rgb` (direction -> colour)."""
    r = (size - 1) / 2
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) - r
    flow = np.stack([x, y], -1)
    img = flow_to_rgb(flow, max_magnitude=r)
    img[np.hypot(x, y) > r] = 255
    return img


def flow_arrows(flow: np.ndarray, step: int = 16, min_magnitude: float = 0.5) -> np.ndarray:
    """A sparse grid of arrows from a dense flow: float32 [M, 4] rows (x, y, dx, dy), one
    every ``step`` pixels, only where the speed is at least ``min_magnitude`` px/frame."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[step // 2:h:step, step // 2:w:step]
    d = flow[ys, xs]
    keep = np.hypot(d[..., 0], d[..., 1]) >= min_magnitude
    return np.stack([xs[keep], ys[keep], d[keep][:, 0], d[keep][:, 1]], -1).astype(np.float32)


def draw_arrows(frame, arrows: np.ndarray, scale: float = 3.0,
                colour=(255, 221, 0)) -> np.ndarray:
    """Frame uint8 RGB [H, W, 3] with the flow arrows drawn (length x ``scale``)."""
    import cv2
    img = _rgb(frame).copy()
    for x, y, dx, dy in arrows:
        cv2.arrowedLine(img, (int(x), int(y)), (int(x + dx * scale), int(y + dy * scale)),
                        colour, 1, cv2.LINE_AA, tipLength=0.3)
    return img


def moving_mask(flow: np.ndarray, min_magnitude: float = 1.0) -> np.ndarray:
    """bool [H, W]: pixels moving at least ``min_magnitude`` pixels per frame."""
    return np.hypot(flow[..., 0], flow[..., 1]) >= min_magnitude
