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
    # Fixed ticks up to 100%, with room on the right for the last label: left to itself,
    # plotly dropped the "100%" label that did not fit and the axis seemed to stop at 80%.
    fig.update_layout(title=title or None, height=height or 60 + 34 * len(labels),
                      margin=dict(l=10, r=28, t=40 if title else 10, b=10),
                      xaxis=dict(range=[0, 1], tickvals=[0, 0.25, 0.5, 0.75, 1],
                                 tickformat=".0%", automargin=True),
                      yaxis=dict(type="category", automargin=True))
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


def reliability_chart(before: dict, after: dict, labels: dict) -> go.Figure:
    """Reliability diagram: accuracy against mean confidence per confidence bin, before
    and after temperature scaling, with the diagonal of perfect calibration.

    Args:
        before, after: ``cvlib.calibration.reliability`` dicts (confidence, accuracy, count).
        labels: "before", "after", "ideal", "x", "y" texts.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=labels["ideal"],
                             line=dict(color="#999", dash="dot")))
    for data, name, colour in ((before, labels["before"], "#999999"),
                               (after, labels["after"], BAR_COLOR)):
        pts = [(c, a, n) for c, a, n in zip(data["confidence"], data["accuracy"],
                                            data["count"]) if n]
        fig.add_trace(go.Scatter(
            x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers", name=name,
            line=dict(color=colour), customdata=[p[2] for p in pts],
            hovertemplate="%{x:.1%} → %{y:.1%} (n=%{customdata})<extra></extra>"))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title=labels["x"], range=[0, 1], tickformat=".0%"),
                      yaxis=dict(title=labels["y"], range=[0, 1.02], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def colour_bar(low: str, high: str, scale: str = "Turbo", middle: str = "",
               title: str = "") -> go.Figure:
    """A thin horizontal colour bar for a heat map drawn with ``ui.overlay.heatmap``:
    the same plotly colour scale, labelled at its ends (and middle, for signed maps)."""
    n = 64
    ticks = {0: low, n - 1: high}
    if middle:
        ticks[(n - 1) // 2] = middle
    fig = go.Figure(go.Heatmap(z=[list(range(n))], colorscale=scale, showscale=False,
                               hoverinfo="skip"))
    fig.update_layout(height=70 if title else 56, margin=dict(l=10, r=10, t=22 if title else 4,
                                                              b=22),
                      title=dict(text=title, font=dict(size=12)) if title else None,
                      xaxis=dict(tickvals=list(ticks), ticktext=list(ticks.values()),
                                 showgrid=False, zeroline=False),
                      yaxis=dict(visible=False))
    return fig


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
