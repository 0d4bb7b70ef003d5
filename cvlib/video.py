"""Video analysis: per-frame timelines, motion, optical flow, tracking, the sequence model.

- :func:`analyze` runs any registry model (classifier, detector, segmenter) on the frames
  of a clip and returns one :class:`cvlib.predictor.FrameRecord` per analysed frame;
  :class:`AnalysisJob` does the same in the shared background-job machinery (progress,
  frames per second, ETA, Stop).
- :func:`motion` measures frame-difference energy and finds scene cuts;
  :func:`optical_flow` computes dense optical flow with OpenCV's Farnebäck method
  (G. Farnebäck, "Two-Frame Motion Estimation Based on Polynomial Expansion", SCIA 2003).
  Farnebäck rather than scikit-image's TV-L1 or iLK: measured here on a 768x432 frame pair
  it takes ~30 ms, TV-L1 takes seconds, and its image pyramid follows the large
  displacements of real traffic, where single-scale iLK loses them.
- :func:`track` follows detections across frames with a greedy IoU tracker (the
  association step of SORT, Bewley et al. 2016, without the Kalman filter).
- :class:`SequenceModel` / :func:`predict_sequence`: the recurrent ``digit_motion`` model,
  which tells the direction a digit moves, something no single frame shows.

Nothing here imports Streamlit; Keras is imported only by the functions that run a model.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from cvlib import CVLibError
from cvlib.jobs import BackgroundJob, StoppedBeforeStart
from cvlib.moving_digits import DIRECTION_NAMES  # "→", "↗", "↑" ... for directions 0-7
from cvlib.predictor import Detection, FrameRecord, Predictor, SequencePrediction
from cvlib.validation import check_range

DIRECTION_WORDS = ("right", "up-right", "up", "up-left", "left", "down-left", "down",
                   "down-right")


class UnsupportedModel(CVLibError, ValueError):
    """The chosen model cannot run on video frames (wrong task or input)."""


# --- the sequence model -------------------------------------------------------------------

def as_clip(frames, size: int = 64) -> np.ndarray:
    """Frames -> float32 [T, size, size, 1] in 0-255 for the sequence model.

    Accepts uint8 [T, H, W], [T, H, W, 1] or [T, H, W, 3] (RGB is averaged to grey);
    other sizes are resized (bilinear). Floats in [0, 1] are scaled to 0-255.

    Raises:
        ValueError: not a stack of at least one frame.
    """
    x = np.asarray(frames)
    if x.ndim == 4 and x.shape[-1] in (1, 3, 4):
        x = x[..., :3].mean(-1) if x.shape[-1] != 1 else x[..., 0]
    if x.ndim != 3 or x.shape[0] < 1 or min(x.shape[1:]) < 1:
        raise ValueError(f"frames must be uint8 [T, H, W] (or [T, H, W, 1|3]) with T >= 1; "
                         f"got shape {np.asarray(frames).shape}.")
    x = x.astype(np.float32)
    if x.size and x.max() <= 1.0 and np.asarray(frames).dtype.kind == "f":
        x = x * 255.0
    if x.shape[1:] != (size, size):
        from PIL import Image
        x = np.stack([np.asarray(Image.fromarray(f, "F").resize((size, size),
                                                                Image.BILINEAR)) for f in x])
    return np.clip(x, 0, 255)[..., None]


class SequenceModel(Predictor):
    """The recurrent sequence model (``cvlib.load("sequence", "digit_motion")``).

    ``__call__(frames)`` -> :class:`SequencePrediction` for one clip uint8 [T, 64, 64].
    """

    task = "sequence"

    def __init__(self, name: str, model, class_names=None, direction_names=DIRECTION_NAMES):
        super().__init__(name, model, class_names or [str(i) for i in range(10)])
        self.direction_names = list(direction_names)
        self._states = None
        self._fn = None

    @classmethod
    def from_name(cls, name: str) -> "SequenceModel":
        from cvlib import zoo
        entry = zoo.get(name)
        if entry.task != "sequence":
            raise UnsupportedModel(f"{name} is a {entry.task} model; choose one of "
                                   f"{', '.join(zoo.list_models('sequence'))}.")
        return cls(name, zoo.load(name), zoo.class_names(name) or None)

    @classmethod
    def from_model(cls, model, name: str = "digit_motion") -> "SequenceModel":
        """Wrap a ``keras.Model`` built by :func:`cvlib.nets.rnn.build` (tests, training)."""
        return cls(name, model)

    def _compiled(self):
        # One trace per input shape (B, T): a tf.function traced with an open time axis
        # (T = None) makes Keras's TimeDistributed return one step only (Keras 3.15), so
        # no input_signature here. A page uses a handful of shapes (1x20, Tx1, 64x20).
        if self._fn is None:
            import tensorflow as tf

            from cvlib.nets.rnn import with_states
            self._states = states = with_states(self.model)
            self._fn = tf.function(lambda x: states(x, training=False))
        return self._fn

    def preprocess(self, inputs, **kwargs) -> np.ndarray:
        return as_clip(inputs)[None]

    def _forward(self, batch):
        h, d, g = self._compiled()(np.asarray(batch, np.float32))
        return h.numpy(), d.numpy(), g.numpy()

    def postprocess(self, outputs, prepared, **kwargs) -> SequencePrediction:
        h, d, g = (o[0] for o in outputs)
        return SequencePrediction(
            direction=int(d[-1].argmax()), digit=int(g[-1].argmax()),
            direction_probs=d[-1].astype(np.float32), digit_probs=g[-1].astype(np.float32),
            hidden_states=h.astype(np.float32), direction_per_frame=d.astype(np.float32),
            digit_per_frame=g.astype(np.float32))

    def single_frames(self, frames) -> tuple[np.ndarray, np.ndarray]:
        """Each frame shown *alone* (a 1-frame clip): direction float32 [T, 8] and digit
        float32 [T, 10] probabilities. One frame holds no motion, so the direction answer
        stays a guess: the page compares it with the answer after each frame of the clip."""
        x = as_clip(frames)[:, None]            # [T, 1, 64, 64, 1]: T clips of one frame
        _, d, g = self._forward(x)
        return d[:, 0], g[:, 0]

    def predict_batch(self, clips, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Last-frame answers for many clips uint8 [N, T, 64, 64]: (direction int [N],
        digit int [N])."""
        dirs, digs = [], []
        for i in range(0, len(clips), batch_size):
            x = np.asarray(clips[i:i + batch_size], np.float32)[..., None]
            _, d, g = self._forward(x)
            dirs.append(d[:, -1].argmax(-1))
            digs.append(g[:, -1].argmax(-1))
        return np.concatenate(dirs), np.concatenate(digs)


