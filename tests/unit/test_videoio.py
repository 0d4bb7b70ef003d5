"""cvlib.videoio: decoding the shared real clip, round trips, and every bad input."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cvlib.imageio import VideoDecodeError as ReExported
from cvlib.videoio import VideoDecodeError, decode_video, encode_video, iter_video, probe_video

SHARED = Path(os.environ.get("CVLIB_DATA_DIR") or Path(__file__).resolve().parents[3]
              / "shared" / "data")
CAR = SHARED / "video" / "car-detection.mp4"


@pytest.fixture(scope="module")
def car() -> bytes:
    if not CAR.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared clip {CAR}")
        pytest.skip(f"the shared clip {CAR} is not on this machine")
    return CAR.read_bytes()


def tiny_clip(n=6, w=32, h=24, fps=10.0) -> tuple[np.ndarray, bytes]:
    frames = np.zeros((n, h, w, 3), np.uint8)
    for i in range(n):
        frames[i, :, : (i + 1) * w // n] = (255, 128, 0)
    return frames, encode_video(frames, fps=fps)


def test_shared_clip_frames_size_and_timestamps(car):
    clip = decode_video(car)
    assert clip.frames.shape == (377, 432, 768, 3) and clip.frames.dtype == np.uint8
    assert clip.fps == pytest.approx(12.5)
    assert clip.duration == pytest.approx(30.16, abs=0.01)
    np.testing.assert_allclose(clip.times[:3], [0.0, 0.08, 0.16], atol=1e-6)
    assert clip.times[-1] == pytest.approx(30.08)
    assert np.all(np.diff(clip.times) > 0) and not clip.truncated
    assert list(clip.indices[:3]) == [0, 1, 2]


def test_shared_clip_every_and_max_seconds(car):
    clip = decode_video(car, every=5, max_seconds=10)
    assert len(clip) == 25 and list(clip.indices[:3]) == [0, 5, 10]
    np.testing.assert_allclose(clip.times[:2], [0.0, 0.4])
    assert clip.times[-1] < 10 and clip.truncated
    assert len(decode_video(car, max_frames=7)) == 7
    info = probe_video(car)
    assert (info.width, info.height, info.frames) == (768, 432, 377)


def test_encode_decode_round_trip_odd_size():
    frames, data = tiny_clip(n=9, w=33, h=21)
    assert data[4:8] == b"ftyp"                       # an MP4 file
    clip = decode_video(data)
    assert len(clip) == 9 and clip.size == (34, 22)   # padded to even sizes for yuv420p
    assert clip.codec == "h264" and clip.fps == pytest.approx(10.0)
    assert abs(int(clip.frames[-1, 10, 5, 0]) - 255) < 40   # colours survive (lossy)
    grey = encode_video(np.zeros((3, 16, 16), np.uint8), fps=5)
    assert len(decode_video(grey)) == 3


def _container(fmt: str, codec: str, frames: np.ndarray, fps: int = 10) -> bytes:
    """``frames`` written by FFmpeg (PyAV) into a ``fmt`` container with ``codec``: the
    files phones (MOV), screen recorders (MKV) and old cameras (AVI, Motion JPEG) make."""
    import av
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


@pytest.mark.parametrize("fmt,codec,decoded_as", [
    ("mov", "libx264", "h264"), ("matroska", "libx264", "h264"), ("matroska", "libvpx-vp9", "vp9"),
    ("avi", "mpeg4", "mpeg4"), ("avi", "mjpeg", "mjpeg")])
def test_mov_mkv_and_avi_decode_with_their_frames(fmt, codec, decoded_as):
    frames = np.zeros((8, 48, 64, 3), np.uint8)
    for i in range(8):
        frames[i, :, : (i + 1) * 8] = (255, 128, 0)      # a bar that grows frame by frame
    data = _container(fmt, codec, frames)
    clip = decode_video(data, name=f"clip.{fmt}")
    assert len(clip) == 8 and clip.size == (64, 48) and clip.codec == decoded_as
    assert clip.fps == pytest.approx(10.0, rel=0.01)
    np.testing.assert_allclose(clip.times, np.arange(8) / 10, atol=0.011)
    # the bar's right edge moves 8 px a frame: the frames come in order and in colour
    red = (clip.frames[..., 0] > 128).mean(axis=(1, 2))
    np.testing.assert_allclose(red, (np.arange(8) + 1) / 8, atol=0.06)


def test_iter_video_yields_index_time_frame():
    _, data = tiny_clip()
    items = list(iter_video(data, every=2))
    assert [i for i, _, _ in items] == [0, 2, 4]
    assert items[1][1] == pytest.approx(0.2) and items[0][2].shape == (24, 32, 3)


def test_animated_gif_and_webp():
    ims = [Image.fromarray(np.full((20, 30, 3), i * 40, np.uint8)) for i in range(5)]
    for fmt in ("GIF", "WEBP"):
        buf = io.BytesIO()
        ims[0].save(buf, fmt, save_all=True, append_images=ims[1:], duration=50, loop=0)
        clip = decode_video(buf.getvalue())
        assert clip.frames.shape == (5, 20, 30, 3), fmt
        assert clip.times[1] == pytest.approx(0.05), fmt


def _wav() -> bytes:
    import av
    buf = io.BytesIO()
    with av.open(buf, "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16",
                                           layout="mono")
        frame.sample_rate = 8000
        for p in [*stream.encode(frame), *stream.encode()]:
            out.mux(p)
    return buf.getvalue()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    return buf.getvalue()


def _huge() -> bytes:
    # one black 4000x2500 frame (10 megapixels > the 4K limit); tiny as H.264
    return encode_video(np.zeros((1, 2500, 4000, 3), np.uint8), fps=1)


@pytest.mark.parametrize("make, words", [
    (lambda: b"", "empty"),
    (lambda: b"not a video at all " * 50, "not a video"),
    (lambda: tiny_clip()[1][:40], "no video stream"),          # cut inside the header
    (lambda: tiny_clip()[1][:600], "cut off"),                  # header, no frame data
    (_wav, "only sound"),
    (_png, "still image"),
    (_huge, "megapixels"),
    (lambda: bytes(300), "not a video"),                        # zeros
])
def test_bad_inputs_raise_the_project_error_quickly(make, words):
    data = make()
    t0 = time.perf_counter()
    with pytest.raises(VideoDecodeError) as err:
        decode_video(data)
    assert time.perf_counter() - t0 < 10     # a bound against hangs, not a benchmark
    assert words in str(err.value)
    assert "Traceback" not in str(err.value)


def test_limits_bytes_duration_and_types():
    _, data = tiny_clip(n=30)
    with pytest.raises(VideoDecodeError, match="limit is"):
        decode_video(data, max_bytes=100)
    with pytest.raises(VideoDecodeError, match="lasts"):
        decode_video(data, max_duration=1.0)
    assert len(decode_video(data, max_duration=1.0, max_seconds=1.0)) == 10
    with pytest.raises(VideoDecodeError, match="bytes"):
        decode_video("clip.mp4")
    with pytest.raises(ValueError):
        decode_video(data, every=0)
    assert ReExported is VideoDecodeError


def test_encode_video_validates():
    with pytest.raises(ValueError):
        encode_video(np.zeros((0, 8, 8, 3), np.uint8))
    with pytest.raises(ValueError):
        encode_video(np.zeros((2, 8, 8, 3), np.float32))
