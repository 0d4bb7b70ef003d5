"""Safe, bounded decoding of uploaded videos, and encoding of annotated ones.

Length (~440 lines, on purpose): every limit and error message of each container and
codec path sits next to the decoder code that enforces it.

Decoding uses PyAV (``av``: FFmpeg's libraries ship inside its wheel, nothing to install
from the system); animated GIF and WebP go through Pillow, which reads both everywhere.
Every way a file can be bad becomes one :class:`VideoDecodeError` whose message a user
understands, and nothing is decoded before the cheap checks pass:

- bytes: at most ``MAX_BYTES`` (the upload limit);
- container: must contain a video stream (an audio-only file or a still image is refused
  with its own message);
- resolution: checked from the stream header *before* decoding (``MAX_PIXELS`` per frame);
- duration: the declared duration must be at most ``MAX_DURATION`` seconds, unless only the
  first ``max_seconds`` are asked for;
- frames: decoding stops after ``max_frames`` kept frames, at ``max_seconds``, and at a
  wall-clock ``deadline`` (a damaged stream can make a decoder crawl), so it never hangs;
- memory: :func:`decode_video` keeps at most ``MAX_CLIP_BYTES`` of frames (fewer frames of
  a 4K clip than of a 480p one; ``truncated`` says so), and GIF/WebP animations stop after
  ``MAX_ANIMATION_PIXELS`` composited pixels. Their frame count and durations are read
  from the file's blocks without decoding a frame, so a GIF that has 10,000 frames costs
  only the frames kept.

Example:
    >>> from cvlib.videoio import decode_video, encode_video
    >>> clip = decode_video(open("car-detection.mp4", "rb").read(), every=5)  # doctest: +SKIP
    >>> clip.frames.shape, clip.times[:2]  # doctest: +SKIP
    ((76, 432, 768, 3), array([0. , 0.4]))
    >>> mp4 = encode_video(clip.frames, fps=clip.fps / 5)  # doctest: +SKIP
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import numpy as np

from cvlib import CVLibError

MAX_BYTES = 20 * 1024 * 1024       # matches server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 3840 * 2160           # 4K UHD per frame
MAX_DURATION = 10 * 60.0           # seconds a whole clip may last
MAX_FRAMES = 1000                  # frames kept by default
DEADLINE = 60.0                    # wall-clock seconds a decode may take
MAX_CLIP_BYTES = 512 * 2**20       # decoded frames kept in memory (4K: 20 frames, 720p: 194)
# GIF/WebP frames are composited on the whole canvas by Pillow (~50 MP/s here): stop after
# this many canvas pixels (a 4K canvas of 10,000 one-pixel frames would take 30 minutes).
MAX_ANIMATION_PIXELS = 300_000_000
EXTENSIONS = ("mp4", "webm", "avi", "mov", "mkv", "gif", "webp", "m4v")


class VideoDecodeError(CVLibError, ValueError):
    """The bytes are not a video CV Lab can read; the message says why and what to try.

    Its ``kind`` and ``params`` (see :class:`cvlib.CVLibError`) let a UI word it in other
    languages: ``video_not_bytes`` (``type``), ``video_empty``, ``video_file_size`` (``mb``,
    ``limit_mb``), ``video_truncated``, ``video_unreadable`` (``detail``: FFmpeg's words),
    ``video_audio_only``, ``video_no_stream``, ``video_still_image`` (``format``),
    ``video_no_frames``, ``video_too_slow`` (``seconds``: the deadline),
    ``video_too_large`` (``width``, ``height``, ``limit_mp``), ``video_too_long``
    (``seconds``, ``limit_s``), ``video_frames_too_large`` (``limit_mp``),
    ``video_damaged`` (``detail``), ``video_memory``.
    """


@dataclass
class VideoClip:
    """Decoded frames of a clip.

    Attributes:
        frames: uint8 [N, H, W, 3] RGB, 0-255.
        times: float64 [N], presentation time of each frame in seconds from the start.
        indices: int64 [N], index of each frame among all decoded frames (0-based), so
            ``every=k`` gives 0, k, 2k ...
        fps: the stream's average frame rate (frames per second; 0 when unknown).
        duration: the declared duration in seconds (0 when unknown).
        format: the container's name (e.g. "mov,mp4,m4a,3gp,3g2,mj2", "gif").
        codec: the video codec's name (e.g. "h264").
        truncated: True when decoding stopped at ``max_frames`` / ``max_seconds``
            before the end of the clip.
    """

    frames: np.ndarray
    times: np.ndarray
    indices: np.ndarray
    fps: float
    duration: float
    format: str = ""
    codec: str = ""
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.frames.shape[2]), int(self.frames.shape[1])


@dataclass
class VideoInfo:
    """What the header says, before any decoding (see :func:`probe_video`)."""

    width: int
    height: int
    fps: float
    duration: float
    frames: int
    format: str
    codec: str


def _check_bytes(data, what: str, max_bytes: int) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise VideoDecodeError(f"{what} must be given as bytes; got {type(data).__name__}.",
                               kind="video_not_bytes", type=type(data).__name__)
    data = bytes(data)
    if not data:
        raise VideoDecodeError(f"{what} is empty (0 bytes). Choose the video file again.",
                               kind="video_empty")
    if len(data) > max_bytes:
        raise VideoDecodeError(
            f"{what} is {len(data) / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB. "
            f"Cut or compress the clip (for example to 720p, 30 seconds) and try again.",
            kind="video_file_size", mb=len(data) / 2**20, limit_mb=max_bytes / 2**20)
    return data


def _is_animation(data: bytes) -> bool:
    return data[:6] in (b"GIF87a", b"GIF89a") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def _short(exc: Exception) -> str:
    # FFmpeg errors carry "[Errno N] text: 'where'"; the text alone is what a user can read.
    from cvlib.imageio import error_detail  # no reprs of raw bytes or file objects
    text = (getattr(exc, "strerror", None) or str(exc)).strip() or type(exc).__name__
    return error_detail(text)


def _open(data: bytes, what: str):
    import av
    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except Exception as exc:  # noqa: BLE001 - FFmpeg's InvalidDataError, EOF, ...
        if isinstance(exc, EOFError) or "end of file" in str(exc).lower():
            raise VideoDecodeError(
                f"{what} is cut off or damaged: it ends before its video does (an "
                f"interrupted download or copy?). Save or export it again.",
                kind="video_truncated") from None
        raise VideoDecodeError(
            f"{what} is not a video CV Lab can read ({_short(exc)}). Use an MP4, WebM, AVI, "
            f"MOV or MKV file, or an animated GIF/WebP.", kind="video_unreadable",
            detail=_short(exc)) from None


def _video_stream(container, what: str):
    fmt = container.format.name or ""
    has_audio = bool(container.streams.audio)
    if not container.streams.video:
        container.close()
        if has_audio:
            raise VideoDecodeError(f"{what} contains only sound (an audio file?), no pictures. "
                                   f"Choose a video file.", kind="video_audio_only")
        raise VideoDecodeError(f"{what} contains no video stream. Choose a video file.",
                               kind="video_no_stream")
    if fmt.endswith("_pipe") or fmt in ("image2", "tiff", "bmp"):
        container.close()
        raise VideoDecodeError(f"{what} is a still image ({fmt.removesuffix('_pipe')}), not a "
                               f"video. Open it on the Recognize page, or choose a video file.",
                               kind="video_still_image", format=fmt.removesuffix("_pipe"))
    stream = container.streams.video[0]
    if stream.codec_context is None:          # a codec FFmpeg has no decoder for, or garbage
        container.close()
        detail = "its video codec is unknown or its header is damaged"
        raise VideoDecodeError(f"{what} is not a video CV Lab can read ({detail}). Use an MP4, "
                               f"WebM, AVI, MOV or MKV file, or an animated GIF/WebP.",
                               kind="video_unreadable", detail=detail)
    stream.thread_type = "AUTO"
    return stream


def _stream_info(container, stream) -> VideoInfo:
    cc = stream.codec_context
    fps = float(stream.average_rate or stream.guessed_rate or 0)
    duration = 0.0
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1e6   # microseconds (AV_TIME_BASE)
    return VideoInfo(int(cc.width or 0), int(cc.height or 0), fps, duration,
                     int(stream.frames or 0), container.format.name, cc.name or "")


def probe_video(data: bytes, name: str = "", max_bytes: int = MAX_BYTES) -> VideoInfo:
    """Read a clip's header only: size, frame rate, duration, frame count (no decoding).

    Raises:
        VideoDecodeError: see :func:`decode_video`.
    """
    what = f"{name!r}" if name else "The file"
    data = _check_bytes(data, what, max_bytes)
    if _is_animation(data):
        im = _pil_open(data, what)
        durations = _animation_durations(data)
        n, total = len(durations), sum(durations) / 1000
        return VideoInfo(im.size[0], im.size[1], n / total if total else 0.0, total, n,
                         im.format.lower(), im.format.lower())
    container = _open(data, what)
    try:
        return _stream_info(container, _video_stream(container, what))
    finally:
        container.close()


def iter_video(data: bytes, max_frames: int = MAX_FRAMES, every: int = 1,
               max_seconds: float | None = None, name: str = "",
               max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
               max_duration: float = MAX_DURATION, deadline: float = DEADLINE,
               ) -> Iterator[tuple[int, float, np.ndarray]]:
    """Decode lazily: yields ``(index, time_seconds, frame uint8 [H, W, 3] RGB)``.

    Same arguments and errors as :func:`decode_video`; the checks of the header run
    before the first frame is yielded. Stops silently at ``max_frames``/``max_seconds``.
    """
    from cvlib.validation import check_range
    check_range("max_frames", max_frames, 1, 100_000, integer=True)
    check_range("every", every, 1, 10_000, integer=True)
    if max_seconds is not None:
        check_range("max_seconds", max_seconds, 0, None, low_inclusive=False)
    what = f"{name!r}" if name else "The file"
    data = _check_bytes(data, what, max_bytes)
    if _is_animation(data):
        frames = _iter_animation(data, what, max_pixels)
    else:
        frames = _iter_av(data, what, max_pixels, max_duration, max_seconds)
    return _bounded(frames, what, max_frames, every, max_seconds, deadline)


def _bounded(frames, what, max_frames, every, max_seconds, deadline):
    # The header checks run when the generator below is created, not at the first next().
    first = next(frames, None)
    if first is None:
        raise VideoDecodeError(f"{what} has no frames that could be decoded (an empty or "
                               f"damaged video). Export it again.", kind="video_no_frames")

    def gen():
        t0 = time.monotonic()
        kept = 0
        for i, (t, frame) in enumerate(_chain(first, frames)):
            if max_seconds is not None and t >= max_seconds:
                return
            if i % every == 0:
                yield i, t, frame
                kept += 1
                if kept >= max_frames:
                    return
            if time.monotonic() - t0 > deadline:
                raise VideoDecodeError(
                    f"Decoding {what.lower() if what == 'The file' else what} took more than "
                    f"{deadline:.0f} s (a damaged or unusual video?). Analyse fewer seconds "
                    f"or re-encode it as MP4 (H.264).", kind="video_too_slow",
                    seconds=deadline)
    return gen()


def _chain(first, rest):
    yield first
    yield from rest


def _iter_av(data, what, max_pixels, max_duration, max_seconds):
    import av
    container = _open(data, what)
    try:
        stream = _video_stream(container, what)
        info = _stream_info(container, stream)
        if info.width * info.height > max_pixels:
            raise VideoDecodeError(
                f"{what} is {info.width}×{info.height} pixels per frame; the limit is "
                f"{max_pixels / 1e6:.1f} megapixels (4K). Scale it down (for example to "
                f"1280×720) and try again.", kind="video_too_large", width=info.width,
                height=info.height, limit_mp=max_pixels / 1e6)
        if info.duration > max_duration and (max_seconds is None or max_seconds > max_duration):
            raise VideoDecodeError(
                f"{what} lasts {info.duration:.0f} s; the limit is {max_duration:.0f} s. "
                f"Analyse only the first seconds, or cut the clip.", kind="video_too_long",
                seconds=info.duration, limit_s=max_duration)
    except BaseException:
        container.close()
        raise

    def gen():
        start = None
        try:
            for n, frame in enumerate(container.decode(stream)):
                if frame.width * frame.height > max_pixels:   # a stream can change size
                    raise VideoDecodeError(f"{what} has frames larger than the limit of "
                                           f"{max_pixels / 1e6:.1f} megapixels.",
                                           kind="video_frames_too_large",
                                           limit_mp=max_pixels / 1e6)
                t = frame.time
                if t is None:
                    t = n / info.fps if info.fps else float(n)
                start = t if start is None else start
                yield float(t - start), frame.to_ndarray(format="rgb24")
        except VideoDecodeError:
            raise
        except (av.error.FFmpegError, EOFError, ValueError) as exc:
            if start is None:
                raise VideoDecodeError(f"{what} is damaged: no frame could be decoded "
                                       f"({_short(exc)}). Export it again.",
                                       kind="video_damaged", detail=_short(exc)) from None
            return   # a cut-off file: keep the frames decoded so far
        finally:
            container.close()
    return gen()


def _pil_open(data: bytes, what: str):
    from PIL import Image
    try:
        im = Image.open(io.BytesIO(data))
        return im
    except Image.DecompressionBombError:       # a frame placed gigapixels away
        raise VideoDecodeError(f"{what} has frames larger than the limit of "
                               f"{MAX_PIXELS / 1e6:.1f} megapixels.",
                               kind="video_frames_too_large", limit_mp=MAX_PIXELS / 1e6) from None
    except Exception as exc:  # noqa: BLE001
        raise VideoDecodeError(f"{what} is a damaged GIF/WebP ({_short(exc)}).",
                               kind="video_damaged", detail=_short(exc)) from None


def _animation_durations(data: bytes) -> list[float]:
    """Each frame's duration (ms; 100 when unset) of a GIF or WebP, read from the file's
    blocks (GIF graphic control extensions, WebP ANMF chunks) without decoding a frame.
    A cut-off file gives the frames it has; a still WebP gives one."""
    import struct
    out: list[float] = []
    if data[:4] == b"RIFF":                       # WebP: RIFF chunks, ANMF per frame
        at = 12
        while at + 8 <= len(data):
            kind, size = data[at:at + 4], struct.unpack_from("<I", data, at + 4)[0]
            if kind == b"ANMF" and at + 24 <= len(data):
                ms = int.from_bytes(data[at + 20:at + 23], "little")
                out.append(float(ms or 100))
            at += 8 + size + (size & 1)
        return out or [100.0]
    at, delay = 13, 100.0                         # GIF: header, logical screen
    try:
        if data[10] & 0x80:
            at += 3 * 2 ** ((data[10] & 7) + 1)   # global colour table
        while at < len(data) and data[at] != 0x3B:
            if data[at] == 0x21:                  # extension: label, sub-blocks
                if data[at + 1] == 0xF9:
                    delay = float(struct.unpack_from("<H", data, at + 4)[0] * 10 or 100)
                at += 2
            elif data[at] == 0x2C:                # image: descriptor, colour table, data
                flags = data[at + 9]
                at += 10 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0) + 1
                out.append(delay)
                delay = 100.0
            else:
                break                             # garbage: stop at the frames found
            while at < len(data) and data[at]:    # sub-blocks up to the 0 terminator
                at += data[at] + 1
            at += 1
    except (IndexError, struct.error):            # cut off inside a block
        pass
    return out


def _iter_animation(data, what, max_pixels):
    from PIL import ImageSequence
    im = _pil_open(data, what)
    w, h = im.size
    if w * h > max_pixels:
        raise VideoDecodeError(f"{what} is {w}×{h} pixels per frame; the limit is "
                               f"{max_pixels / 1e6:.1f} megapixels.", kind="video_too_large",
                               width=w, height=h, limit_mp=max_pixels / 1e6)

    def gen():
        t, budget = 0.0, MAX_ANIMATION_PIXELS
        try:
            for frame in ImageSequence.Iterator(im):
                # a GIF frame placed outside the canvas grows it (Pillow): a mutated offset
                # of 60,000 would make every later frame gigapixels; stop before loading
                fw, fh = frame.size
                if fw * fh > max_pixels:
                    return                           # decode_video reports: truncated
                rgb = np.asarray(frame.convert("RGB"))   # WebP sets "duration" on load
                dur = float(frame.info.get("duration") or 100) / 1000
                yield t, rgb
                t += dur
                budget -= fw * fh
                if budget < fw * fh:                 # decode_video reports: truncated
                    return
        except Exception as exc:  # noqa: BLE001 - a cut-off animation keeps its frames
            if t == 0.0:
                raise VideoDecodeError(f"{what} is damaged ({_short(exc)}).",
                                       kind="video_damaged", detail=_short(exc)) from None
    return gen()


def decode_video(data: bytes, max_frames: int = MAX_FRAMES, every: int = 1,
                 max_seconds: float | None = None, name: str = "",
                 max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
                 max_duration: float = MAX_DURATION, deadline: float = DEADLINE
                 ) -> VideoClip:
    """Decode an uploaded clip into RGB frames with their timestamps, safely and bounded.

    Args:
        data: the file's bytes (MP4, WebM, AVI, MOV, MKV ... anything FFmpeg demuxes;
            animated GIF/WebP through Pillow). The content decides, not the name.
        max_frames: keep at most this many frames (1-100,000).
        every: keep every k-th decoded frame (1 = all).
        max_seconds: analyse only the first ``max_seconds`` seconds (None = all); also
            lets a clip longer than ``max_duration`` be read in part.
        name: the file name, only to make messages clearer.
        max_bytes, max_pixels, max_duration, deadline: the limits (bytes, pixels per
            frame, declared seconds, wall-clock seconds of decoding).

    Returns:
        A :class:`VideoClip`: frames uint8 [N, H, W, 3], times float64 [N] (seconds from
        the first frame), indices int64 [N]. At most ``MAX_CLIP_BYTES`` of frames are
        kept (512 MB: 20 frames of 4K, 194 of 720p) and a GIF/WebP stops after
        ``MAX_ANIMATION_PIXELS`` composited pixels; ``truncated`` is then True, as it is
        when ``max_frames`` or ``max_seconds`` stopped the decoding.

    Raises:
        VideoDecodeError: empty, non-video, audio-only, corrupt, zero-frame, too long, too
            large or too slow to decode. Nothing else escapes (bad arguments raise
            ``ValueError``/``TypeError`` as usual).
    """
    what = f"{name!r}" if name else "The file"
    data = _check_bytes(data, what, max_bytes)
    if _is_animation(data):
        info = probe_video(data, name, max_bytes)
    else:
        container = _open(data, what)
        try:
            info = _stream_info(container, _video_stream(container, what))
        finally:
            container.close()
    idx, times, frames, more = [], [], None, False
    try:
        it = iter_video(data, max_frames, every, max_seconds, name, max_bytes, max_pixels,
                        max_duration, deadline)
        for i, t, frame in it:
            if frames is None:   # one buffer, filled in place (no list + stack copy)
                cap = max(1, min(max_frames, MAX_CLIP_BYTES // frame.nbytes))
                frames = np.empty((cap, *frame.shape), np.uint8)
            elif frame.shape != frames.shape[1:]:
                frame = _resize(frame, frames.shape[2], frames.shape[1])
            frames[len(idx)] = frame
            idx.append(i)
            times.append(t)
            if len(idx) == len(frames):
                # memory budget reached before max_frames: is there more of the clip?
                more = len(idx) < max_frames and next(it, None) is not None
                break
    except VideoDecodeError:
        raise
    except MemoryError:
        raise VideoDecodeError(f"{what} needs more memory than this server has: analyse "
                               f"fewer seconds or every k-th frame.",
                               kind="video_memory") from None
    # Stopped early: the frame or memory budget was used up, an animation stopped at its
    # pixel budget, or the clip goes on past max_seconds.
    truncated = len(idx) >= max_frames or more or bool(
        max_seconds is not None and info.duration > max_seconds) or bool(
        _is_animation(data) and idx[-1] + every < info.frames)
    # a view, not a copy: the buffer's pages that were never written are not resident
    frames = frames[:len(idx)]
    return VideoClip(frames, np.asarray(times, np.float64),
                     np.asarray(idx, np.int64), info.fps, info.duration, info.format,
                     info.codec, bool(truncated))


def _resize(frame: np.ndarray, w: int, h: int) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.fromarray(frame).resize((w, h), Image.BILINEAR))


def encode_video(frames, fps: float = 10.0, codec: str = "libx264", crf: int = 23) -> bytes:
    """Encode frames as an MP4 (H.264, yuv420p, ``+faststart``) that browsers play.

    Args:
        frames: uint8 [N, H, W, 3] RGB or [N, H, W] grey (or a list of such frames), N >= 1.
            Odd widths/heights are padded by one black pixel (yuv420p needs even sizes).
        fps: frames per second (0.1-240).
        codec: "libx264" (H.264, default) or "mpeg4" / "libvpx-vp9" (then a WebM file).
        crf: H.264 quality (0 best - 51 worst; 23 is x264's default).

    Returns:
        The file's bytes.

    Raises:
        ValueError: no frames, wrong shape/dtype, fps out of range.
    """
    import av

    from cvlib.validation import check_range
    check_range("fps", fps, 0.1, 240)
    arr = np.asarray(frames)
    if arr.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 0-255; got {arr.dtype}.")
    if arr.ndim == 3:
        arr = np.repeat(arr[..., None], 3, -1)
    if arr.ndim != 4 or arr.shape[-1] != 3 or len(arr) == 0:
        raise ValueError(f"frames must be uint8 [N, H, W, 3] (or [N, H, W]) with N >= 1; "
                         f"got shape {arr.shape}.")
    n, h, w = arr.shape[:3]
    if h % 2 or w % 2:
        arr = np.pad(arr, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)))
        h, w = arr.shape[1:3]
    webm = codec == "libvpx-vp9"
    # A temporary file, not BytesIO: "+faststart" (the index before the data, so a browser
    # starts playing at once) rewrites the file in a second pass, which needs a real path.
    import tempfile
    with tempfile.TemporaryDirectory(prefix="cvlab-video-") as tmp:
        path = f"{tmp}/out.{'webm' if webm else 'mp4'}"
        options = {} if webm else {"movflags": "+faststart"}
        with av.open(path, mode="w", options=options) as out:
            stream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height = w, h
            stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                stream.options = {"crf": str(int(crf)), "preset": "veryfast"}
            for frame in arr:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        with open(path, "rb") as f:
            return f.read()