def _sequence_model(model) -> SequenceModel:
    if isinstance(model, SequenceModel):
        return model
    return _cached_sequence_model(str(model))


_SEQ_CACHE: dict[str, SequenceModel] = {}


def _cached_sequence_model(name: str) -> SequenceModel:
    if name not in _SEQ_CACHE:
        _SEQ_CACHE[name] = SequenceModel.from_name(name)
    return _SEQ_CACHE[name]


def predict_sequence(frames, model="digit_motion") -> SequencePrediction:
    """The sequence model's verdict on one clip.

    Args:
        frames: uint8 [T, 64, 64] (white digit on black, as MNIST), T >= 1; [T, H, W(, 3)]
            is converted (grey, resized).
        model: a registry name (``cvlib.zoo.list_models("sequence")``) or a SequenceModel.

    Returns:
        :class:`SequencePrediction`: ``direction`` int 0-7 (0 = +x, counter-clockwise in
        45° steps, rows grow down), ``digit`` int 0-9, ``direction_probs`` float32 [8],
        ``digit_probs`` float32 [10], ``hidden_states`` float32 [T, units] (GRU state after
        each frame), ``direction_per_frame`` / ``digit_per_frame`` float32 [T, 8] / [T, 10].

    Raises:
        ValueError: frames of the wrong shape.
        cvlib.zoo.UnknownModel / ModelUnavailable / ModelIntegrityError, UnsupportedModel.

    Example:
        >>> from cvlib.data import moving_digits
        >>> md = moving_digits(1, seed=3, split="test")
        >>> p = predict_sequence(md.clips[0])
        >>> (p.direction, p.digit) == (md.direction[0], md.digit[0])
        True
    """
    return _sequence_model(model)(frames)


# --- per-frame analysis -------------------------------------------------------------------

def model_task(model) -> str:
    """"classify", "detect" or "segment" for a registry name or predictor."""
    if isinstance(model, str):
        from cvlib import zoo
        return zoo.get(model).task
    task = getattr(model, "task", "")
    if task:
        return task
    return "classify" if hasattr(model, "class_names") and hasattr(model, "probs") else ""


