"""Masks and boxes in and out of files, and the plain measures the Segment page shows.

- :func:`decode_mask`: an uploaded ground-truth mask (PNG of class indices, or a
  black-and-white binary mask) -> int32 [H, W], through :func:`cvlib.imageio.decode_image`'s
  safety checks first (format, size, decompression bombs).
- :func:`mask_png`, :func:`boxes_csv`, :func:`coco_json`: downloads.
- :func:`parse_boxes_csv`: an uploaded CSV of true boxes.
- :func:`entropy`, :func:`area_table`, :func:`match_boxes`: measures.

This module imports neither TensorFlow nor Streamlit.
"""

from __future__ import annotations

import csv
import io
import itertools
import json

import numpy as np
from PIL import Image

from cvlib import CVLibError

MASK_EXTENSIONS = ("png", "bmp", "gif", "webp", "tif", "tiff", "pgm", "pbm")   # lossless
MAX_BOXES = 10_000        # true boxes read from one CSV (more is not a picture's annotation)


class MaskError(CVLibError, ValueError):
    """An uploaded mask or boxes file does not fit; the message says what was expected."""


def decode_mask(data: bytes, size: tuple[int, int], num_classes: int, name: str = ""
                ) -> tuple[np.ndarray, str]:
    """An uploaded ground-truth mask -> class indices.

    Accepted (``MASK_EXTENSIONS``): a PNG (or BMP, GIF, WebP lossless, TIFF, PGM/PBM)
    whose pixel values are class indices (grey "L" or 16-bit, palette "P" as Pascal VOC
    stores them, or grey-looking RGB), or a binary black-and-white mask (only 0 and 255:
    255 = object = 1). JPEG is refused: its compression changes the values at edges.

    Args:
        data: the file's bytes.
        size: (width, height) the mask must have (the picture's).
        num_classes: K; indices must be in 0..K-1 (255, VOC's "void" border, becomes 0).

    Returns:
        (int32 [H, W], kind) with kind "index" or "binary".

    Raises:
        MaskError: unreadable, JPEG, of the wrong size, or with values the model does not
            have (the message names the expected size or range).
    """
    from cvlib.imageio import ImageDecodeError, decode_image
    what = f"{name!r}" if name else "The mask"
    try:
        decode_image(data, name=name)            # format, size and bomb checks
    except ImageDecodeError as exc:
        raise MaskError(str(exc), kind=exc.kind, **exc.params) from None   # decode_<kind>
    im = Image.open(io.BytesIO(bytes(data)))
    if im.format in ("JPEG", "MPO"):
        raise MaskError(f"{what} is a JPEG: its compression changes pixel values, so class "
                        f"indices do not survive. Save the mask as PNG.", kind="mask_jpeg",
                        name=name)
    # at its first frame/page after open(); never count frames (a GIF of 10,000)
    if im.mode in ("P", "L", "I", "I;16", "I;16B", "I;16L", "1"):
        values = np.asarray(im.convert("I") if im.mode.startswith("I") else im).astype(np.int64)
        if im.mode == "1":
            values = values.astype(np.int64) * 255
    else:
        rgb = np.asarray(im.convert("RGB")).astype(np.int64)
        if not ((rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])).all():
            raise MaskError(f"{what} is a colour picture; upload a mask whose pixel values are "
                            f"class indices (grey or palette PNG) or a black-and-white mask.",
                            kind="mask_colour", name=name)
        values = rgb[..., 0]
    h, w = values.shape
    if (w, h) != tuple(size):
        raise MaskError(f"{what} is {w}×{h} pixels; it must be {size[0]}×{size[1]} like the "
                        f"picture it belongs to.", kind="mask_size", name=name, width=w,
                        height=h, need_width=size[0], need_height=size[1])
    found = np.unique(values)
    if 255 in found and set(found.tolist()) <= {0, 255}:
        return (values == 255).astype(np.int32), "binary"
    values = np.where(values == 255, 0, values)          # VOC "void" -> background
    bad = found[(found != 255) & ((found < 0) | (found >= num_classes))]
    if bad.size:
        raise MaskError(f"{what} has class values {bad[:5].tolist()} but the model knows "
                        f"0..{num_classes - 1}; upload class indices 0..{num_classes - 1} or "
                        f"a black-and-white mask.", kind="mask_values", name=name,
                        values=", ".join(str(v) for v in bad[:5].tolist()),
                        max=num_classes - 1)
    return values.astype(np.int32), "index"


