"""Tracking: a simple IoU tracker that keeps an id per object across frames, and the tracks
drawn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np

from cvlib.predictor import Detection, FrameRecord
from cvlib.validation import check_range
from cvlib.video.analysis import _class_colours, _rgb

# --- tracking -----------------------------------------------------------------------------

@dataclass
class Track:
    """One object followed across frames.

    Attributes:
        id: 1, 2, ... in order of appearance.
        label: class index of its first detection (the most frequent one at the end).
        frames: frame indices where it was seen.
        boxes: float32 [len(frames), 4] (x0, y0, x1, y1) in pixels.
        scores: detection scores.
    """

    id: int
    label: int
    frames: list[int] = field(default_factory=list)
    boxes: list[tuple] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def path(self) -> np.ndarray:
        """float32 [len(frames), 2]: box centres (x, y)."""
        b = np.asarray(self.boxes, np.float32).reshape(-1, 4)
        return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], -1)


def iou(a, b) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes, in [0, 1]."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def predicted_box(t: Track, f: int) -> tuple:
    """Where track ``t`` should be at frame ``f``: its last box moved at the velocity of
    its last two observations (pixels per frame), the constant-velocity motion model of
    SORT (A. Bewley et al., "Simple Online and Realtime Tracking", ICIP 2016), without
    the Kalman filter. A track seen once stays where it was."""
    last = np.asarray(t.boxes[-1], np.float64)
    if len(t.frames) < 2 or f <= t.frames[-1]:
        return tuple(last)
    gap = t.frames[-1] - t.frames[-2]
    v = (last - np.asarray(t.boxes[-2], np.float64)) / max(gap, 1)
    return tuple(last + v * (f - t.frames[-1]))


def track(detections: Iterable, iou_threshold: float = 0.3, max_missed: int = 5,
          match_labels: bool = False, frame_indices: Iterable[int] | None = None
          ) -> list[Track]:
    """Follow detections across frames with a greedy IoU tracker.

    Each frame's detections are matched to the live tracks in order of decreasing IoU with
    where each track should be now (:func:`predicted_box`: its last box moved at its last
    velocity, so an object the detector missed for a few frames keeps its id although it
    moved on); a pair needs IoU >= ``iou_threshold``. Unmatched detections start new
    tracks; a track not matched for more than ``max_missed`` frames ends.

    Args:
        detections: per frame, a list of :class:`Detection` (or a FrameRecord list from
            :func:`analyze` with a detector, or (box, label, score) tuples).
        iou_threshold: in [0, 1]. max_missed: frames a track may go unseen.
        match_labels: only match detections of the track's class.
        frame_indices: the frame number of each entry (default 0, 1, 2 ...).

    Returns:
        list of :class:`Track`, by id.
    """
    check_range("iou_threshold", iou_threshold, 0.0, 1.0)
    per_frame = []
    for item in detections:
        if isinstance(item, FrameRecord):
            per_frame.append((item.index, item.result.get("detections", [])))
        else:
            per_frame.append((None, item))
    if frame_indices is not None:
        per_frame = [(i, d) for i, (_, d) in zip(frame_indices, per_frame)]
    tracks: list[Track] = []
    live: list[Track] = []
    last_seen: dict[int, int] = {}
    for n, (index, dets) in enumerate(per_frame):
        f = n if index is None else int(index)
        dets = [d if isinstance(d, Detection) else Detection(tuple(map(float, d[0])),
                                                             int(d[1]), float(d[2]))
                for d in dets]
        expected = [predicted_box(t, f) for t in live]
        pairs = sorted(((iou(expected[ti], d.box), ti, di) for ti, t in enumerate(live)
                        for di, d in enumerate(dets)
                        if not match_labels or t.label == d.label), reverse=True)
        used_t, used_d = set(), set()
        for score, ti, di in pairs:
            if score < iou_threshold or ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            t, d = live[ti], dets[di]
            t.frames.append(f)
            t.boxes.append(tuple(d.box))
            t.scores.append(d.score)
            t.labels.append(d.label)
            last_seen[t.id] = n
        for di, d in enumerate(dets):
            if di not in used_d:
                t = Track(len(tracks) + 1, d.label, [f], [tuple(d.box)], [d.score], [d.label])
                tracks.append(t)
                live.append(t)
                last_seen[t.id] = n
        live = [t for t in live if n - last_seen[t.id] <= max_missed]
    for t in tracks:
        t.label = int(np.bincount(t.labels).argmax())
    return tracks


def draw_tracks(frame, tracks: list[Track], upto: int | None = None) -> np.ndarray:
    """Frame uint8 RGB with each track's path (up to frame ``upto``) and id drawn; lines
    and text grow with the frame (readable on a 768x432 traffic frame and a 64x64 one)."""
    from PIL import Image, ImageDraw, ImageFont
    img = Image.fromarray(_rgb(frame))
    draw = ImageDraw.Draw(img)
    width = max(2, img.height // 200)
    font = ImageFont.load_default(size=max(10, img.height // 24))
    colours = _class_colours(len(tracks) + 2)
    for t in tracks:
        keep = [i for i, f in enumerate(t.frames) if upto is None or f <= upto]
        if not keep:
            continue
        c = tuple(int(v) for v in colours[t.id % len(colours) or 1])
        pts = [tuple(map(float, p)) for p in t.path()[keep]]
        if len(pts) > 1:
            draw.line(pts, fill=c, width=width)
        if upto is None or t.frames[keep[-1]] == upto:
            draw.rectangle(t.boxes[keep[-1]], outline=c, width=width)
            at = (t.boxes[keep[-1]][0] + 2 * width, t.boxes[keep[-1]][1] + width)
            draw.rectangle(draw.textbbox(at, f"#{t.id}", font=font), fill=(0, 0, 0))
            draw.text(at, f"#{t.id}", fill=c, font=font)      # on black: readable anywhere
    return np.asarray(img)
