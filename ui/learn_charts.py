"""Plotly figures of the Learn page (numbers in, figure out; no Streamlit, no maths).

Every function takes the numbers that ``cvlib.learn`` computed and a ``labels`` dict of
already translated texts, and returns a ``go.Figure``.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#ff7f0e"
# TensorFlow Playground's colours: orange = class 0, blue = class 1.
CLASS_COLORS = ("#f59322", "#0877bd")
BOUNDARY_SCALE = [[0.0, "#f59322"], [0.5, "#f4f4f4"], [1.0, "#0877bd"]]
OPT_COLORS = {"sgd": "#d62728", "momentum": "#2ca02c", "rmsprop": "#9467bd", "adam": "#1f77b4"}
REMEDY_COLORS = {"none": "#7f7f7f", "l2": "#2ca02c", "dropout": "#9467bd",
                 "augment": "#ff7f0e", "early_stopping": "#d62728"}
ACTIVE = "#e45756"
MAX_POINTS = 300
GRAD = "#c0392b"
NODE = "#4c78a8"
FORWARD = "#f2cf5b"


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), **kw)
    return fig


def neuron_curve(xs, ys, x0: float, y0: float, labels: dict) -> go.Figure:
    """y = f(wx + b) over x, with the current input marked."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=labels["curve"],
                             line=dict(color=TRAIN_COLOR, width=3)))
    fig.add_trace(go.Scatter(x=[x0], y=[y0], mode="markers+text", name=labels["point"],
                             marker=dict(size=12, color=ACTIVE),
                             text=[f"({x0:.2f}, {y0:.3f})"], textposition="top left"))
    lo, hi = float(np.min(ys)), float(np.max(ys))
    pad = max(0.1, 0.1 * (hi - lo))
    fig.update_xaxes(title_text="x", zeroline=True)
    fig.update_yaxes(title_text="y", zeroline=True, range=[lo - pad, hi + pad])
    return _layout(fig, 340, showlegend=False, title=labels["title"])


# --- the backprop stepper ---------------------------------------------------------------

_POS = {"x1": (0.0, 2.0), "x2": (0.0, 1.0), "h1": (1.7, 2.5), "h2": (1.7, 1.5),
        "h3": (1.7, 0.5), "o": (3.0, 1.5), "L": (4.0, 1.5)}


