"""Figures and overlays of the Recognize page (data in, figure or uint8 image out)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from PIL import Image

BAR_COLOR = "#1f77b4"
TOP_COLOR = "#d62728"


def topk_bar(labels: list[str], scores: list[float], title: str = "",
             height: int | None = None) -> go.Figure:
    """Horizontal bars, best class on top, scores as percentages."""
    labels, scores = list(labels)[::-1], [float(s) for s in scores][::-1]
    colors = [BAR_COLOR] * (len(scores) - 1) + [TOP_COLOR] if scores else []
    fig = go.Figure(go.Bar(x=scores, y=labels, orientation="h", marker_color=colors,
                           text=[f"{s:.1%}" for s in scores], textposition="auto",
                           hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    fig.update_layout(title=title or None, height=height or 60 + 34 * len(labels),
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      xaxis=dict(range=[0, 1], tickformat=".0%"),
                      yaxis=dict(type="category"))
    return fig


def sweep_chart(values, clean_probs, top_probs, flip: float | None, current: float,
                x_title: str, clean_name: str, top_name: str, flip_text: str) -> go.Figure:
    """The clean class's probability (and the top class's) as one setting grows, the flip
    point marked, the slider's current value as a dotted line."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(values), y=list(clean_probs), mode="lines+markers",
                             name=clean_name, line=dict(color=BAR_COLOR)))
    fig.add_trace(go.Scatter(x=list(values), y=list(top_probs), mode="lines",
                             name=top_name, line=dict(color="#999", dash="dot")))
    if flip is not None:
        fig.add_vline(x=flip, line=dict(color=TOP_COLOR, width=2),
                      annotation_text=flip_text, annotation_position="top")
    fig.add_vline(x=current, line=dict(color="#555", dash="dash", width=1))
    fig.update_layout(height=220, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(title=x_title), yaxis=dict(range=[0, 1.05], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.45), showlegend=True)
    return fig


def _jet(v: np.ndarray) -> np.ndarray:
    """float [0, 1] -> uint8 RGB, a blue-cyan-yellow-red colour map."""
    v = np.clip(v, 0, 1)[..., None]
    r = np.clip(1.5 - np.abs(4 * v - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * v - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * v - 1), 0, 1)
    return (np.concatenate([r, g, b], -1) * 255).astype(np.uint8)


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5,
            signed: bool = False) -> np.ndarray:
    """Lay a heatmap over a picture: uint8 RGB [H, W, 3].

    Args:
        image: uint8 [H, W], [H, W, 1] or [H, W, 3].
        heat: float map of any size (resized to the picture); [0, 1], or [-1, 1] if signed.
        alpha: opacity of the heatmap.
    """
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        img = np.stack([img] * 3, -1)
    h, w = img.shape[:2]
    heat = np.asarray(heat, np.float32)
    if heat.shape != (h, w):
        heat = np.asarray(Image.fromarray(heat, "F").resize((w, h), Image.BILINEAR))
    if signed:
        heat = (heat + 1) / 2
    colour = _jet(heat).astype(np.float32)
    # cold regions only tinted, hot ones strongly: the picture stays readable
    a = alpha * (0.3 + 0.7 * np.clip(np.abs(heat * 2 - 1) if signed else heat, 0, 1))[..., None]
    out = img.astype(np.float32) * (1 - a) + colour * a
    return np.clip(out, 0, 255).astype(np.uint8)


def enlarge(image: np.ndarray, size: int = 224) -> np.ndarray:
    """Nearest-neighbour enlargement of a small model input, so pixels stay visible."""
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    h, w = img.shape[:2]
    k = max(1, size // max(h, w))
    return np.kron(img, np.ones((k, k) + ((1,) if img.ndim == 3 else ()), np.uint8)) \
        if k > 1 else img


def outline(image: np.ndarray, box, original_size, width: int = 3,
            color=(255, 221, 0)) -> np.ndarray:
    """``image`` (a thumbnail of a picture of ``original_size``) with ``box`` (x0, y0, x1,
    y1 in the original's pixels) drawn on it as a rectangle."""
    from PIL import ImageDraw
    im = Image.fromarray(np.asarray(image, np.uint8)).convert("RGB")
    k = im.width / original_size[0]
    x0, y0, x1, y1 = (v * k for v in box)
    ImageDraw.Draw(im).rectangle([x0, y0, x1 - 1, y1 - 1], outline=color, width=width)
    return np.asarray(im)
