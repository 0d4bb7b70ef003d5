"""Pictures of samples: grids, PNG and GIF bytes."""

from __future__ import annotations

import io

import numpy as np

# --- pictures ---------------------------------------------------------------------------

def grid(images: np.ndarray, cols: int = 8, pad: int = 2, scale: int = 1) -> np.ndarray:
    """uint8 [N, H, W] -> one uint8 picture [rows*(H+pad)+pad, cols*(W+pad)+pad]."""
    images = np.asarray(images, np.uint8)
    n, h, w = images.shape[:3]
    cols = max(1, min(int(cols), n))
    rows = -(-n // cols)
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h,
            pad + c * (w + pad): pad + c * (w + pad) + w] = im
    if scale > 1:
        out = np.kron(out, np.ones((scale, scale), np.uint8))
    return out


def to_png(image: np.ndarray) -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def to_gif(frames: np.ndarray, duration_ms: int = 120, scale: int = 4,
           bounce: bool = True) -> bytes:
    """An animated GIF of uint8 frames [N, H, W] (played forward then back when ``bounce``)."""
    from PIL import Image
    frames = [np.kron(f, np.ones((scale, scale), np.uint8)) for f in np.asarray(frames, np.uint8)]
    if bounce and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    ims = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    ims[0].save(buf, format="GIF", save_all=True, append_images=ims[1:],
                duration=int(duration_ms), loop=0)
    return buf.getvalue()