def network(tr, step: int, labels: dict) -> go.Figure:
    """The 2-3-1 network of ``cvlib.learn.trace`` at stepper ``step`` (0 to 10).

    Steps: 0 example, 1-3 hidden nodes forward, 4 output, 5 loss, 6 output backward,
    7-9 hidden nodes backward, 10 update. Values appear once computed; the node of the
    current step is ringed; gradients (red) appear on the edges once known.
    """
    net = tr.net
    w1 = np.asarray(net.w1, float)
    w2 = np.asarray(net.w2, float)
    new_w1 = np.asarray(tr.new_net.w1, float)
    new_w2 = np.asarray(tr.new_net.w2, float)
    fig = go.Figure()
    # edges: input -> hidden
    for i in range(2):
        for j in range(3):
            a, b = _POS[f"x{i + 1}"], _POS[f"h{j + 1}"]
            known = step >= 7 + j
            text = f"{w1[i, j]:.3f}"
            if step >= 10:
                text = f"{w1[i, j]:.3f}→<b>{new_w1[i, j]:.3f}</b>"
            elif known:
                text += f"<br><span style='color:{GRAD}'>∂ {tr.dw1[i, j]:+.4f}</span>"
            _edge(fig, a, b, text, 0.62, hot=known and step == 7 + j)
    for j in range(3):
        a, b = _POS[f"h{j + 1}"], _POS["o"]
        text = f"{w2[j]:.3f}"
        if step >= 10:
            text = f"{w2[j]:.3f}→<b>{new_w2[j]:.3f}</b>"
        elif step >= 6:
            text += f"<br><span style='color:{GRAD}'>∂ {tr.dw2[j]:+.4f}</span>"
        _edge(fig, a, b, text, 0.5, hot=step == 6)
    _edge(fig, _POS["o"], _POS["L"], "", 0.5, hot=step == 5)

    names, xs, ys, texts, colors, lines = [], [], [], [], [], []
    deltas = {}
    active = {1: "h1", 2: "h2", 3: "h3", 4: "o", 5: "L", 6: "o", 7: "h1", 8: "h2",
              9: "h3"}.get(step)
    for i in range(2):
        names.append(f"x{i + 1}")
        texts.append(f"<b>x{_sub(i + 1)}</b><br>{net.x[i]:.3f}")
    for j in range(3):
        name = f"h{j + 1}"
        names.append(name)
        text = f"<b>h{_sub(j + 1)}</b>"
        if step >= 1 + j:
            text += f"<br>z={tr.z1[j]:.3f}<br>a={tr.a1[j]:.3f}"
        texts.append(text)
        if 7 + j <= step < 10:
            deltas[name] = tr.delta1[j]
    names.append("o")
    text = "<b>ŷ</b>"
    if step >= 4:
        text += f"<br>z={tr.z2:.3f}<br>ŷ={tr.yhat:.3f}"
    if 6 <= step < 10:
        deltas["o"] = tr.delta2
    texts.append(text)
    names.append("L")
    texts.append("<b>L</b>")
    # the loss node's numbers go under its circle: four lines do not fit inside it
    loss_text = f"y={net.y:.3f}"
    if step >= 5:
        loss_text += f"<br>L={tr.loss:.4f}"
    if step >= 10:
        loss_text += f"<br>→ {tr.new_loss:.4f}"
    for name in names:
        x, y = _POS[name]
        xs.append(x)
        ys.append(y)
        done = (name.startswith("x") or (name.startswith("h") and step >= int(name[1]))
                or (name == "o" and step >= 4) or (name == "L" and step >= 5))
        colors.append(FORWARD if done else "#e8e8e8")
        lines.append(ACTIVE if name == active else "#555")
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", hoverinfo="skip",
        marker=dict(size=[62] * len(xs), color=colors,
                    line=dict(color=lines, width=[5 if c == ACTIVE else 1.5 for c in lines]))))
    for x, y, text in zip(xs, ys, texts):
        fig.add_annotation(x=x, y=y - 0.02, text=text, showarrow=False,
                           font=dict(size=12, color="#111"), xanchor="center", yanchor="middle")
    fig.add_annotation(x=_POS["L"][0], y=_POS["L"][1] - 0.3, text=loss_text, showarrow=False,
                       font=dict(size=12, color="#111"), bgcolor="white",
                       bordercolor=ACTIVE if active == "L" else "#999", yanchor="top")
    for name, delta in deltas.items():
        x, y = _POS[name]
        fig.add_annotation(x=x, y=y - 0.3, text=f"δ = {delta:+.4f}", showarrow=False,
                           font=dict(size=12, color=GRAD), bgcolor="white",
                           bordercolor=GRAD, yanchor="top")
    fig.update_xaxes(visible=False, range=[-0.4, 4.4])
    fig.update_yaxes(visible=False, range=[-0.1, 3.0])
    return _layout(fig, 520, showlegend=False, plot_bgcolor="white",
                   title=labels["title"])


def _sub(i: int) -> str:
    return "₀₁₂₃₄₅₆₇₈₉"[i]


def _edge(fig, a, b, text, at, hot=False):
    fig.add_trace(go.Scatter(x=[a[0], b[0]], y=[a[1], b[1]], mode="lines", hoverinfo="skip",
                             line=dict(color=ACTIVE if hot else "#9aa", width=3 if hot else 1.5)))
    if text:
        x = a[0] + (b[0] - a[0]) * at
        y = a[1] + (b[1] - a[1]) * at
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=10.5),
                           bgcolor="rgba(255,255,255,0.85)",
                           bordercolor=ACTIVE if hot else "rgba(0,0,0,0)")


# --- the playground ---------------------------------------------------------------------

