"""A fake camera for Chromium: a generated clip of one moving MNIST digit, written as Y4M
for ``--use-file-for-fake-video-capture`` (Chromium plays it in a loop as the camera), and
the launch arguments that use it. For tests/e2e/test_live_camera.py and
bench/live_camera.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIZE = (320, 240)      # the fake camera's frame, width x height


def write_y4m(path: Path, frames: np.ndarray, fps: int = 10) -> Path:
    """Grey frames uint8 [T, H, W] (H, W even) -> a YUV4MPEG2 file, 4:2:0, no colour.

    Y4M is a one-line text header, then per frame the line ``FRAME`` and the raw Y plane
    followed by the U and V planes at half size (128 = no colour).
    """
    t, h, w = frames.shape
    assert h % 2 == 0 and w % 2 == 0, "4:2:0 needs an even width and height"
    chroma = np.full((h // 2) * (w // 2), 128, np.uint8).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for frame in frames:
            f.write(b"FRAME\n")
            f.write(np.ascontiguousarray(frame, np.uint8).tobytes())
            f.write(chroma)
            f.write(chroma)
    return path


def digit_clip(seed: int = 3) -> tuple[np.ndarray, int]:
    """A moving-digits clip (cvlib.moving_digits, MNIST test digits) as a camera would
    film it: frames uint8 [20, 240, 320], the 64x64 white-on-black clip scaled 3x in the
    middle of a dark grey frame; and the digit."""
    from PIL import Image

    from cvlib.moving_digits import generate
    md = generate(1, seed=seed, split="test")
    w, h = SIZE
    out = np.full((len(md.clips[0]), h, w), 30, np.uint8)
    y, x = (h - 192) // 2, (w - 192) // 2
    for i, f in enumerate(md.clips[0]):
        big = np.asarray(Image.fromarray(f).resize((192, 192), Image.BILINEAR))
        out[i, y:y + 192, x:x + 192] = np.maximum(big, 30)
    return out, int(md.digit[0])


def camera_args(y4m: Path) -> list[str]:
    """Chromium's arguments for a fake camera playing ``y4m``. Without
    ``--use-fake-ui-for-media-stream`` (which grants every page the camera), a browser
    context has the camera only when granted the "camera" permission, so a context without
    it shows what a user who refuses the camera sees."""
    return ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