def _frames_of(data, every: int, max_frames: int, max_seconds):
    """(indices, times, frames uint8 [N, H, W, 3]) from bytes, a VideoClip or an array."""
    from cvlib.videoio import VideoClip, decode_video
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = decode_video(bytes(data), max_frames=max_frames, every=every,
                            max_seconds=max_seconds)
    if isinstance(data, VideoClip):
        return list(data.indices), list(data.times), data.frames
    frames = np.asarray(data)
    if frames.ndim not in (3, 4):
        raise ValueError(f"data must be video bytes, a VideoClip or frames [N, H, W(, 3)]; "
                         f"got shape {frames.shape}.")
    frames = frames[::every][:max_frames]
    idx = list(range(0, len(frames) * every, every))
    return idx, [float(i) for i in idx], frames


def analyze(data, model="mnist_cnn", every: int = 1, max_frames: int = 1000,
            max_seconds: float | None = None, top_k: int = 3, batch_size: int = 32,
            score_threshold: float = 0.5, fps: float | None = None,
            progress: Callable[[int, int], None] | None = None,
            stop: threading.Event | None = None) -> list[FrameRecord]:
    """Run a registry model on every (k-th) frame of a clip.

    Args:
        data: video file bytes (decoded by :func:`cvlib.videoio.decode_video`), a
            ``VideoClip``, or frames uint8 [N, H, W(, 3)] (then time = index / ``fps``).
        model: a name from ``cvlib.zoo.list_models(task)`` for task classify, detect or
            segment, or a classifier / detector / segmenter predictor.
        every: analyse every k-th frame; max_frames / max_seconds: limits of decoding.
        top_k: classes kept per frame (classify).
        batch_size: frames per model call (classify).
        score_threshold: minimum detection score (detect).
        fps: frame rate for ``times`` when ``data`` is an array (default: index = time).
        progress: ``progress(done, total)`` after each batch; stop: set it to stop early
            (the records so far are returned).

    Returns:
        list of :class:`FrameRecord` (``index`` = frame number in the clip, ``time`` in
        seconds, ``result`` = plain data): classify ``{"top": [(label, score), ...],
        "top_index": [class index, ...], "probs": float32 [K]}``; detect
        ``{"detections": [Detection, ...], "count": n}``;
        segment ``{"areas": {class name: fraction of the frame}}``.

    Raises:
        cvlib.videoio.VideoDecodeError: unreadable video bytes.
        UnsupportedModel: a model whose task is not classify, detect or segment.
        cvlib.zoo.UnknownModel / ModelUnavailable.
    """
    check_range("every", every, 1, 10_000, integer=True)
    idx, times, frames = _frames_of(data, every, max_frames, max_seconds)
    if fps and not isinstance(data, (bytes, bytearray, memoryview)) and \
            type(data).__name__ != "VideoClip":
        times = [i / fps for i in idx]
    task = model_task(model)
    run = {"classify": _classify_frames, "detect": _detect_frames,
           "segment": _segment_frames}.get(task)
    if run is None:
        raise UnsupportedModel(f"{model} is a {task or 'unknown'} model; a timeline needs a "
                               f"classify, detect or segment model.")
    records: list[FrameRecord] = []
    for start, results in run(frames, model, batch_size=batch_size, top_k=top_k,
                              score_threshold=score_threshold):
        for j, r in enumerate(results):
            records.append(FrameRecord(int(idx[start + j]), float(times[start + j]), r))
        if progress is not None:
            progress(len(records), len(frames))
        if stop is not None and stop.is_set():
            break
    return records


def _classify_frames(frames, model, batch_size, top_k, **_):
    from cvlib.recognize import Classifier, get_classifier
    clf = model if isinstance(model, Classifier) else get_classifier(model)
    shape = tuple(clf.input_shape)
    # Frames that already have the model's input size (28x28 grey for the MNIST models,
    # 32x32 RGB for cifar_cnn) are its native input and go in as they are; any other frame
    # is resized / centred by the classifier's own preprocessing (as on the Recognize page).
    native = tuple(np.shape(frames)[1:3]) == shape[:2] and (
        (np.ndim(frames) == 3 and shape[2] == 1) or
        (np.ndim(frames) == 4 and np.shape(frames)[3] == shape[2]))
    for start in range(0, len(frames), batch_size):
        chunk = frames[start:start + batch_size]
        if native:
            x = np.asarray(chunk, np.float32).reshape(len(chunk), *shape)
        else:
            x = np.stack([clf.preprocess(f).x for f in chunk])
        probs = clf.probs(x)
        tops = [clf.top_k(row, top_k) for row in probs]
        yield start, [{"top": [(p.label, p.score) for p in top],
                       "top_index": [p.index for p in top],
                       "probs": row.astype(np.float32)} for top, row in zip(tops, probs)]


