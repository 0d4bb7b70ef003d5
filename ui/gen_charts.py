"""Plotly figures of the Generate page (data in, figure out; no Streamlit calls)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import ema

G_COLOR = "#1f77b4"
D_COLOR = "#d62728"


def gan_curves(batches, steps_per_epoch: int, labels: dict, epochs: int | None = None):
    """Generator/discriminator losses and D(x)/D(G(z)) per batch, x axis in epochs.

    Args:
        batches: rows (global step, g_loss, d_loss, d_real, d_fake).
        steps_per_epoch: converts steps to fractional epochs.
        labels: translated titles: losses, outputs, epoch; and the legend's g_loss, d_loss,
            d_real, d_fake (each defaults to its symbol).
        epochs: total epochs planned, to fix the x range while training.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["losses"], labels["outputs"]))
    if len(batches):
        pts = np.asarray(batches, float)
        x = pts[:, 0] / max(1, steps_per_epoch)
        alpha = float(np.clip(8.0 / max(1, steps_per_epoch), 0.05, 0.6))
        names = {k: labels.get(k, v) for k, v in (("g_loss", "G loss"), ("d_loss", "D loss"),
                                                  ("d_real", "D(x)"), ("d_fake", "D(G(z))"))}
        for col, idx, name, color in ((1, 1, names["g_loss"], G_COLOR),
                                      (1, 2, names["d_loss"], D_COLOR),
                                      (2, 3, names["d_real"], D_COLOR),
                                      (2, 4, names["d_fake"], G_COLOR)):
            fig.add_trace(go.Scatter(x=x, y=pts[:, idx], mode="lines", hoverinfo="skip",
                                     line=dict(color=color, width=1), opacity=0.2,
                                     showlegend=False), row=1, col=col)
            fig.add_trace(go.Scatter(x=x, y=ema(pts[:, idx], alpha), mode="lines", name=name,
                                     line=dict(color=color, dash="solid" if idx in (1, 3)
                                               else "dot")), row=1, col=col)
    for col in (1, 2):
        fig.update_xaxes(title_text=labels["epoch"], row=1, col=col,
                         range=[0, epochs] if epochs else None)
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.25), uirevision="gan")
    return fig
