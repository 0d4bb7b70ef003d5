"""Per-frame analysis of a clip with any registry model (classify, detect, segment),
overlays drawn on frames, and the per-frame table / CSV."""

from __future__ import annotations

import csv
import io
import threading
from typing import Callable

import numpy as np

from cvlib.predictor import FrameRecord, Predictor
from cvlib.validation import check_range
from cvlib.video.sequence import UnsupportedModel

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
                               f"classify, detect or segment model.",
                               kind="timeline_wrong_task", name=str(model),
                               task=task or "unknown")
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
    """A frame -> uint8 RGB [H, W, 3] (:func:`cvlib.imageio.to_rgb_array`)."""
    from cvlib.imageio import to_rgb_array
    return to_rgb_array(frame)


def annotate(frames, records: list[FrameRecord], class_names=None, tracks=None,
             model=None) -> np.ndarray:
    """Frames uint8 [N, H, W, 3] with each record (and track paths) drawn: for the
    annotated-video export (:func:`cvlib.videoio.encode_video`)."""
    out = []
    for frame, rec in zip(frames, records):
        img = overlay_frame(frame, rec, model=model, class_names=class_names)
        if tracks:
            from cvlib.video.tracking import draw_tracks  # tracking draws with our colours
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
