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


def training_curves(history: dict, batches=(), steps_per_epoch: int = 0, labels=None,
                    epochs: int | None = None) -> go.Figure:
    """Loss and accuracy side by side.

    Args:
        history: per-epoch lists (loss, accuracy, val_loss, val_accuracy).
        batches: (global step, running loss, running accuracy) points during training.
        steps_per_epoch: converts steps to fractional epochs on the x axis.
        labels: dict with keys loss, accuracy, epoch, train, validation (translated).
        epochs: total epochs planned, to fix the x range while training.
    """
    labels = labels or {"loss": "loss", "accuracy": "accuracy", "epoch": "epoch",
                        "train": "train", "validation": "validation"}
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["loss"], labels["accuracy"]))
    n_epochs = len(history.get("loss", []))
    # x of each epoch's values: where the epoch ended (a stopped epoch ends early).
    epoch_x = np.asarray(history.get("epoch_progress") or np.arange(1, n_epochs + 1), float)
    for col, key in ((1, "loss"), (2, "accuracy")):
        show_legend = col == 1
        if batches and steps_per_epoch:
            pts = np.asarray(batches, dtype=float)
            x = pts[:, 0] / steps_per_epoch
            # raw points faint, an exponential moving average on top
            fig.add_trace(go.Scatter(x=x, y=pts[:, col], mode="lines", hoverinfo="skip",
                                     line=dict(color=TRAIN_COLOR, width=1), opacity=0.25,
                                     showlegend=False, legendgroup="train"), row=1, col=col)
            # smooth over about a tenth of an epoch, whatever the points per epoch
            per_epoch = max(1.0, len(x) / max(x[-1], 1e-9))
            alpha = float(np.clip(8.0 / per_epoch, 0.1, 0.6))
            fig.add_trace(go.Scatter(x=x, y=ema(pts[:, col], alpha), mode="lines",
                                     name=labels["train"], line=dict(color=TRAIN_COLOR),
                                     showlegend=show_legend, legendgroup="train"),
                          row=1, col=col)
        elif history.get(key):
            xs = epoch_x[: len(history[key])]
            fig.add_trace(go.Scatter(x=xs, y=history[key], mode="lines+markers",
                                     name=labels["train"], line=dict(color=TRAIN_COLOR),
                                     showlegend=show_legend, legendgroup="train"),
                          row=1, col=col)
        if history.get("val_" + key):
            xs = epoch_x[: len(history["val_" + key])]
            fig.add_trace(go.Scatter(x=xs, y=history["val_" + key], mode="lines+markers",
                                     name=labels["validation"], line=dict(color=VAL_COLOR),
                                     showlegend=show_legend, legendgroup="val"),
                          row=1, col=col)
        fig.update_xaxes(title_text=labels["epoch"], row=1, col=col,
                         range=[0, epochs] if epochs else None)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.25), uirevision="curves")
    return fig


def confusion_heatmap(cm: np.ndarray, class_names: list[str], true_label: str,
                      pred_label: str) -> go.Figure:
    """Counts heatmap; rows = true class (top to bottom), columns = predicted class."""
    names = [str(n) for n in class_names]
    # Colour by log counts so that the few mistakes stay visible beside the diagonal.
    z = np.log1p(cm.astype(float))
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, text=cm, texttemplate="%{text}", colorscale="Blues",
        showscale=False,
        hovertemplate=f"{true_label}: %{{y}}<br>{pred_label}: %{{x}}<br>%{{text}}<extra></extra>"))
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title=pred_label, side="top", type="category"),
                      yaxis=dict(title=true_label, autorange="reversed", type="category"))
    return fig