def _detect_frames(frames, model, score_threshold, **_):
    # Any detect predictor of the registry (digit detector, MTCNN faces ...): each is
    # called as predictor(image, score_threshold=...) -> list of Detection.
    if isinstance(model, str):
        model = _predictor("detect", model)
    for i, frame in enumerate(frames):
        dets = model(np.ascontiguousarray(frame), score_threshold=score_threshold)
        yield i, [{"detections": list(dets), "count": len(dets)}]


def _segment_frames(frames, model, **_):
    if isinstance(model, str):
        model = _predictor("segment", model)
    for i, frame in enumerate(frames):
        seg = model(np.ascontiguousarray(frame))
        counts = np.bincount(seg.mask.ravel(), minlength=len(seg.class_names))
        areas = {name: float(c) / seg.mask.size
                 for name, c in zip(seg.class_names, counts) if c}
        yield i, [{"areas": areas}]


_PREDICTORS: dict[tuple[str, str], Predictor] = {}


def _predictor(task: str, name: str):
    """``cvlib.load(task, name)``, kept per process (a clip calls it once per frame)."""
    if (task, name) not in _PREDICTORS:
        import cvlib
        _PREDICTORS[(task, name)] = cvlib.load(task, name)
    return _PREDICTORS[(task, name)]


def class_names_of(model) -> list[str]:
    """Class names of a registry model: from the manifest for shipped models, else from
    its detect/segment predictor (e.g. ["face"] for faces_mtcnn); [] when unknown."""
    from cvlib import zoo
    try:
        names = zoo.class_names(model)
        if not names and zoo.get(model).task in ("detect", "segment"):
            names = list(_predictor(zoo.get(model).task, model).class_names)
        return names
    except Exception:  # noqa: BLE001 - keras-cache classifiers: the predictor has them
        return []


def overlay_frame(frame: np.ndarray, record: FrameRecord, model=None,
                  class_names=None) -> np.ndarray:
    """One frame with its record drawn on it: uint8 RGB [H, W, 3].

    classify: the top label and score in a corner; detect: the boxes; segment: the
    model is run again on this one frame and its mask blended in.
    """
    from PIL import Image, ImageDraw
    img = Image.fromarray(_rgb(frame))
    r = record.result
    draw = ImageDraw.Draw(img)
    if "top" in r and r["top"]:
        label, score = r["top"][0]
        text = f"{label} {score:.0%}  t={record.time:.2f}s"
        draw.rectangle((0, 0, 8 + 7 * len(text), 16), fill=(0, 0, 0))
        draw.text((4, 2), text, fill=(255, 221, 0))
    if "detections" in r:
        for d in r["detections"]:
            name = class_names[d.label] if class_names and d.label < len(class_names) \
                else str(d.label)
            draw.rectangle(d.box, outline=(255, 64, 64), width=2)
            draw.text((d.box[0] + 2, max(0, d.box[1] - 12)), f"{name} {d.score:.2f}",
                      fill=(255, 64, 64))
    if "areas" in r and model is not None:
        seg = (model if not isinstance(model, str) else _predictor("segment", model))(
            _rgb(frame))
        colours = _class_colours(len(seg.class_names))
        blend = colours[seg.mask]
        a = np.asarray(img).astype(np.float32)
        on = seg.mask > 0
        a[on] = 0.5 * a[on] + 0.5 * blend[on]
        img = Image.fromarray(a.astype(np.uint8))
    return np.asarray(img)


