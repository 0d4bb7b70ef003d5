"""Plotly figures shared by the pages (data in, figure out; no Streamlit calls)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"


def ema(values: np.ndarray, alpha: float = 0.15) -> np.ndarray:
    """Exponential moving average (pandas ``ewm(adjust=False)``); a NaN keeps the last
    average. float64 [N]."""
    import pandas as pd
    return pd.Series(np.asarray(values, float)).ewm(alpha=alpha, adjust=False,
                                                     ignore_na=True).mean().to_numpy()


def _epoch_axis(x_max: float) -> dict:
    """x axis over [0, x_max] with room for the last point's marker, integer ticks."""
    x_max = max(float(x_max), 1.0)
    pad = max(0.12, 0.035 * x_max)
    step = max(1, int(np.ceil(x_max / 10)))
    return dict(range=[-pad, x_max + pad], tickmode="linear", tick0=0, dtick=step)


def training_curves(history: dict, batches=(), steps_per_epoch: int = 0, labels=None,
                    epochs: int | None = None) -> go.Figure:
    """Loss and accuracy side by side.

    The per-epoch values are drawn as markers: train = the running mean over the epoch's
    batches (what Keras reports), validation = evaluated after the epoch. While training,
    a line shows the recent batches, smoothed; its last value is not the epoch's mean, so
    it has its own legend entry.

    Args:
        history: per-epoch lists (loss, accuracy, val_loss, val_accuracy, epoch_progress).
        batches: (global step, running loss, running accuracy) points during training.
        steps_per_epoch: converts steps to fractional epochs on the x axis.
        labels: dict with keys loss, accuracy, epoch, train, validation and, for the live
            line, train_batches (translated).
        epochs: total epochs planned, to fix the x range while training.
    """
    labels = {"loss": "loss", "accuracy": "accuracy", "epoch": "epoch",
              "train": "train", "validation": "validation",
              "train_batches": "train, recent batches"} | (labels or {})
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["loss"], labels["accuracy"]),
                        horizontal_spacing=0.1)
    n_epochs = len(history.get("loss", []))
    # x of each epoch's values: where the epoch ended (a stopped epoch ends early).
    epoch_x = np.asarray(history.get("epoch_progress") or np.arange(1, n_epochs + 1), float)
    x_max = max(float(epochs or 0), float(epoch_x[-1]) if len(epoch_x) else 0.0)
    few = n_epochs <= 2 and not (batches and steps_per_epoch)   # a line of 1-2 dots
    for col, key in ((1, "loss"), (2, "accuracy")):
        show_legend = col == 1
        live = bool(batches and steps_per_epoch)
        if live:
            pts = np.asarray(batches, dtype=float)
            x = pts[:, 0] / steps_per_epoch
            x_max = max(x_max, float(x[-1]))
            # raw points faint, an exponential moving average on top
            fig.add_trace(go.Scatter(x=x, y=pts[:, col], mode="lines", hoverinfo="skip",
                                     line=dict(color=TRAIN_COLOR, width=1), opacity=0.25,
                                     showlegend=False, legendgroup="batches"), row=1, col=col)
            # smooth over about a tenth of an epoch, whatever the points per epoch
            per_epoch = max(1.0, len(x) / max(x[-1], 1e-9))
            alpha = float(np.clip(8.0 / per_epoch, 0.1, 0.6))
            fig.add_trace(go.Scatter(x=x, y=ema(pts[:, col], alpha), mode="lines",
                                     name=labels["train_batches"],
                                     line=dict(color=TRAIN_COLOR, width=1.5, dash="dot"),
                                     showlegend=show_legend, legendgroup="batches"),
                          row=1, col=col)
        for hkey, name, color, group in ((key, labels["train"], TRAIN_COLOR, "train"),
                                         ("val_" + key, labels["validation"], VAL_COLOR,
                                          "val")):
            values = history.get(hkey)
            if not values:
                continue
            xs = epoch_x[: len(values)]
            text = [f"{v:.3f}" if key == "loss" else f"{v:.1%}" for v in values] if few \
                else None
            fig.add_trace(go.Scatter(
                x=xs, y=values, mode="markers" if live and group == "train" else
                "lines+markers" + ("+text" if few and not live else ""), text=text,
                textposition="middle left" if group == "train" else "middle right",
                name=name, line=dict(color=color), marker=dict(size=9 if few or live else 7),
                cliponaxis=False, showlegend=show_legend, legendgroup=group),
                row=1, col=col)
        fig.update_xaxes(title_text=labels["epoch"], row=1, col=col, **_epoch_axis(x_max))
        if few:   # one or two dots: show them against the whole scale, not a sliver of it
            top = max([1.0] + [v for k in (key, "val_" + key) for v in history.get(k, [])])
            fig.update_yaxes(range=[0, 1.05] if key == "accuracy" else [0, top * 1.15],
                             row=1, col=col)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0),
                      uirevision="curves")
    return fig


def confusion_heatmap(cm: np.ndarray, class_names: list[str], true_label: str,
                      pred_label: str, selected: tuple[int, int] | None = None) -> go.Figure:
    """Counts heatmap; rows = true class (top to bottom), columns = predicted class.

    A heatmap cell cannot be selected by a click in plotly.js (only points can), so an
    invisible square marker sits on every cell (trace 1, point ``true * k + predicted``):
    a click selects it, and the selection event names that point. ``selected``
    (true, predicted) is outlined.
    """
    names = [str(n) for n in class_names]
    k = len(names)
    # Colour by log counts so that the few mistakes stay visible beside the diagonal.
    z = np.log1p(cm.astype(float))
    hover = f"{true_label}: %{{y}}<br>{pred_label}: %{{x}}<br>%{{text}}<extra></extra>"
    fig = go.Figure(go.Heatmap(z=z, x=names, y=names, text=cm, texttemplate="%{text}",
                               colorscale="Blues", showscale=False, hoverinfo="skip"))
    ti, pi = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    fig.add_trace(go.Scatter(
        x=[names[j] for j in pi.ravel()], y=[names[i] for i in ti.ravel()], mode="markers",
        text=cm.ravel(),
        marker=dict(symbol="square", size=30, color="rgba(0,0,0,0)", opacity=0.01),
        selected=dict(marker=dict(opacity=0.01)), unselected=dict(marker=dict(opacity=0.01)),
        hovertemplate=hover, showlegend=False, name=""))
    if selected is not None:
        i, j = selected
        fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                      line=dict(color="#d62728", width=3), xref="x", yref="y")
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=10, b=10), clickmode="event+select",
                      dragmode=False, hovermode="closest",
                      xaxis=dict(title=pred_label, side="top", type="category",
                                 range=[-0.5, k - 0.5], showgrid=False, fixedrange=True),
                      yaxis=dict(title=true_label, type="category", range=[k - 0.5, -0.5],
                                 showgrid=False, fixedrange=True))
    return fig
