"""Generate the sample images: ``python -m cvlib.samples.make`` (deterministic).

Digits: pen strokes (lines and arcs) with a random width, size, tilt and offset, dark ink
on light paper, 140x140 — like a digit written with a marker on a sticky note, so the
Recognize page must invert, crop and centre it (the MNIST way). Clothes: flat sketches
drawn with polygons, for fashion_cnn.
"""

from __future__ import annotations

import json
import math
import random

from PIL import Image, ImageDraw, ImageFilter

from cvlib.samples import SAMPLES_DIR

SIZE = 140


def _arc(cx, cy, r, a0, a1, rx=None, n=24):
    rx = r if rx is None else rx
    return [(cx + rx * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
            for a in (a0 + (a1 - a0) * i / n for i in range(n + 1))]


# Pen strokes of each digit in a unit box (x right, y down), like quick handwriting.
STROKES = {
    0: [_arc(0.5, 0.5, 0.4, 0, 360, rx=0.27)],
    1: [[(0.56, 0.1), (0.46, 0.9)]],
    2: [_arc(0.5, 0.32, 0.22, 190, 385) + [(0.26, 0.88), (0.8, 0.88)]],
    3: [_arc(0.5, 0.3, 0.19, 200, 450) + _arc(0.5, 0.7, 0.21, 270, 520)],
    4: [[(0.64, 0.92), (0.64, 0.1), (0.2, 0.64), (0.84, 0.64)]],
    5: [[(0.76, 0.12), (0.34, 0.12), (0.31, 0.46)] + _arc(0.5, 0.66, 0.23, 235, 510)],
    6: [[(0.68, 0.1), (0.46, 0.3), (0.32, 0.55)] + _arc(0.52, 0.7, 0.2, 180, 540)],
    7: [[(0.2, 0.12), (0.8, 0.12), (0.44, 0.92)]],
    8: [_arc(0.5, 0.29, 0.19, 0, 360, rx=0.17), _arc(0.5, 0.7, 0.21, 0, 360, rx=0.21)],
    9: [_arc(0.48, 0.31, 0.21, 0, 360, rx=0.2), [(0.68, 0.3), (0.6, 0.92)]],
}


def digit(d: int, rng: random.Random) -> Image.Image:
    paper = rng.randint(225, 250)
    layer = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(layer)
    width = rng.randint(11, 15)
    box, dx, dy = rng.uniform(90, 105), rng.uniform(-8, 8), rng.uniform(-6, 6)
    for stroke in STROKES[d]:
        pts = [((x - 0.5) * box + SIZE / 2 + dx, (y - 0.5) * box + SIZE / 2 + dy)
               for x, y in stroke]
        draw.line(pts, fill=255, width=width, joint="curve")
        for x, y in (pts[0], pts[-1]):
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    layer = layer.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR)
    img = Image.new("L", (SIZE, SIZE), paper)
    img.paste(rng.randint(20, 60), mask=layer)
    return img.filter(ImageFilter.GaussianBlur(0.8)).convert("RGB")


def clothes(kind: str) -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), (245, 245, 240))
    draw = ImageDraw.Draw(img)
    colour = {"tshirt": (40, 90, 160), "trouser": (50, 50, 70), "bag": (120, 70, 30)}[kind]
    if kind == "tshirt":
        draw.polygon([(45, 20), (95, 20), (130, 45), (115, 62), (100, 52), (100, 125),
                      (40, 125), (40, 52), (25, 62), (10, 45)], fill=colour)
        draw.ellipse((58, 12, 82, 30), fill=(245, 245, 240))
    elif kind == "trouser":
        draw.polygon([(45, 10), (95, 10), (102, 130), (78, 130), (70, 45), (62, 130),
                      (38, 130)], fill=colour)
    else:
        draw.rounded_rectangle((22, 50, 118, 125), radius=10, fill=colour)
        draw.arc((42, 15, 98, 80), 180, 360, fill=colour, width=7)
    return img


def main() -> None:
    rng = random.Random(4)
    index = []
    for d in range(10):
        name = f"digit_{d}"
        digit(d, rng).save(SAMPLES_DIR / f"{name}.png", optimize=True)
        index.append({"name": name, "label": str(d), "model": "mnist_cnn"})
    for kind, label in (("tshirt", "T-shirt/top"), ("trouser", "Trouser"), ("bag", "Bag")):
        name = f"sketch_{kind}"
        clothes(kind).save(SAMPLES_DIR / f"{name}.png", optimize=True)
        index.append({"name": name, "label": label, "model": "fashion_cnn"})
    (SAMPLES_DIR / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(index)} samples to {SAMPLES_DIR}")


if __name__ == "__main__":
    main()