def _class_colours(k: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    c = rng.integers(64, 256, (max(k, 1), 3)).astype(np.uint8)
    c[0] = 0
    return c


def _rgb(frame) -> np.ndarray:
    f = np.asarray(frame)
    if f.ndim == 2:
        f = np.stack([f] * 3, -1)
    return np.ascontiguousarray(f[..., :3]).astype(np.uint8)


def annotate(frames, records: list[FrameRecord], class_names=None, tracks=None,
             model=None) -> np.ndarray:
    """Frames uint8 [N, H, W, 3] with each record (and track paths) drawn: for the
    annotated-video export (:func:`cvlib.videoio.encode_video`)."""
    out = []
    for frame, rec in zip(frames, records):
        img = overlay_frame(frame, rec, model=model, class_names=class_names)
        if tracks:
            img = draw_tracks(img, tracks, rec.index)
        out.append(img)
    return np.stack(out)


def records_table(records: list[FrameRecord], class_names=None) -> list[dict]:
    """Flat rows, one per frame (for the CSV and the timeline): frame, time_s, then
    top1/score1... (classify), count (detect) or area_<class> (segment)."""
    rows = []
    for rec in records:
        row = {"frame": rec.index, "time_s": round(rec.time, 4)}
        r = rec.result
        for k, (label, score) in enumerate(r.get("top", []), 1):
            row[f"top{k}"] = label
            row[f"score{k}"] = round(float(score), 4)
        if "detections" in r:
            row["count"] = r["count"]
            row["boxes"] = ";".join(
                f"{_name(class_names, d.label)}@{d.box[0]:.0f},{d.box[1]:.0f},"
                f"{d.box[2]:.0f},{d.box[3]:.0f}:{d.score:.2f}" for d in r["detections"])
        for name, a in r.get("areas", {}).items():
            row[f"area_{name}"] = round(a, 5)
        rows.append(row)
    return rows


def _name(class_names, label: int) -> str:
    return class_names[label] if class_names and label < len(class_names) else str(label)


def to_csv(records: list[FrameRecord], class_names=None) -> str:
    """The per-frame CSV (UTF-8 text, header row first)."""
    rows = records_table(records, class_names)
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys or ["frame", "time_s"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


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


def track(detections: Iterable, iou_threshold: float = 0.3, max_missed: int = 5,
          match_labels: bool = False, frame_indices: Iterable[int] | None = None
          ) -> list[Track]:
    """Follow detections across frames with a greedy IoU tracker.

    Each frame's detections are matched to the live tracks in order of decreasing IoU with
    each track's last box (a pair needs IoU >= ``iou_threshold``); unmatched detections
    start new tracks; a track not matched for more than ``max_missed`` frames ends.

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
        pairs = sorted(((iou(t.boxes[-1], d.box), ti, di) for ti, t in enumerate(live)
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
    """Frame uint8 RGB with each track's path (up to frame ``upto``) and id drawn."""
    from PIL import Image, ImageDraw
    img = Image.fromarray(_rgb(frame))
    draw = ImageDraw.Draw(img)
    colours = _class_colours(len(tracks) + 2)
    for t in tracks:
        keep = [i for i, f in enumerate(t.frames) if upto is None or f <= upto]
        if not keep:
            continue
        c = tuple(int(v) for v in colours[t.id % len(colours) or 1])
        pts = [tuple(map(float, p)) for p in t.path()[keep]]
        if len(pts) > 1:
            draw.line(pts, fill=c, width=2)
        if upto is None or t.frames[keep[-1]] == upto:
            draw.rectangle(t.boxes[keep[-1]], outline=c, width=2)
            draw.text((t.boxes[keep[-1]][0] + 2, t.boxes[keep[-1]][1] + 1), f"#{t.id}", fill=c)
    return np.asarray(img)


# --- samples ------------------------------------------------------------------------------

def sample_clip(kind: str = "moving_digit", seed: int = 0, scale: int | None = None
                ) -> tuple[bytes, dict]:
    """A clip the project makes itself, as MP4 bytes, with what is true about it.

    Args:
        kind: "moving_digit" (one 20-frame moving-digits clip, the sequence model's data)
            or "digit_scene" (three digits moving in a 128x128 scene for 40 frames).
        seed: which clip. scale: integer upscaling of the frames (nearest) for viewing;
            default 2 for the 64x64 moving digit, 1 for the 128x128 scene (the size the
            digit detector was trained on).

    Returns:
        ``(mp4 bytes, truth)``; truth has ``frames`` uint8 [T, H, W] (unscaled),
        ``direction``, ``digit`` (lists) and ``boxes`` float32 [n, T, 4] (unscaled).
    """
    from cvlib.moving_digits import generate, scene
    from cvlib.videoio import encode_video
    if kind == "moving_digit":
        md = generate(1, seed=seed, split="test")
    elif kind == "digit_scene":
        md = scene(3, frames=40, seed=seed)
    else:
        raise ValueError(f"kind must be 'moving_digit' or 'digit_scene'; got {kind!r}.")
    frames = md.clips[0]
    scale = scale or (2 if kind == "moving_digit" else 1)
    big = frames.repeat(scale, 1).repeat(scale, 2) if scale > 1 else frames
    data = encode_video(big, fps=10.0, crf=12)
    return data, {"frames": frames, "direction": md.direction.tolist(),
                  "digit": md.digit.tolist(), "boxes": md.boxes, "scale": scale}


# --- the background job -------------------------------------------------------------------

@dataclass
class AnalysisSnapshot:
    """Progress of an :class:`AnalysisJob` (plain data, copied under a lock)."""

    status: str = "pending"
    done: int = 0
    total: int = 0
    fps: float = 0.0
    eta: float | None = None
    seconds: float = 0.0
    error: str = ""
    reason: str = ""
    stage: str = "decode"

    def copy(self) -> "AnalysisSnapshot":
        return AnalysisSnapshot(**self.__dict__)

    @property
    def finished(self) -> bool:
        return self.status in ("finished", "stopped", "failed")


@dataclass(frozen=True)
class AnalysisConfig:
    """What an :class:`AnalysisJob` does: decode ``data`` (file bytes, or a ``VideoClip``
    already decoded) and analyse it with ``model``."""

    data: object = field(repr=False)
    model: str = "mnist_cnn"
    every: int = 1
    max_frames: int = 600
    max_seconds: float | None = None
    score_threshold: float = 0.5


@dataclass
class AnalysisResult:
    clip: object            # cvlib.videoio.VideoClip
    records: list
    model: str
    task: str
    seconds: float
    stopped: bool


class _Progress:
    """The job's progress recorder (stands where a Keras callback stands for training)."""

    model = None

    def __init__(self):
        self.lock = threading.Lock()
        self.snap = AnalysisSnapshot(status="running")
        self.halted = threading.Event()
        self.t0 = time.perf_counter()

    def update(self, done: int, total: int, stage: str):
        with self.lock:
            s = self.snap
            s.done, s.total, s.stage = done, total, stage
            s.seconds = time.perf_counter() - self.t0
            s.fps = done / s.seconds if s.seconds > 0 else 0.0
            s.eta = (total - done) / s.fps if s.fps > 0 and total else None

    def snapshot(self) -> AnalysisSnapshot:
        with self.lock:
            return self.snap.copy()


class AnalysisJob(BackgroundJob):
    """Decode a clip and analyse every frame in a daemon thread.

    The shared job contract of :class:`cvlib.jobs.BackgroundJob`: ``start()`` (raises
    ``JobBusy`` while another heavy job runs in this process), ``snapshot()`` (an
    :class:`AnalysisSnapshot` with frames done, frames per second and ETA), ``stop()``
    (returns within a second; the frames analysed so far are kept), ``join()``, ``result``
    (an :class:`AnalysisResult`).

    Example:
        data = open("clip.mp4", "rb").read()
        job = AnalysisJob(AnalysisConfig(data)).start()
        job.join(); len(job.result.records)
    """

    thread_name = "cvlab-video"

    def _empty_snapshot(self) -> AnalysisSnapshot:
        return AnalysisSnapshot()

    def _work(self) -> None:
        from cvlib.videoio import decode_video
        cfg = self.config
        self._progress = progress = _Progress()
        clip = cfg.data
        if isinstance(clip, (bytes, bytearray, memoryview)):
            clip = decode_video(bytes(clip), max_frames=cfg.max_frames, every=cfg.every,
                                max_seconds=cfg.max_seconds)
        if self._stop.is_set():
            raise StoppedBeforeStart()
        progress.update(0, len(clip), "analyse")
        records = analyze(clip, cfg.model, score_threshold=cfg.score_threshold,
                          progress=lambda d, n: progress.update(d, n, "analyse"),
                          stop=self._stop, batch_size=16)
        progress.halted.set()
        stopped = self._stop.is_set()
        self._complete(AnalysisResult(clip, records, cfg.model, model_task(cfg.model),
                                      progress.snapshot().seconds, stopped), stopped)
