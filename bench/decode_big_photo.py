"""Decoding big phone photos: time and peak memory of ``cvlib.imageio.decode_image``.

A 12, 48 and 200 megapixel JPEG (a smooth synthetic scene, so the files stay small) is
written once; each is then decoded in a fresh subprocess, which reports the seconds of
``decode_image`` and its peak resident memory (``VmHWM``) minus the memory it had
before the call. For comparison the same file is decoded at full size with plain Pillow
(``Image.open(...).convert("RGB")``) in another fresh subprocess.

Figures (JSON lines): megapixels, decoded_size, seconds, peak_mb (decode_image),
full_seconds, full_peak_mb (plain Pillow at full size).

Run: python bench/decode_big_photo.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

_CHILD = r"""
import io, json, sys, time
sys.path.insert(0, {root!r})
def hwm():   # peak resident memory of this process in MB (VmHWM: reset by exec, unlike
    for line in open("/proc/self/status"):   # ru_maxrss, which keeps the parent's peak)
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
from PIL import Image
import cvlib.imageio as io_
data = open({path!r}, "rb").read()
base = hwm()
t = time.perf_counter()
if {full!r}:
    Image.MAX_IMAGE_PIXELS = None
    img = Image.open(io.BytesIO(data)).convert("RGB")
else:
    img = io_.decode_image(data)
s = time.perf_counter() - t
print(json.dumps({{"size": list(img.size), "seconds": s, "peak_mb": hwm() - base}}))
"""


def make_jpeg(path: str, w: int, h: int) -> None:
    import numpy as np
    from PIL import Image
    Image.MAX_IMAGE_PIXELS = None
    # a smooth gradient scene built from a small picture: small file, real JPEG decoding
    y, x = np.mgrid[0:90, 0:120]
    small = np.stack([x * 2, y * 2, (x + y)], -1).astype(np.uint8)
    Image.fromarray(small).resize((w, h), Image.BILINEAR).save(path, "JPEG", quality=80)


def run(path: str, full: bool) -> dict:
    code = _CHILD.format(root=ROOT, path=path, full=full)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in ((4000, 3000), (8000, 6000), (16384, 12288)):
            path = os.path.join(tmp, f"{w}x{h}.jpg")
            make_jpeg(path, w, h)
            ours, full = run(path, False), run(path, True)
            print(json.dumps({"megapixels": round(w * h / 1e6, 1),
                              "file_mb": round(os.path.getsize(path) / 2**20, 1),
                              "decoded_size": ours["size"],
                              "seconds": round(ours["seconds"], 3),
                              "peak_mb": round(ours["peak_mb"], 1),
                              "full_seconds": round(full["seconds"], 3),
                              "full_peak_mb": round(full["peak_mb"], 1)}), flush=True)


if __name__ == "__main__":
    main()
