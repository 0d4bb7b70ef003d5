"""Overlays drawn on the original picture: heat maps, class masks and boxes.

Every function takes an image (uint8 [H, W], [H, W, 1] or [H, W, 3]) and returns a new
uint8 RGB [H, W, 3] image, so a page only shows it with ``st.image``. The drawing itself
is plain numpy/Pillow; :func:`opacity_slider` is the one shared Streamlit control.
Colours come from plotly's colour scales (Turbo for heat, D3/Alphabet for classes).
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw


def as_rgb(image) -> np.ndarray:
    """A picture ([H, W], [H, W, 1], [H, W, 3] or [H, W, 4], any number type) -> uint8 RGB
    [H, W, 3], by cvlib's one rule (:func:`cvlib.imageio.to_rgb_array`)."""
    from cvlib.imageio import to_rgb_array
    return to_rgb_array(image)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.strip()
    if colour.startswith("rgb"):
        return tuple(int(float(v)) for v in colour[colour.index("(") + 1:-1].split(",")[:3])
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


@functools.lru_cache(maxsize=8)
def colour_table(scale: str = "Turbo", n: int = 256) -> np.ndarray:
    """uint8 [n, 3]: plotly's continuous colour scale ``scale`` sampled at n points."""
    from plotly.colors import get_colorscale, sample_colorscale
    colours = sample_colorscale(get_colorscale(scale), list(np.linspace(0, 1, n)))
    return np.array([_hex_to_rgb(c) for c in colours], np.uint8)


def class_colours(k: int) -> np.ndarray:
    """uint8 [k, 3]: one distinct colour per class; class 0 (background) is black."""
    from plotly.colors import qualitative
    palette = [_hex_to_rgb(c) for c in qualitative.D3 + qualitative.Alphabet]
    out = np.zeros((k, 3), np.uint8)
    for i in range(1, k):
        out[i] = palette[(i - 1) % len(palette)]
    return out


def _resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """float map -> (w, h) with bilinear interpolation."""
    w, h = size
    if values.shape == (h, w):
        return values
    return np.asarray(Image.fromarray(values.astype(np.float32), "F").resize((w, h),
                                                                             Image.BILINEAR))


def heatmap(image, heat, alpha: float = 0.5, signed: bool = False,
            scale: str = "Turbo") -> np.ndarray:
    """Lay a heat map over a picture.

    Args:
        image: the picture (uint8, see module doc).
        heat: float map of any size (resized bilinearly to the picture), in [0, 1], or
            in [-1, 1] if ``signed`` (e.g. occlusion: helps vs. hurts).
        alpha: opacity of the heat map in [0, 1].
        scale: a plotly continuous colour scale name.

    Returns:
        uint8 RGB [H, W, 3]. Cold regions are only tinted, hot ones strongly, so the
        picture stays readable.
    """
    img = as_rgb(image)
    h, w = img.shape[:2]
    heat = _resize(np.asarray(heat, np.float32), (w, h))
    if signed:
        heat = (heat + 1) / 2
    heat = np.clip(np.nan_to_num(heat), 0, 1)
    colour = colour_table(scale)[(heat * 255).astype(np.int32)].astype(np.float32)
    strength = np.abs(heat * 2 - 1) if signed else heat
    a = float(np.clip(alpha, 0, 1)) * (0.3 + 0.7 * strength)[..., None]
    out = img.astype(np.float32) * (1 - a) + colour * a
    return np.clip(out, 0, 255).astype(np.uint8)


def mask(image, labels, alpha: float = 0.5, num_classes: int | None = None,
         hidden=(0,), colours: np.ndarray | None = None) -> np.ndarray:
    """Colour each pixel by its class.

    Args:
        image: the picture (uint8, see module doc), [H, W(, C)].
        labels: int [h, w] class indices (resized nearest-neighbour to the picture).
        alpha: opacity of the colours in [0, 1].
        num_classes: K (default: labels.max() + 1).
        hidden: class indices left uncoloured (default: the background, 0).
        colours: uint8 [K, 3] (default :func:`class_colours`).

    Returns:
        uint8 RGB [H, W, 3].
    """
    img = as_rgb(image)
    h, w = img.shape[:2]
    labels = np.asarray(labels)
    if labels.shape != (h, w):
        labels = np.asarray(Image.fromarray(labels.astype(np.int32), "I").resize(
            (w, h), Image.NEAREST)).astype(np.int64)
    k = int(num_classes or (int(labels.max()) + 1 if labels.size else 1))
    table = class_colours(k) if colours is None else np.asarray(colours, np.uint8)
    shown = ~np.isin(labels, list(hidden)) & (labels >= 0) & (labels < k)
    out = img.astype(np.float32)
    colour = table[np.clip(labels, 0, k - 1)].astype(np.float32)
    a = float(np.clip(alpha, 0, 1))
    out[shown] = out[shown] * (1 - a) + colour[shown] * a
    return np.clip(out, 0, 255).astype(np.uint8)