def entropy(probs: np.ndarray) -> np.ndarray:
    """Per-pixel uncertainty: Shannon entropy of probs [H, W, K] / log K -> float32 [H, W]
    in [0, 1] (0 = sure of one class, 1 = all classes equally likely)."""
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
    k = p.shape[-1]
    if k < 2:
        return np.zeros(p.shape[:-1], np.float32)
    return (-(p * np.log(p)).sum(-1) / np.log(k)).astype(np.float32)


def area_table(mask: np.ndarray, class_names: list[str]) -> list[dict]:
    """Pixels and share of the picture per class present, largest first.

    Returns:
        list of {"index", "class", "pixels", "share"} (share in [0, 1]).
    """
    mask = np.asarray(mask)
    counts = np.bincount(mask.ravel().clip(0), minlength=len(class_names))
    total = max(1, mask.size)
    rows = [{"index": i, "class": class_names[i] if i < len(class_names) else str(i),
             "pixels": int(c), "share": float(c / total)}
            for i, c in enumerate(counts) if c > 0]
    return sorted(rows, key=lambda r: -r["pixels"])


def mask_png(mask: np.ndarray) -> bytes:
    """A class-index PNG: 8-bit grey (16-bit when an index exceeds 255), value = class."""
    mask = np.asarray(mask)
    buf = io.BytesIO()
    if mask.size and int(mask.max()) > 255:
        Image.fromarray(mask.astype(np.uint16)).save(buf, "PNG")
    else:
        Image.fromarray(mask.astype(np.uint8), "L").save(buf, "PNG")
    return buf.getvalue()


def png(image: np.ndarray) -> bytes:
    """uint8 RGB [H, W, 3] -> PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(image, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


BOX_COLUMNS = ("x0", "y0", "x1", "y1", "label", "class", "score")


def boxes_csv(detections, class_names: list[str]) -> str:
    """Detections -> CSV text with the header x0,y0,x1,y1,label,class,score (pixels)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BOX_COLUMNS)
    for d in detections:
        name = class_names[d.label] if 0 <= d.label < len(class_names) else str(d.label)
        writer.writerow([*(f"{v:.1f}" for v in d.box), int(d.label), name, f"{d.score:.4f}"])
    return out.getvalue()


def coco_json(detections, class_names: list[str], size: tuple[int, int],
              file_name: str = "image.png") -> str:
    """Detections -> COCO JSON (images, categories, annotations with bbox [x, y, w, h] and
    score; category ids = class index + 1, COCO reserves 0)."""
    w, h = size
    anns = []
    for i, d in enumerate(detections):
        x0, y0, x1, y1 = (float(v) for v in d.box)
        anns.append({"id": i + 1, "image_id": 1, "category_id": int(d.label) + 1,
                     "bbox": [round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)],
                     "area": round((x1 - x0) * (y1 - y0), 2), "iscrowd": 0,
                     "score": round(float(d.score), 4)})
    return json.dumps({
        "images": [{"id": 1, "file_name": file_name, "width": int(w), "height": int(h)}],
        "categories": [{"id": i + 1, "name": n} for i, n in enumerate(class_names)],
        "annotations": anns}, indent=1)


