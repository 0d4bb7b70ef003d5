"""Live camera: frames from a browser camera analysed one at a time, as they arrive.

The browser (ui/live_camera) sends a small JPEG every few hundred milliseconds and waits
for the answer before it sends the next one, so frames never pile up. :class:`LiveAnalyzer`
decodes each JPEG with :func:`cvlib.imageio.decode_image` (bounded, the project's own
errors), runs the same per-frame analysis as the Timeline (:func:`cvlib.video.analyze`:
any classifier, detector or segmenter of the registry) and keeps the frames-per-second of
the frames it actually analysed over a rolling window. No frame is stored: only the last
one is kept, to draw its overlay.

Example:
    >>> import numpy as np
    >>> live = LiveAnalyzer("mnist_cnn")          # doctest: +SKIP
    >>> rec = live.analyse(np.zeros((120, 160, 3), np.uint8), seq=1)   # doctest: +SKIP
    >>> rec.top, rec.model_ms                      # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from cvlib import CVLibError
from cvlib.predictor import FrameRecord
from cvlib.validation import check_range

WINDOW_S = 2.0                 # frames per second over the last 2 s of analysed frames
MAX_PIXELS = 2_000_000         # a camera frame above 2 megapixels is refused (page: ≤ 320 px)
MAX_B64_CHARS = 4 * 2**20      # a frame's base64 text above 4 MiB is refused before decoding


class LiveFrameError(CVLibError, ValueError):
    """A camera frame that is not what the page's camera component sends.

    ``kind`` is ``"live_frame_bad"``, with ``detail`` (what was wrong) in ``params``. A
    frame whose bytes are not a readable JPEG raises
    :class:`cvlib.imageio.ImageDecodeError` instead.
    """


@dataclass
class LiveRecord:
    """One analysed camera frame.

    Attributes:
        seq: the browser's frame number (0 when not given).
        record: :class:`cvlib.predictor.FrameRecord`: ``index`` = ``seq``, ``time`` =
            seconds since the analyser's first frame, ``result`` = the same plain data as
            :func:`cvlib.video.analyze` (classify ``{"top", "top_index", "probs"}``, detect
            ``{"detections", "count"}``, segment ``{"areas"}``).
        frame: the decoded frame, uint8 RGB [H, W, 3] (kept only as the analyser's last).
        decode_ms: milliseconds to decode the JPEG (0 for a frame given as an array).
        model_ms: milliseconds of the model's per-frame analysis (preprocess + forward +
            postprocess).
        fps: frames analysed per second over the analyser's window, this one included
            (0.0 until two frames fall in the window).
        client_ms: the browser's clock when it took the frame (``t_client_ms``), or None.
    """

    seq: int
    record: FrameRecord
    frame: np.ndarray
    decode_ms: float
    model_ms: float
    fps: float
    client_ms: float | None = None

    @property
    def top(self) -> tuple[str, float] | None:
        """(label, probability) of the most probable class (classify), else None."""
        top = self.record.result.get("top")
        return (str(top[0][0]), float(top[0][1])) if top else None

    @property
    def count(self) -> int | None:
        """The number of detections (detect), else None."""
        return self.record.result.get("count")


class LiveAnalyzer:
    """Analyses camera frames one at a time and keeps the rate at which it does so.

    Args:
        model: a registry name of task classify, detect or segment (as on the Timeline),
            or such a predictor.
        window_s: seconds of analysed frames the frames-per-second is measured over.
        score_threshold: minimum detection score (detect).
        top_k: classes kept per frame (classify).
        clock: a function returning seconds (monotonic); injected by tests.

    Raises:
        TypeError / ValueError: ``window_s`` not a number in (0, 60].
        cvlib.video.UnsupportedModel, cvlib.zoo.UnknownModel / ModelUnavailable: from
            :meth:`load` or the first :meth:`analyse`.
    """

    def __init__(self, model="faces_mtcnn", window_s: float = WINDOW_S,
                 score_threshold: float = 0.5, top_k: int = 3,
                 clock: Callable[[], float] = time.perf_counter):
        check_range("window_s", window_s, 0, 60, low_inclusive=False)
        self.model = model
        self.window_s = float(window_s)
        self.score_threshold = score_threshold
        self.top_k = top_k
        self.clock = clock
        self.last: LiveRecord | None = None
        self._times: deque[float] = deque()
        self._start: float | None = None
        self._predictor = None
        self.loaded = False       # True once load() has run

    # --- model ------------------------------------------------------------------------

    @property
    def predictor(self):
        """The model as a predictor (loaded once; a registry name goes through the same
        per-process caches as the Timeline)."""
        if self._predictor is None:
            from cvlib.video.analysis import _predictor, model_task
            if not isinstance(self.model, str):
                self._predictor = self.model
            elif model_task(self.model) == "classify":
                from cvlib.recognize import get_classifier
                self._predictor = get_classifier(self.model)
            elif model_task(self.model) in ("detect", "segment"):
                self._predictor = _predictor(model_task(self.model), self.model)
            else:
                self._predictor = self.model    # analyze() raises UnsupportedModel
        return self._predictor

    def load(self) -> LiveAnalyzer:
        """Load the model and run it once on a grey frame (weights, compiled functions), so
        that the first camera frame's latency is the model's, not its loading; returns self.
        Does not count as an analysed frame."""
        from cvlib.video.analysis import analyze
        analyze(np.full((1, 96, 128, 3), 128, np.uint8), self.predictor, top_k=self.top_k,
                score_threshold=self.score_threshold)
        self.loaded = True
        return self

    @property
    def class_names(self) -> list[str]:
        """The model's class names ([] when unknown), for labels of boxes and masks."""
        from cvlib.video.analysis import class_names_of
        if isinstance(self.model, str):
            return class_names_of(self.model)
        return list(getattr(self.model, "class_names", None) or [])

    # --- frames -----------------------------------------------------------------------

    @staticmethod
    def decode(jpeg_b64: str) -> np.ndarray:
        """A frame sent by the browser -> uint8 RGB [H, W, 3].

        Args:
            jpeg_b64: the JPEG as base64 text, optionally as a data URL
                (``"data:image/jpeg;base64,..."``), at most ``MAX_B64_CHARS`` characters.

        Raises:
            LiveFrameError: not text, too long, or not base64.
            cvlib.imageio.ImageDecodeError: base64 of bytes that are not a readable image,
                or of a picture above ``MAX_PIXELS``.
        """
        from cvlib.imageio import decode_image
        if not isinstance(jpeg_b64, str):
            raise LiveFrameError(f"A camera frame must be base64 text; got "
                                 f"{type(jpeg_b64).__name__}.", kind="live_frame_bad",
                                 detail=f"not text ({type(jpeg_b64).__name__})")
        if jpeg_b64.startswith("data:"):
            jpeg_b64 = jpeg_b64.partition(",")[2]
        if len(jpeg_b64) > MAX_B64_CHARS:
            raise LiveFrameError(f"A camera frame of {len(jpeg_b64) / 2**20:.1f} MiB is too "
                                 f"large; the limit is {MAX_B64_CHARS // 2**20} MiB.",
                                 kind="live_frame_bad", detail="too large")
        try:
            data = base64.b64decode(jpeg_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise LiveFrameError(f"A camera frame is not valid base64 ({exc}).",
                                 kind="live_frame_bad", detail="not base64") from None
        return np.asarray(decode_image(data, max_pixels=MAX_PIXELS, name="camera frame"))

    def analyse_payload(self, payload: dict) -> LiveRecord:
        """Decode and analyse what the page's camera component sends:
        ``{"seq": int, "t_client_ms": float, "w": int, "h": int, "jpeg_b64": str}``.

        Raises:
            LiveFrameError: not such a mapping, or a bad ``seq`` / ``jpeg_b64``.
            cvlib.imageio.ImageDecodeError: a ``jpeg_b64`` that is not a readable image.
        """
        if not isinstance(payload, dict) or "jpeg_b64" not in payload:
            raise LiveFrameError("A camera frame must be a mapping with 'jpeg_b64'; got "
                                 f"{type(payload).__name__}.", kind="live_frame_bad",
                                 detail="no jpeg_b64")
        seq = payload.get("seq", 0)
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise LiveFrameError(f"A camera frame's seq must be a whole number ≥ 0; got "
                                 f"{seq!r}.", kind="live_frame_bad", detail="bad seq")
        t0 = self.clock()
        frame = self.decode(payload["jpeg_b64"])
        decode_ms = (self.clock() - t0) * 1e3
        client = payload.get("t_client_ms")
        return self.analyse(frame, seq=seq, decode_ms=decode_ms,
                            client_ms=float(client) if isinstance(client, (int, float))
                            and not isinstance(client, bool) else None)

    def analyse(self, frame: np.ndarray, seq: int = 0, decode_ms: float = 0.0,
                client_ms: float | None = None) -> LiveRecord:
        """Analyse one frame, uint8 RGB [H, W, 3] (or grey [H, W]), with the analyser's model.

        Returns:
            :class:`LiveRecord`, also kept as ``self.last``.

        Raises:
            TypeError / ValueError: not an image array.
            cvlib.video.UnsupportedModel, cvlib.zoo.UnknownModel / ModelUnavailable.
        """
        from cvlib.validation import number_array
        from cvlib.video.analysis import analyze
        a = number_array(frame, "frame")
        if a.ndim not in (2, 3) or min(a.shape[:2]) < 1:
            raise ValueError(f"frame must be an image [H, W(, 3)]; got shape {a.shape}.")
        a = np.ascontiguousarray(a, np.uint8)
        t0 = self.clock()
        rec = analyze(a[None], self.predictor, top_k=self.top_k,
                      score_threshold=self.score_threshold)[0]
        now = self.clock()
        if self._start is None:
            self._start = t0
        self._times.append(now)
        out = LiveRecord(int(seq), FrameRecord(int(seq), now - self._start, rec.result), a,
                         float(decode_ms), (now - t0) * 1e3, self._fps(now), client_ms)
        self.last = out
        return out

    def _fps(self, now: float) -> float:
        """Analysed frames per second in (now - window_s, now]: (n - 1) intervals over the
        time from the window's first frame to its last."""
        while self._times and self._times[0] <= now - self.window_s:
            self._times.popleft()
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])

    @property
    def fps(self) -> float:
        """Frames analysed per second over the window ending now (0.0 once the camera has
        been still for ``window_s``)."""
        return self._fps(self.clock())

    def overlay(self, record: LiveRecord | None = None) -> np.ndarray | None:
        """The last (or given) frame with its result drawn by
        :func:`cvlib.video.overlay_frame`: uint8 RGB [H, W, 3]; None before any frame."""
        from cvlib.video.analysis import overlay_frame
        record = record or self.last
        if record is None:
            return None
        return overlay_frame(record.frame, record.record, self.predictor, self.class_names)

    def reset(self) -> None:
        """Forget the window, the start time and the last frame (the model stays loaded)."""
        self._times.clear()
        self._start = None
        self.last = None