def boxes(image, detections, class_names=None, colours: np.ndarray | None = None,
          width: int | None = None, show_score: bool = True) -> np.ndarray:
    """Draw boxes with their class and score.

    Args:
        image: the picture (uint8, see module doc).
        detections: objects with ``box`` (x0, y0, x1, y1 in the picture's pixels),
            ``label`` (int) and ``score`` (float), e.g. :class:`cvlib.predictor.Detection`.
        class_names: names by class index (default: the index).
        width: line width in pixels (default: 1/150 of the longer side, at least 2).

    Returns:
        uint8 RGB [H, W, 3].
    """
    im = Image.fromarray(as_rgb(image))
    draw = ImageDraw.Draw(im)
    width = width or max(2, max(im.size) // 150)
    dets = list(detections)
    k = max([int(d.label) for d in dets] + [len(class_names or [])]) + 2
    table = class_colours(k) if colours is None else np.asarray(colours, np.uint8)
    for d in dets:
        x0, y0, x1, y1 = (float(v) for v in d.box)
        c = tuple(int(v) for v in table[(int(d.label) + 1) % len(table)])
        draw.rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], outline=c, width=width)
        name = class_names[int(d.label)] if class_names and 0 <= int(d.label) < len(
            class_names) else str(int(d.label))
        text = f"{name} {float(d.score):.0%}" if show_score else name
        tx, ty = x0, max(0.0, y0 - 11)
        tw = draw.textlength(text)
        draw.rectangle([tx, ty, tx + tw + 4, ty + 11], fill=c)
        draw.text((tx + 2, ty), text, fill=(0, 0, 0) if sum(c) > 380 else (255, 255, 255))
    return np.asarray(im)


def points(image, pts, colour=(255, 221, 0), radius: int = 3) -> np.ndarray:
    """Draw points (x, y in the picture's pixels), e.g. face landmarks: uint8 RGB."""
    im = Image.fromarray(as_rgb(image))
    draw = ImageDraw.Draw(im)
    for x, y in pts:
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)
    return np.asarray(im)


def opacity_slider(key: str, default: float = 0.5) -> float:
    """The shared opacity control (a Streamlit slider, 0-1), labelled in the UI language."""
    import streamlit as st

    from ui.i18n import t
    return float(st.slider(t("overlay_opacity"), 0.0, 1.0, default, 0.05, key=key))


def boundaries(image, labels, colour=(255, 221, 0)) -> np.ndarray:
    """Draw the borders between regions of a label map (e.g. superpixels): uint8 RGB.

    Args:
        image: the picture (uint8, see module doc), [H, W(, C)].
        labels: int [H, W] region indices, the picture's size.
        colour: RGB of the border pixels.
    """
    img = as_rgb(image).copy()
    lab = np.asarray(labels)
    edge = np.zeros(lab.shape, bool)
    edge[:, 1:] |= lab[:, 1:] != lab[:, :-1]
    edge[1:, :] |= lab[1:, :] != lab[:-1, :]
    img[edge] = colour
    return img


def disagreement(image, wrong, colour=(230, 30, 30), dim: float = 0.5) -> np.ndarray:
    """The picture dimmed, with the pixels where prediction and truth differ in ``colour``.

    Args:
        image: the picture (uint8, see module doc).
        wrong: bool [H, W], True where the two masks disagree (the picture's size).
        dim: brightness kept for the agreeing pixels, in [0, 1].
    """
    img = as_rgb(image).astype(np.float32) * float(np.clip(dim, 0, 1))
    img[np.asarray(wrong, bool)] = colour
    return img.astype(np.uint8)


def class_swatch(colour) -> str:
    """CSS for a table cell showing a class colour (uint8 RGB triple)."""
    r, g, b = (int(v) for v in colour)
    return f"background-color: rgb({r}, {g}, {b}); color: rgb({r}, {g}, {b})"
