"""cvlib.video.LiveAnalyzer: the live camera's server side (frames per second over a window
with an injected clock, real frames through shipped models, bad frames -> the project's
errors). The browser side is tested in tests/e2e/test_live_camera.py."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from cvlib import CVLibError, zoo
from cvlib.imageio import ImageDecodeError
from cvlib.video import LiveAnalyzer, LiveFrameError

needs_mnist = pytest.mark.needs(zoo.status("mnist_cnn") == "shipped",
                                reason="mnist_cnn is not shipped")


class Clock:
    """A clock the test moves; each reading also advances it by ``tick`` seconds."""

    def __init__(self, tick: float = 0.0):
        self.now, self.tick = 0.0, tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def camera_jpeg(digit: np.ndarray, size=(320, 240), side: int = 224) -> str:
    """A 28x28 MNIST digit (white on black) as a camera would see a digit written on
    paper: dark ink on a light, slightly uneven page, upscaled into a 320x240 frame, then
    downscaled to ``side`` and JPEG-encoded in base64 as the browser sends it."""
    w, h = size
    page = np.full((h, w), 225, np.float32) + np.linspace(-15, 15, w)[None, :]
    ink = np.asarray(Image.fromarray(digit).resize((160, 160), Image.BILINEAR), np.float32)
    y, x = (h - 160) // 2, (w - 160) // 2
    page[y:y + 160, x:x + 160] -= ink * 0.8
    rgb = np.repeat(np.clip(page, 0, 255).astype(np.uint8)[..., None], 3, -1)
    img = Image.fromarray(rgb)
    k = side / max(w, h)
    img = img.resize((round(w * k), round(h * k)), Image.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.fixture(scope="module")
def mnist_live():
    return LiveAnalyzer("mnist_cnn").load()


@needs_mnist
def test_fps_over_the_last_window_of_analysed_frames(mnist_live):
    clock = Clock()
    live = LiveAnalyzer(mnist_live.predictor, window_s=2.0, clock=clock)
    frame = np.zeros((48, 64, 3), np.uint8)
    fps = []
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):          # 4 frames per second
        clock.now = t
        fps.append(live.analyse(frame, seq=len(fps) + 1).fps)
    assert fps[0] == 0.0 and fps[1:] == pytest.approx([4.0, 4.0, 4.0, 4.0])
    clock.now = 2.5          # 0.0 and 0.25 and 0.5 fall out of (0.5, 2.5]: 0.75, 1.0, 2.5
    assert live.analyse(frame, seq=6).fps == pytest.approx(2 / 1.75)
    clock.now = 10.0         # a pause longer than the window: one frame, no rate yet
    rec = live.analyse(frame, seq=7)
    assert rec.fps == 0.0 and rec.record.index == 7 and rec.record.time == 10.0
    clock.now = 10.5
    assert live.analyse(frame, seq=8).fps == pytest.approx(2.0)
    clock.now = 30.0
    assert live.fps == 0.0   # a camera that stopped reads 0, not its last rate
    live.reset()
    assert live.last is None and live.fps == 0.0


@needs_mnist
def test_model_and_decode_times_come_from_the_clock(mnist_live):
    live = LiveAnalyzer(mnist_live.predictor, clock=Clock(tick=0.005))
    x, y = _digits()
    rec = live.analyse_payload({"seq": 3, "jpeg_b64": camera_jpeg(x[0])})
    # one reading before and one after each step, 5 ms apart
    assert rec.decode_ms == pytest.approx(5.0) and rec.model_ms == pytest.approx(5.0)
    assert rec.seq == 3 and rec.client_ms is None


def _digits():
    from cvlib.data import load_dataset
    x, y, _ = load_dataset("mnist", split="test")
    picks = [int(np.flatnonzero(y == d)[0]) for d in (2, 3, 7)]
    return x[picks], y[picks]


@needs_mnist
def test_a_real_digit_through_the_camera_path_reads_right(mnist_live):
    x, y = _digits()
    for seq, (digit, label) in enumerate(zip(x, y), 1):
        b64 = camera_jpeg(digit)
        rec = mnist_live.analyse_payload({"seq": seq, "t_client_ms": 1.7e12, "w": 224,
                                          "h": 168, "jpeg_b64": "data:image/jpeg;base64,"
                                          + b64 if seq == 2 else b64})
        assert rec.top[0] == str(label), (rec.top, label)
        assert rec.top[1] > 0.5                       # calibrated probabilities
        assert rec.frame.shape == (168, 224, 3) and rec.frame.dtype == np.uint8
        assert rec.client_ms == 1.7e12 and rec.model_ms > 0 and rec.decode_ms > 0
    over = mnist_live.overlay()
    assert over.shape == (168, 224, 3) and not np.array_equal(over, mnist_live.last.frame)


@pytest.mark.needs(zoo.status("faces_mtcnn") == "shipped", reason="faces_mtcnn is missing")
def test_the_face_detector_finds_a_face_in_a_camera_frame():
    from cvlib import classical
    photo = Image.fromarray(classical.sample_photo("astronaut")).resize((224, 224))
    live = LiveAnalyzer("faces_mtcnn")
    rec = live.analyse(np.asarray(photo), seq=1)
    assert rec.count == 1 and rec.top is None
    x0, y0, x1, y1 = rec.record.result["detections"][0].box
    assert 70 < (x0 + x1) / 2 < 150 and 20 < (y0 + y1) / 2 < 110   # the astronaut's face
    assert live.class_names == ["face"]


def test_bad_frames_raise_the_projects_errors():
    live = LiveAnalyzer("mnist_cnn")            # nothing here reaches the model
    garbage = base64.b64encode(b"\xff\xd8\xff\xe0 not really a jpeg").decode()
    with pytest.raises(ImageDecodeError) as info:
        live.analyse_payload({"seq": 1, "jpeg_b64": garbage})
    assert info.value.params["name"] == "camera frame"
    cases = [({"seq": 1, "jpeg_b64": "%%% not base64"}, "not base64"),
             ({"seq": 1}, "no jpeg_b64"), ("a string", "no jpeg_b64"),
             ({"seq": -1, "jpeg_b64": garbage}, "bad seq"),
             ({"seq": True, "jpeg_b64": garbage}, "bad seq"),
             ({"seq": 1, "jpeg_b64": 12}, "not text (int)"),
             ({"seq": 1, "jpeg_b64": "A" * (4 * 2**20 + 4)}, "too large")]
    for payload, detail in cases:
        with pytest.raises(LiveFrameError) as err:
            live.analyse_payload(payload)
        assert isinstance(err.value, CVLibError) and err.value.kind == "live_frame_bad"
        assert err.value.params == {"detail": detail}
    assert live.last is None and live.fps == 0.0      # no bad frame counted
    with pytest.raises(ValueError, match="window_s"):
        LiveAnalyzer("mnist_cnn", window_s=0)
