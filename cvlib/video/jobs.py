"""Sample clips made here, and the AnalysisJob that analyses a whole clip in the background
with progress and Stop."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from cvlib.jobs import DONE_STATUSES, BackgroundJob, StoppedBeforeStart
from cvlib.video import analysis  # analysis.analyze, looked up at call time (tests patch it)
from cvlib.video.analysis import model_task

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
    """Progress of an :class:`AnalysisJob` (plain data, copied under a lock); ``position``
    and ``starts_in`` as in :class:`cvlib.jobs.JobSnapshot` while the job is queued."""

    status: str = "pending"
    done: int = 0
    total: int = 0
    fps: float = 0.0
    eta: float | None = None
    seconds: float = 0.0
    error: str = ""
    reason: str = ""
    stage: str = "decode"
    position: int = 0
    starts_in: float | None = None

    def copy(self) -> "AnalysisSnapshot":
        return AnalysisSnapshot(**self.__dict__)

    @property
    def finished(self) -> bool:
        return self.status in DONE_STATUSES


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

    The shared job contract of :class:`cvlib.jobs.BackgroundJob`: ``start()`` (runs now,
    or waits its turn in the process's :class:`cvlib.jobs.JobQueue`), ``snapshot()`` (an
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
        records = analysis.analyze(clip, cfg.model, score_threshold=cfg.score_threshold,
                          progress=lambda d, n: progress.update(d, n, "analyse"),
                          stop=self._stop, batch_size=16)
        progress.halted.set()
        stopped = self._stop.is_set()
        self._complete(AnalysisResult(clip, records, cfg.model, model_task(cfg.model),
                                      progress.snapshot().seconds, stopped), stopped)