def boundary(xs, ys, probs, x_train, y_train, x_test, y_test, labels: dict,
             show_test: bool = True) -> go.Figure:
    """P(class 1) as a heatmap with the training (round) and test (diamond) points."""
    # float32: plotly sends numpy arrays as typed binary arrays, half the bytes of float64.
    fig = go.Figure(go.Heatmap(x=np.asarray(xs, np.float32), y=np.asarray(ys, np.float32),
                               z=np.asarray(probs, np.float32),
                               zmin=0, zmax=1, colorscale=BOUNDARY_SCALE,
                               showscale=False, hoverinfo="skip", opacity=0.75,
                               zsmooth="best"))
    x_train, x_test = np.asarray(x_train, np.float32), np.asarray(x_test, np.float32)
    for cls in (0, 1):
        m = y_train == cls
        fig.add_trace(go.Scatter(
            x=x_train[m, 0], y=x_train[m, 1], mode="markers",
            name=f"{labels['train']} · {cls}", hoverinfo="skip",
            marker=dict(size=7, color=CLASS_COLORS[cls], line=dict(color="white", width=1))))
        if show_test:
            m = y_test == cls
            fig.add_trace(go.Scatter(
                x=x_test[m, 0], y=x_test[m, 1], mode="markers",
                name=f"{labels['test']} · {cls}", hoverinfo="skip",
                marker=dict(size=7, color=CLASS_COLORS[cls], symbol="diamond",
                            line=dict(color="#222", width=1.2))))
    lim = float(xs[-1])
    fig.update_xaxes(range=[-lim, lim], showgrid=False, zeroline=False, title_text="x₁",
                     constrain="domain")
    fig.update_yaxes(range=[-lim, lim], showgrid=False, zeroline=False, title_text="x₂",
                     scaleanchor="x", scaleratio=1, constrain="domain")
    # the legend beside the square plot: below it, it ran into the x₁ axis title
    return _layout(fig, 440, title=labels["title"], uirevision="boundary",
                   legend=dict(orientation="v", x=1.02, xanchor="left", y=0.5,
                               yanchor="middle"))


def playground_curves(history: dict, labels: dict) -> go.Figure:
    """Train and test loss (left) and accuracy (right) against steps."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["loss"], labels["accuracy"]))
    # At most ~MAX_POINTS points per curve (the last one always): the chart is redrawn
    # four times a second while the playground runs.
    n = len(history["step"])
    keep = np.unique(np.r_[np.linspace(0, n - 1, min(n, MAX_POINTS)).astype(int), n - 1])
    h = {k: np.asarray(v, np.float32)[keep] for k, v in history.items()}
    steps = h["step"]
    for col, key in ((1, "loss"), (2, "acc")):
        fig.add_trace(go.Scatter(x=steps, y=h[f"train_{key}"], mode="lines",
                                 name=labels["train"], line=dict(color=TRAIN_COLOR),
                                 legendgroup="train", showlegend=col == 1), row=1, col=col)
        fig.add_trace(go.Scatter(x=steps, y=h[f"test_{key}"], mode="lines",
                                 name=labels["test"], line=dict(color=VAL_COLOR),
                                 legendgroup="test", showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text=labels["step"], row=1, col=col)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    return _layout(fig, 260, uirevision="pgcurves", legend=dict(orientation="h", y=-0.35))


# --- loss functions ---------------------------------------------------------------------

def loss_functions(curves: dict, p0: float, labels: dict) -> go.Figure:
    """Loss (left) and its gradient with respect to the logit (right) against p."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["loss"], labels["grad"]))
    p = curves["p"]
    for col, (mse_key, ce_key) in ((1, ("mse", "ce")), (2, ("mse_dz", "ce_dz"))):
        fig.add_trace(go.Scatter(x=p, y=curves[mse_key], name=labels["mse"],
                                 line=dict(color=VAL_COLOR, width=3), legendgroup="mse",
                                 showlegend=col == 1), row=1, col=col)
        fig.add_trace(go.Scatter(x=p, y=curves[ce_key], name=labels["ce"],
                                 line=dict(color=TRAIN_COLOR, width=3), legendgroup="ce",
                                 showlegend=col == 1), row=1, col=col)
        fig.add_vline(x=p0, line=dict(color=ACTIVE, dash="dash"), row=1, col=col)
        fig.update_xaxes(title_text=labels["p"], range=[0, 1], row=1, col=col)
    fig.update_yaxes(range=[0, 5], row=1, col=1)
    return _layout(fig, 340, legend=dict(orientation="h", y=-0.25))


