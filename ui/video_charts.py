"""Plotly figures of the Video page: timeline, motion energy, sequence-model curves."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go


def _layout(fig: go.Figure, x_title: str, y_title: str, height: int = 300) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=x_title,
                      yaxis_title=y_title, legend=dict(orientation="h", y=1.12),
                      hovermode="x unified")
    return fig


def timeline(times, series: dict[str, np.ndarray], labels: dict, cuts=(), cursor=None,
             y_title: str = "") -> go.Figure:
    """One line per series over time (seconds); scene cuts and the scrubber as lines."""
    fig = go.Figure()
    for name, ys in series.items():
        fig.add_trace(go.Scatter(x=list(times), y=list(map(float, ys)), mode="lines+markers",
                                 marker=dict(size=4), name=str(name)))
    for c in cuts:
        fig.add_vline(x=float(c), line=dict(color="red", dash="dash"),
                      annotation_text=labels["cut"])
    if cursor is not None:
        fig.add_vline(x=float(cursor), line=dict(color="black", width=1))
    return _layout(fig, labels["time"], y_title)


def energy(times, values, cuts, threshold: float, labels: dict) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(times), y=list(map(float, values)), mode="lines",
                               fill="tozeroy", name=labels["energy"]))
    fig.add_hline(y=threshold, line=dict(color="grey", dash="dot"),
                  annotation_text=labels["threshold"])
    for c in cuts:
        fig.add_vline(x=float(c), line=dict(color="red", dash="dash"),
                      annotation_text=labels["cut"])
    return _layout(fig, labels["time"], labels["energy"], 260)


def per_frame(single: np.ndarray, recurrent: np.ndarray, labels: dict) -> go.Figure:
    """Probability of the true direction after each frame: one frame alone vs the GRU."""
    x = list(range(1, len(single) + 1))
    fig = go.Figure([
        go.Scatter(x=x, y=list(map(float, single)), mode="lines+markers", name=labels["single"]),
        go.Scatter(x=x, y=list(map(float, recurrent)), mode="lines+markers",
                   name=labels["recurrent"]),
    ])
    fig.add_hline(y=1 / 8, line=dict(color="grey", dash="dot"), annotation_text=labels["chance"])
    fig.update_yaxes(range=[0, 1.05])
    return _layout(fig, labels["frame"], labels["prob"], 280)


def hidden_states(states: np.ndarray, labels: dict) -> go.Figure:
    """Heat map of the GRU state: units (rows) x frames (columns)."""
    fig = go.Figure(go.Heatmap(z=np.asarray(states).T, x=list(range(1, len(states) + 1)),
                               colorscale="RdBu", zmid=0, colorbar=dict(title="h")))
    return _layout(fig, labels["frame"], labels["unit"], 320)
