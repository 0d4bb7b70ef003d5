"""Moving digits: short greyscale clips in which one MNIST digit moves and bounces.

The data set of the sequence model ``digit_motion`` (after Srivastava et al., "Unsupervised
Learning of Video Representations using LSTMs", ICML 2015, who made "Moving MNIST"; here
one digit, and a label for its direction). Each clip is ``frames`` (20) frames of 64x64
uint8 pixels, a white MNIST digit (28x28, as in MNIST) on black, moving at a constant speed
of 1-3 pixels per frame and bouncing off the walls (the velocity component that would leave
the frame is reversed).

Directions (the label at the **first** frame): 0 = towards +x (right), then
counter-clockwise in 45° steps, so 2 = up, 4 = left, 6 = down; image rows grow downwards,
so "up" means the row index decreases. The digit starts at least 3 pixels from every wall,
so the first step never bounces and the motion between frames 0 and 1 shows the labelled
direction. One frame alone carries no direction at all: that is the point of the data set.

Example:
    >>> from cvlib.data import moving_digits
    >>> md = moving_digits(4, seed=0, split="test")  # doctest: +SKIP
    >>> md.clips.shape, md.clips.dtype, md.direction, md.digit  # doctest: +SKIP
    ((4, 20, 64, 64), dtype('uint8'), array([...]), array([...]))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cvlib.validation import check_choice, check_range

FRAMES = 20
SIZE = 64
DIGIT = 28
DIRECTIONS = 8
MIN_SPEED, MAX_SPEED = 1.0, 3.0
DIRECTION_NAMES = ("→", "↗", "↑", "↖", "←", "↙", "↓", "↘")


@dataclass
class MovingDigits:
    """A batch of moving-digit clips.

    Attributes:
        clips: uint8 [n, T, 64, 64], 0-255, white digit on black.
        direction: int64 [n], 0-7 (see the module docstring), at the first frame.
        digit: int64 [n], 0-9, the MNIST label of the digit.
        boxes: float32 [n, T, 4], the digit's 28x28 square per frame as (x0, y0, x1, y1)
            in pixels (x = column, y = row).
        speed: float32 [n], pixels per frame.
        source: where the MNIST digits came from (``DatasetInfo.source``).
    """

    clips: np.ndarray
    direction: np.ndarray
    digit: np.ndarray
    boxes: np.ndarray
    speed: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return len(self.clips)


def unit_vector(direction: int | np.ndarray) -> np.ndarray:
    """(dx, dy) in image coordinates (dy > 0 = down) of direction(s) 0-7; float [..., 2]."""
    theta = np.asarray(direction, np.float64) * (np.pi / 4)
    return np.stack([np.cos(theta), -np.sin(theta)], -1)


def trajectories(direction: np.ndarray, speed: np.ndarray, start: np.ndarray,
                 frames: int = FRAMES, size: int = SIZE, digit: int = DIGIT) -> np.ndarray:
    """Top-left corners float [n, frames, 2] (x, y) of digits bouncing in a size² frame.

    Args:
        direction: int [n] 0-7; speed: float [n] pixels/frame; start: float [n, 2] (x, y).
    """
    hi = float(size - digit)
    pos = np.asarray(start, np.float64).copy()
    vel = unit_vector(direction) * np.asarray(speed, np.float64)[:, None]
    out = np.empty((len(pos), frames, 2), np.float64)
    for t in range(frames):
        out[:, t] = pos
        pos = pos + vel
        # Reflect off the walls: position mirrored, velocity component reversed.
        low, high = pos < 0, pos > hi
        pos = np.where(low, -pos, np.where(high, 2 * hi - pos, pos))
        vel = np.where(low | high, -vel, vel)
    return out


def render(digits: np.ndarray, corners: np.ndarray, size: int = SIZE) -> np.ndarray:
    """Draw uint8 digits [n, 28, 28] at integer-rounded corners [n, T, 2] (x, y).

    Returns:
        uint8 [n, T, size, size], black background.
    """
    n, frames = corners.shape[:2]
    h, w = digits.shape[1:3]
    clips = np.zeros((n, frames, size, size), np.uint8)
    xy = np.clip(np.rint(corners).astype(np.int64), 0, [size - w, size - h])
    for i in range(n):
        for t in range(frames):
            x, y = xy[i, t]
            clips[i, t, y:y + h, x:x + w] = digits[i]
    return clips


def generate(n: int, seed: int = 0, split: str = "train", frames: int = FRAMES,
             images: np.ndarray | None = None, labels: np.ndarray | None = None
             ) -> MovingDigits:
    """Make ``n`` moving-digit clips, reproducibly from ``seed``.

    Args:
        n: number of clips (1-1,000,000).
        seed: random seed; the same (n, seed, split) gives the same clips.
        split: "train" or "test": which MNIST split the digits come from (held-out clips
            use "test", so the digits themselves are unseen).
        frames: clip length T (2-200), 20 by default.
        images, labels: uint8 [N, 28, 28] digits and their int labels to draw from instead
            of MNIST (for tests and training loops that already hold MNIST in memory).

    Returns:
        A :class:`MovingDigits` (clips uint8 [n, T, 64, 64]).

    Raises:
        ValueError: n, frames or split out of range.
        cvlib.data.DatasetUnavailable: no source has MNIST.
    """
    check_range("n", n, 1, 1_000_000, integer=True)
    check_range("frames", frames, 2, 200, integer=True)
    check_choice("split", split, ("train", "test"))
    source = "given"
    if images is None:
        from cvlib.data import load_dataset
        images, labels, info = load_dataset("mnist", split)
        source = info.source
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    pick = rng.integers(0, len(images), n)
    direction = rng.integers(0, DIRECTIONS, n)
    speed = rng.uniform(MIN_SPEED, MAX_SPEED, n)
    margin = MAX_SPEED   # the first step never reaches a wall
    start = rng.uniform(margin, SIZE - DIGIT - margin, (n, 2))
    corners = trajectories(direction, speed, start, frames)
    clips = render(np.asarray(images)[pick], corners)
    drawn = np.rint(corners)   # what render() drew
    boxes = np.concatenate([drawn, drawn + DIGIT], -1).astype(np.float32)
    return MovingDigits(clips, direction.astype(np.int64),
                        np.asarray(labels)[pick].astype(np.int64), boxes,
                        speed.astype(np.float32), source)


def scene(digits: int = 2, frames: int = 40, size: int = 128, seed: int = 0,
          split: str = "test", images: np.ndarray | None = None,
          labels: np.ndarray | None = None) -> MovingDigits:
    """One larger clip with several digits moving and bouncing (for tracking demos).

    Args:
        digits: how many digits (1-5); frames: clip length; size: frame side in pixels
            (128 = the digit detector's scenes).

    Returns:
        A :class:`MovingDigits` with ``n = digits`` rows that share one clip:
        ``clips`` uint8 [1, T, size, size] (digits drawn with max, so overlaps stay white),
        ``direction``/``digit``/``speed`` [digits], ``boxes`` float32 [digits, T, 4].
    """
    check_range("digits", digits, 1, 5, integer=True)
    check_range("frames", frames, 2, 500, integer=True)
    check_range("size", size, DIGIT + 2 * int(MAX_SPEED) + 1, 1024, integer=True)
    check_choice("split", split, ("train", "test"))
    source = "given"
    if images is None:
        from cvlib.data import load_dataset
        images, labels, info = load_dataset("mnist", split)
        source = info.source
    rng = np.random.default_rng([seed, 7])
    pick = rng.integers(0, len(images), digits)
    direction = rng.integers(0, DIRECTIONS, digits)
    speed = rng.uniform(MIN_SPEED, MAX_SPEED, digits)
    start = rng.uniform(MAX_SPEED, size - DIGIT - MAX_SPEED, (digits, 2))
    corners = trajectories(direction, speed, start, frames, size)
    layers = render(np.asarray(images)[pick], corners, size)
    clip = layers.max(axis=0)[None]
    drawn = np.rint(corners)
    boxes = np.concatenate([drawn, drawn + DIGIT], -1).astype(np.float32)
    return MovingDigits(clip, direction.astype(np.int64),
                        np.asarray(labels)[pick].astype(np.int64), boxes,
                        speed.astype(np.float32), source)