def mistake_race(mse_p, ce_p, labels: dict) -> go.Figure:
    """p after each gradient step, starting confidently wrong, for both losses."""
    fig = go.Figure()
    steps = np.arange(len(mse_p))
    fig.add_trace(go.Scatter(x=steps, y=mse_p, name=labels["mse"],
                             line=dict(color=VAL_COLOR, width=3)))
    fig.add_trace(go.Scatter(x=steps, y=ce_p, name=labels["ce"],
                             line=dict(color=TRAIN_COLOR, width=3)))
    fig.update_xaxes(title_text=labels["step"])
    fig.update_yaxes(title_text=labels["p"], range=[0, 1.02])
    return _layout(fig, 300, title=labels["title"], legend=dict(orientation="h", y=-0.3))


# --- optimizers -------------------------------------------------------------------------

def surface_paths(xs, ys, f, paths, minima, labels: dict) -> go.Figure:
    """Contours of log(1 + f − min f) with every optimizer's path from the same start."""
    z = np.log1p(f - np.min(f))
    fig = go.Figure(go.Contour(x=xs, y=ys, z=z, colorscale="Greys", reversescale=True,
                               showscale=False, ncontours=30, hoverinfo="skip",
                               contours=dict(coloring="heatmap"), opacity=0.55,
                               line=dict(width=0.5)))
    for path in paths:
        pts = path.points
        fig.add_trace(go.Scatter(
            x=pts[:, 0], y=pts[:, 1], mode="lines+markers", name=labels[path.optimizer],
            line=dict(color=OPT_COLORS[path.optimizer], width=2),
            marker=dict(size=4, color=OPT_COLORS[path.optimizer])))
    if paths:
        s = paths[0].points[0]
        fig.add_trace(go.Scatter(x=[s[0]], y=[s[1]], mode="markers", name=labels["start"],
                                 marker=dict(size=13, color="black", symbol="circle-open",
                                             line=dict(width=3))))
    fig.add_trace(go.Scatter(x=[m[0] for m in minima], y=[m[1] for m in minima],
                             mode="markers", name=labels["minimum"],
                             marker=dict(size=14, color="gold", symbol="star",
                                         line=dict(color="black", width=1))))
    fig.update_xaxes(range=[xs[0], xs[-1]], showgrid=False, title_text="w₁")
    fig.update_yaxes(range=[ys[0], ys[-1]], showgrid=False, title_text="w₂")
    return _layout(fig, 460, legend=dict(orientation="h", y=-0.15), title=labels["title"])


def lr_sweep(sweep: dict, lr: float, labels: dict) -> go.Figure:
    """Loss gap after the run against the learning rate (log-log), per optimizer.

    Diverged runs are drawn as crosses on the top edge.
    """
    rates = sweep["rates"]
    finite = [v for k, arr in sweep.items() if k != "rates" for v in arr if math.isfinite(v)]
    top = max(finite) * 10 if finite else 10.0
    fig = go.Figure()
    for name, color in OPT_COLORS.items():
        if name not in sweep:
            continue
        gaps = np.asarray(sweep[name], float)
        ok = np.isfinite(gaps)
        shown = np.where(ok, np.maximum(gaps, 1e-12), np.nan)
        fig.add_trace(go.Scatter(x=rates, y=shown, mode="lines+markers", name=labels[name],
                                 line=dict(color=color), legendgroup=name))
        if (~ok).any():
            fig.add_trace(go.Scatter(x=rates[~ok], y=[top] * int((~ok).sum()), mode="markers",
                                     name=labels["diverged"], legendgroup=name,
                                     showlegend=False,
                                     marker=dict(symbol="x", size=10, color=color)))
    fig.add_vline(x=lr, line=dict(color="black", dash="dash"))
    fig.update_xaxes(type="log", title_text=labels["lr"], dtick=1, exponentformat="e")
    fig.update_yaxes(type="log", title_text=labels["gap"], exponentformat="e")
    return _layout(fig, 340, title=labels["title"], legend=dict(orientation="h", y=-0.3))