def parse_boxes_csv(data: bytes, class_names: list[str], size: tuple[int, int]
                    ) -> list[tuple[tuple[float, float, float, float], int]]:
    """An uploaded CSV of true boxes -> [(box, label)].

    Columns (header required): x0, y0, x1, y1 in pixels, and ``label`` (class index) or
    ``class`` (class name); other columns (``score``) are ignored, so a file downloaded
    here reads back.

    Raises:
        MaskError: not CSV text, missing columns, a box outside the picture or empty, an
            unknown class, a label that is no class index ("x", "nan", "1e400"), more
            than ``MAX_BOXES`` lines (the message names what was expected).
    """
    from cvlib.classical import check_box
    try:
        text = bytes(data).decode("utf-8-sig")
        if "\x00" in text:            # UTF-16, a spreadsheet's binary file, a picture ...
            raise csv.Error("it holds binary data; save it as CSV, UTF-8")
        # one row past the limit is enough to refuse: a 20 MB CSV is never parsed whole
        rows = list(itertools.islice(csv.DictReader(io.StringIO(text)), MAX_BOXES + 1))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise MaskError(f"The boxes file is not CSV text ({exc}).", kind="boxes_not_csv",
                        detail=str(exc)) from None
    need = {"x0", "y0", "x1", "y1"}
    header = {(c or "").strip() for c in (rows[0].keys() if rows else [])}
    if not rows or not need <= header or not ({"label", "class"} & header):
        raise MaskError("The boxes file needs a header with x0,y0,x1,y1 and label (class "
                        "index) or class (name), one box per line, in pixels.",
                        kind="boxes_header")
    if len(rows) > MAX_BOXES:
        raise MaskError(f"The boxes file has more than {MAX_BOXES:,} boxes; a picture's true "
                        f"boxes are far fewer. Upload the boxes of this picture only.",
                        kind="boxes_too_many", limit=MAX_BOXES)
    out = []
    for n, row in enumerate(rows, start=2):
        # a line with more cells than the header puts the extra ones in a list under None
        row = {k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        try:
            box = check_box([row["x0"], row["y0"], row["x1"], row["y1"]], size)
        except ValueError as exc:
            raise MaskError(f"Line {n} of the boxes file: {exc}", kind="boxes_bad_box",
                            line=n, box=", ".join(row[c] for c in ("x0", "y0", "x1", "y1")),
                            width=size[0], height=size[1]) from None
        if row.get("label", "") != "":
            try:
                label = int(float(row["label"]))
            except (ValueError, OverflowError):        # "x", "nan", "1e400"
                raise MaskError(f"Line {n}: label must be a class index; got "
                                f"{row['label']!r}.", kind="boxes_label_not_index", line=n,
                                label=row["label"]) from None
        elif row.get("class", "") in class_names:
            label = class_names.index(row["class"])
        else:
            raise MaskError(f"Line {n}: unknown class {row.get('class')!r}; expected one of "
                            f"{', '.join(class_names)}.", kind="boxes_unknown_class",
                            line=n, cls=row.get("class", ""), expected=", ".join(class_names))
        if not 0 <= label < len(class_names):
            raise MaskError(f"Line {n}: label {label} is not a class of the model "
                            f"(0..{len(class_names) - 1}).", kind="boxes_label_range",
                            line=n, label=label, max=len(class_names) - 1)
        out.append((box, label))
    return out


def match_boxes(detections, truth, iou_threshold: float = 0.5) -> dict:
    """Greedy matching of detections (by score) to true boxes of the same class.

    Returns:
        {"tp", "fp", "fn", "precision", "recall"} at ``iou_threshold``.
    """
    from cvlib.weak import box_iou
    used = set()
    tp = 0
    for d in sorted(detections, key=lambda d: -d.score):
        best, best_iou = None, iou_threshold
        for j, (box, label) in enumerate(truth):
            if j in used or label != d.label:
                continue
            v = box_iou(d.box, box)
            if v >= best_iou:
                best, best_iou = j, v
        if best is not None:
            used.add(best)
            tp += 1
    fp, fn = len(detections) - tp, len(truth) - tp
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0}