# --- overfitting remedies ---------------------------------------------------------------

def remedy_curves(runs: dict, metric: str, labels: dict, live: dict | None = None) -> go.Figure:
    """Training (left) and validation (right) curves of each remedy run.

    ``runs``: name -> history dict; ``metric``: "loss" or "accuracy"; ``live``: an
    optional history being trained now, drawn dashed.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(labels["train"], labels["val"]),
                        shared_yaxes=True)
    for name, history in runs.items():
        color = REMEDY_COLORS.get(name, "#333")
        for col, key in ((1, metric), (2, "val_" + metric)):
            ys = history.get(key) or []
            fig.add_trace(go.Scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines+markers",
                                     name=labels[name], line=dict(
                                         color=color,
                                         dash="dot" if name == "early_stopping" else None),
                                     marker=dict(size=5), legendgroup=name,
                                     showlegend=col == 1), row=1, col=col)
    if live:
        for col, key in ((1, metric), (2, "val_" + metric)):
            ys = live.get(key) or []
            fig.add_trace(go.Scatter(x=list(range(1, len(ys) + 1)), y=ys, mode="lines+markers",
                                     name=labels["live"], line=dict(color="black", dash="dash"),
                                     legendgroup="live", showlegend=col == 1), row=1, col=col)
    for col in (1, 2):
        fig.update_xaxes(title_text=labels["epoch"], row=1, col=col)
    return _layout(fig, 360, legend=dict(orientation="h", y=-0.25))


# --- RNN --------------------------------------------------------------------------------

def rnn_unrolled(unroll: dict, labels: dict) -> go.Figure:
    """The cell drawn once per time step: x_t below, h_t in the box, h carried right."""
    xs, hs = unroll["x"], unroll["h"]
    n = len(xs)
    fig = go.Figure()
    for t in range(n + 1):
        cx = t * 1.4
        h = hs[t]
        color = f"rgba(8,119,189,{min(1.0, abs(h)):.2f})" if h >= 0 else \
            f"rgba(245,147,34,{min(1.0, abs(h)):.2f})"
        fig.add_shape(type="rect", x0=cx - 0.45, x1=cx + 0.45, y0=0.6, y1=1.4,
                      line=dict(color="#333", width=1.5), fillcolor=color)
        name = "h₀" if t == 0 else f"h{_subs(t)}"
        fig.add_annotation(x=cx, y=1.0, text=f"<b>{name}</b><br>{h:+.3f}", showarrow=False,
                           font=dict(size=12, color="#111"), bgcolor="rgba(255,255,255,0.6)")
        if t >= 1:
            fig.add_annotation(x=cx, y=0.62, ax=cx, ay=-0.1, xref="x", yref="y", axref="x",
                               ayref="y", showarrow=True, arrowhead=2, arrowwidth=1.5, text="")
            fig.add_annotation(x=cx, y=-0.3, text=f"x{_subs(t)} = {xs[t - 1]:+.2f}",
                               showarrow=False, font=dict(size=12))
            fig.add_annotation(x=cx - 0.47, y=1.0, ax=cx - 1.4 + 0.47, ay=1.0, xref="x",
                               yref="y", axref="x", ayref="y", showarrow=True, arrowhead=2,
                               arrowwidth=1.5, text="")
            fig.add_annotation(x=cx - 0.7, y=1.15, text="w<sub>h</sub>", showarrow=False,
                               font=dict(size=11))
            fig.add_annotation(x=cx + 0.12, y=0.25, text="w<sub>x</sub>", showarrow=False,
                               font=dict(size=11))
    fig.update_xaxes(visible=False, range=[-0.7, n * 1.4 + 0.7])
    fig.update_yaxes(visible=False, range=[-0.6, 1.8])
    return _layout(fig, 300, showlegend=False, plot_bgcolor="white", title=labels["title"])


def _subs(i: int) -> str:
    return "".join(_sub(int(c)) for c in str(i))
