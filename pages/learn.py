"""Learn page: the algorithm behind everything else, with real numbers.

Forward propagation, back-propagation and gradient descent, in the subject's order, in
seven sections; one is shown at a time (the selector keeps the page fast). Page =
controls -> cvlib.learn -> render: every number comes from ``cvlib.learn`` (NumPy),
figures from ``ui.learn_charts``, texts from ``ui.i18n``. The playground and the live
remedy rerun advance in fragments that rerun on a timer; their bodies
(:func:`playground_live`, :func:`remedy_live`) are plain functions that tests call.
"""

from __future__ import annotations

import re
from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py


from cvlib import learn
from cvlib.learn_remedies import REMEDIES, load_remedies, remedy_config
from ui import learn_charts as charts
from ui.i18n import t

SECTIONS = ("neuron", "backprop", "playground", "losses", "optimizers", "remedies", "rnn")

# Playground timing: one tick of the fragment advances STEPS_PER_TICK mini-batches.
TICK_SECONDS = 0.25
STEPS_PER_TICK = 10
RUN_STEPS = 5000           # a Run pauses by itself after this many steps
PG_POINTS = [20, 40, 60, 100, 200, 400, 1000]
PG_WIDTHS = [1, 2, 3, 4, 6, 8, 12, 16]
PG_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0]
PG_BATCHES = [1, 2, 5, 10, 20, 50, 100]
PG_PENALTIES = [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
OPT_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0]
BP_STEPS = 10              # stepper: 0 example ... 10 update
REMEDY_POLL = 0.5
PLOT_CONFIG = {"displayModeBar": False}


def _g(v: float) -> str:
    return "0" if v == 0 else f"{v:g}"


def _num(v: float, digits: int = 4) -> str:
    """A number for LaTeX: fixed digits, parentheses around negatives."""
    s = f"{v:.{digits}f}"
    return f"({s})" if v < 0 else s


# =========================================================================================
# 1. One neuron
# =========================================================================================

ACT_LATEX = {"linear": r"f(z) = z", "sigmoid": r"\sigma(z) = \frac{1}{1 + e^{-z}}",
             "tanh": r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
             "relu": r"\mathrm{ReLU}(z) = \max(0, z)"}
ACT_SYMBOL = {"linear": "f", "sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}
ACT_GRAD_LATEX = {"linear": r"f'(z) = 1", "sigmoid": r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
                  "tanh": r"\tanh'(z) = 1 - \tanh^2(z)",
                  "relu": r"\mathrm{ReLU}'(z) = 1 \text{ if } z > 0 \text{ else } 0"}


def neuron_section() -> None:
    st.header(t("learn_neuron_title"))
    st.markdown(t("learn_neuron_intro"))
    left, right = st.columns([1, 2])
    with left:
        act = st.selectbox(t("learn_activation"), learn.ACTIVATIONS, key="ln_act",
                           format_func=lambda a: t(f"learn_act_{a}"))
        w = st.slider(t("learn_weight_w"), -5.0, 5.0, step=0.1, key="ln_w")
        b = st.slider(t("learn_bias_b"), -5.0, 5.0, step=0.1, key="ln_b")
        x0 = st.slider(t("learn_input_x"), -5.0, 5.0, step=0.1, key="ln_x")
        st.latex(ACT_LATEX[act])
    xs = np.linspace(-5, 5, 201)
    ys = learn.neuron(xs, w, b, act)
    z0 = w * x0 + b
    y0 = float(learn.neuron(x0, w, b, act))
    with right:
        st.latex(r"y = f(wx + b)")
        f = ACT_SYMBOL[act]
        st.latex(rf"y = {f}({_num(w, 2)} \cdot {_num(x0, 2)} + {_num(b, 2)}) = {f}({_num(z0, 3)})"
                 rf" = {y0:.4f}")
        st.plotly_chart(charts.neuron_curve(xs, ys, x0, y0, {
            "curve": "y", "point": "x", "title": t("learn_neuron_plot")}),
            key="ln_plot", config=PLOT_CONFIG)
    st.caption(t("learn_neuron_hint"))


# =========================================================================================
# 2. Back-propagation stepper
# =========================================================================================

_BP_DEFAULT = learn.TinyNet()


def _bp_keys() -> dict:
    """Widget key -> default value for every editable number of the tiny network."""
    d = _BP_DEFAULT
    keys = {"bp_x1": d.x[0], "bp_x2": d.x[1], "bp_y": d.y, "bp_b2": d.b2,
            "bp_lr": d.learning_rate}
    for i in range(2):
        for j in range(3):
            keys[f"bp_w1_{i + 1}{j + 1}"] = d.w1[i][j]
    for j in range(3):
        keys[f"bp_b1_{j + 1}"] = d.b1[j]
        keys[f"bp_w2_{j + 1}"] = d.w2[j]
    return keys


def _bp_set(net: learn.TinyNet) -> None:
    """Put ``net``'s numbers into the widgets (from a callback, before they are drawn)."""
    ss = st.session_state
    ss["bp_x1"], ss["bp_x2"] = float(net.x[0]), float(net.x[1])
    ss["bp_y"], ss["bp_b2"] = float(net.y), _clip(net.b2)
    for i in range(2):
        for j in range(3):
            ss[f"bp_w1_{i + 1}{j + 1}"] = _clip(net.w1[i][j])
    for j in range(3):
        ss[f"bp_b1_{j + 1}"] = _clip(net.b1[j])
        ss[f"bp_w2_{j + 1}"] = _clip(net.w2[j])


def _clip(v: float) -> float:
    return float(np.clip(v, -100.0, 100.0))


def _bp_net() -> learn.TinyNet:
    ss = st.session_state
    return learn.TinyNet(
        x=(ss["bp_x1"], ss["bp_x2"]), y=ss["bp_y"],
        w1=tuple(tuple(ss[f"bp_w1_{i + 1}{j + 1}"] for j in range(3)) for i in range(2)),
        b1=tuple(ss[f"bp_b1_{j + 1}"] for j in range(3)),
        w2=tuple(ss[f"bp_w2_{j + 1}"] for j in range(3)), b2=ss["bp_b2"],
        hidden=ss.get("bp_hidden", "sigmoid"), output=ss.get("bp_output", "sigmoid"),
        learning_rate=ss["bp_lr"])


def _bp_move(delta: int) -> None:
    st.session_state["bp_step"] = int(np.clip(st.session_state.get("bp_step", 0) + delta,
                                              0, BP_STEPS))


def _bp_restart() -> None:
    st.session_state["bp_step"] = 0


def _bp_take_update() -> None:
    """Make the updated weights the new starting point: one more round of training."""
    try:
        new = learn.trace(_bp_net()).new_net
    except ValueError:
        return
    _bp_set(new)
    st.session_state["bp_step"] = 0
    st.session_state["bp_rounds"] = st.session_state.get("bp_rounds", 0) + 1


def _bp_random() -> None:
    seed = st.session_state.get("bp_seed", 0) + 1
    st.session_state["bp_seed"] = seed
    _bp_set(learn.TinyNet.random(seed))
    st.session_state["bp_step"] = 0
    st.session_state["bp_rounds"] = 0


def _bp_defaults() -> None:
    _bp_set(_BP_DEFAULT)
    st.session_state["bp_lr"] = _BP_DEFAULT.learning_rate
    st.session_state["bp_step"] = 0
    st.session_state["bp_rounds"] = 0


@st.cache_data(show_spinner=False, max_entries=64)
def _grad_check(net_fields: tuple) -> tuple[list[dict], float, float | None, str]:
    """Backprop vs finite differences vs tf.GradientTape on the stepper's example."""
    names = ("x", "y", "w1", "b1", "w2", "b2", "hidden", "output", "learning_rate")
    net = learn.TinyNet(**dict(zip(names, net_fields)))
    mlp = net.mlp()
    x, y = np.array([net.x], float), np.array([[net.y]], float)
    error = ""
    try:
        check = learn.gradient_check(mlp, x, y, with_tf=True)
    except ImportError as exc:      # no TensorFlow: still compare with finite differences
        check = learn.gradient_check(mlp, x, y, with_tf=False)
        error = str(exc)
    return check.rows(), check.max_fd_diff, check.max_tf_diff, error


def _bp_param_label(name: str) -> str:
    """MLP parameter entry name (W1[1][2]) -> the stepper's notation (w⁽¹⁾₁₂)."""
    m = re.fullmatch(r"([Wb])(\d)((?:\[\d+\])*)", name)
    if not m:
        return name
    kind, layer, idx = m.groups()
    idx = [int(i) for i in re.findall(r"\d+", idx)]
    if kind == "W" and layer == "2":
        idx = idx[:1]
    if kind == "b" and layer == "2":
        idx = []
    sub = "".join("₀₁₂₃₄₅₆₇₈₉"[i] for i in idx)
    return f"{kind.lower()}{'⁽¹⁾' if layer == '1' else '⁽²⁾'}{sub}"


def backprop_section() -> None:
    st.header(t("learn_bp_title"))
    st.markdown(t("learn_bp_intro"))
    ss = st.session_state
    ss.setdefault("bp_step", 0)

    with st.expander(t("learn_bp_edit"), expanded=False):
        a, b, c, d = st.columns(4)
        a.number_input("x₁", -10.0, 10.0, step=0.1, format="%.3f", key="bp_x1")
        b.number_input("x₂", -10.0, 10.0, step=0.1, format="%.3f", key="bp_x2")
        c.number_input(t("learn_bp_target"), -10.0, 10.0, step=0.1, format="%.3f", key="bp_y")
        d.number_input(t("learn_bp_lr"), 0.0, 10.0, step=0.1, format="%.3f", key="bp_lr")
        st.caption(t("learn_bp_w1_caption"))
        cols = st.columns(6)
        for i in range(2):
            for j in range(3):
                cols[3 * i + j].number_input(f"w⁽¹⁾{'₁₂'[i]}{'₁₂₃'[j]}", -100.0, 100.0,
                                             step=0.1, format="%.3f",
                                             key=f"bp_w1_{i + 1}{j + 1}")
        cols = st.columns(7)
        for j in range(3):
            cols[j].number_input(f"b⁽¹⁾{'₁₂₃'[j]}", -100.0, 100.0, step=0.1, format="%.3f",
                                 key=f"bp_b1_{j + 1}")
            cols[3 + j].number_input(f"w⁽²⁾{'₁₂₃'[j]}", -100.0, 100.0, step=0.1,
                                     format="%.3f", key=f"bp_w2_{j + 1}")
        cols[6].number_input("b⁽²⁾", -100.0, 100.0, step=0.1, format="%.3f", key="bp_b2")
        a, b, c, d = st.columns(4)
        a.selectbox(t("learn_bp_hidden_act"), learn.ACTIVATIONS, key="bp_hidden",
                    format_func=lambda v: t(f"learn_act_{v}"))
        b.selectbox(t("learn_bp_output_act"), learn.OUTPUTS, key="bp_output",
                    format_func=lambda v: t(f"learn_act_{v}"))
        c.button(t("learn_bp_random"), key="bp_random", on_click=_bp_random,
                 icon=":material/casino:")
        d.button(t("learn_bp_defaults"), key="bp_defaults", on_click=_bp_defaults,
                 icon=":material/restart_alt:")

    try:
        net = _bp_net()
        tr = learn.trace(net)
    except (ValueError, TypeError) as exc:
        st.error(t("learn_bad_input", msg=str(exc)))
        return
    step = int(ss["bp_step"])

    a, b, c, d, e = st.columns([1, 1, 1, 1.6, 3])
    a.button(t("learn_bp_back"), key="bp_back", on_click=_bp_move, args=(-1,),
             disabled=step == 0, icon=":material/arrow_back:")
    b.button(t("learn_bp_next"), key="bp_next", on_click=_bp_move, args=(1,), type="primary",
             disabled=step == BP_STEPS, icon=":material/arrow_forward:")
    c.button(t("learn_bp_restart"), key="bp_restart", on_click=_bp_restart,
             disabled=step == 0, icon=":material/first_page:")
    d.button(t("learn_bp_take"), key="bp_take", on_click=_bp_take_update,
             disabled=step != BP_STEPS, icon=":material/replay:",
             help=t("learn_bp_take_help"))
    e.progress(step / BP_STEPS, text=t("learn_bp_progress", step=step, total=BP_STEPS,
                                       what=t(f"learn_bp_phase_{_bp_phase(step)}")))
    if ss.get("bp_rounds"):
        st.caption(t("learn_bp_rounds", n=ss["bp_rounds"], loss=tr.loss))

    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.network(tr, step, {"title": ""}), key="bp_net",
                        config=PLOT_CONFIG)
        _bp_explain(tr, step)
    with right:
        _bp_check(net)


def _bp_phase(step: int) -> str:
    if step == 0:
        return "start"
    if step <= 4:
        return "forward"
    if step == 5:
        return "loss"
    if step < BP_STEPS:
        return "backward"
    return "update"


def _bp_explain(tr: learn.Trace, step: int) -> None:
    """The formulas of the current step, with the numbers filled in."""
    net = tr.net
    f, g = ACT_SYMBOL[net.hidden], ACT_SYMBOL[net.output]
    x, w1, b1 = net.x, np.asarray(net.w1), net.b1
    w2 = net.w2
    if step == 0:
        st.markdown(t("learn_bp_step0"))
        st.latex(r"h_j = f\Big(\sum_i w^{(1)}_{ij} x_i + b^{(1)}_j\Big), \quad "
                 r"\hat y = g\Big(\sum_j w^{(2)}_j h_j + b^{(2)}\Big)")
        st.latex(r"L = \frac{1}{N}\sum_i (y_i - \hat y_i)^2")
        st.latex(rf"x = ({_num(x[0], 3)},\ {_num(x[1], 3)}),\quad y = {_num(net.y, 3)},"
                 rf"\quad f = {f},\quad g = {g}")
    elif step <= 3:
        j = step - 1
        st.markdown(t("learn_bp_fwd_hidden", j=j + 1))
        st.latex(rf"z_{j + 1} = w^{{(1)}}_{{1{j + 1}}} x_1 + w^{{(1)}}_{{2{j + 1}}} x_2 + "
                 rf"b^{{(1)}}_{j + 1}"
                 rf" = {_num(w1[0, j], 3)} \cdot {_num(x[0], 3)} + {_num(w1[1, j], 3)} \cdot "
                 rf"{_num(x[1], 3)} + {_num(b1[j], 3)} = {_num(tr.z1[j])}")
        st.latex(rf"h_{j + 1} = {f}(z_{j + 1}) = {f}({_num(tr.z1[j])}) = {_num(tr.a1[j])}")
    elif step == 4:
        st.markdown(t("learn_bp_fwd_out"))
        terms = " + ".join(rf"{_num(w2[j], 3)} \cdot {_num(tr.a1[j])}" for j in range(3))
        st.latex(r"z_o = \sum_j w^{(2)}_j h_j + b^{(2)} = " + terms +
                 rf" + {_num(net.b2, 3)} = {_num(tr.z2)}")
        st.latex(rf"\hat y = {g}(z_o) = {g}({_num(tr.z2)}) = {_num(tr.yhat)}")
    elif step == 5:
        st.markdown(t("learn_bp_loss"))
        st.latex(rf"L = \frac{{1}}{{N}}\sum_i (y_i - \hat y_i)^2 = ({_num(net.y, 3)} - "
                 rf"{_num(tr.yhat)})^2 = {tr.loss:.6f}")
    elif step == 6:
        st.markdown(t("learn_bp_back_out"))
        st.latex(r"\frac{\partial L}{\partial w^{(2)}_j} = \frac{\partial L}{\partial \hat y}"
                 r"\cdot \frac{\partial \hat y}{\partial z_o} \cdot "
                 r"\frac{\partial z_o}{\partial w^{(2)}_j}")
        st.latex(rf"\frac{{\partial L}}{{\partial \hat y}} = 2(\hat y - y) = "
                 rf"2({_num(tr.yhat)} - {_num(net.y, 3)}) = {_num(tr.dL_dyhat)}")
        st.latex(rf"\frac{{\partial \hat y}}{{\partial z_o}} = {g}'(z_o) = "
                 rf"{_num(tr.dyhat_dz2)}")
        st.latex(rf"\delta_o = \frac{{\partial L}}{{\partial z_o}} = {_num(tr.dL_dyhat)} "
                 rf"\times {_num(tr.dyhat_dz2)} = {_num(tr.delta2, 6)}")
        for j in range(3):
            st.latex(rf"\frac{{\partial L}}{{\partial w^{{(2)}}_{j + 1}}} = \delta_o h_{j + 1}"
                     rf" = {_num(tr.delta2, 6)} \times {_num(tr.a1[j])} = {_num(tr.dw2[j], 6)}")
        st.latex(rf"\frac{{\partial L}}{{\partial b^{{(2)}}}} = \delta_o = {_num(tr.db2, 6)}")
        st.latex(ACT_GRAD_LATEX[net.output])
    elif step <= 9:
        j = step - 7
        st.markdown(t("learn_bp_back_hidden", j=j + 1))
        st.latex(rf"\frac{{\partial L}}{{\partial h_{j + 1}}} = \delta_o \cdot w^{{(2)}}_{j + 1}"
                 rf" = {_num(tr.delta2, 6)} \times {_num(w2[j], 3)} = {_num(tr.dL_da1[j], 6)}")
        st.latex(rf"\frac{{\partial h_{j + 1}}}{{\partial z_{j + 1}}} = {f}'(z_{j + 1}) = "
                 rf"{_num(tr.da1_dz1[j], 6)}")
        st.latex(rf"\delta_{j + 1} = {_num(tr.dL_da1[j], 6)} \times {_num(tr.da1_dz1[j], 6)}"
                 rf" = {_num(tr.delta1[j], 6)}")
        st.latex(rf"\frac{{\partial L}}{{\partial w^{{(1)}}_{{1{j + 1}}}}} = \delta_{j + 1} x_1"
                 rf" = {_num(tr.delta1[j], 6)} \times {_num(x[0], 3)} = {_num(tr.dw1[0, j], 6)}")
        st.latex(rf"\frac{{\partial L}}{{\partial w^{{(1)}}_{{2{j + 1}}}}} = \delta_{j + 1} x_2"
                 rf" = {_num(tr.delta1[j], 6)} \times {_num(x[1], 3)} = {_num(tr.dw1[1, j], 6)}")
        st.latex(rf"\frac{{\partial L}}{{\partial b^{{(1)}}_{j + 1}}} = \delta_{j + 1} = "
                 rf"{_num(tr.db1[j], 6)}")
        st.latex(ACT_GRAD_LATEX[net.hidden])
    else:
        st.markdown(t("learn_bp_update", lr=net.learning_rate))
        st.latex(r"W \leftarrow W - \eta \cdot \frac{\partial L}{\partial W}")
        new = tr.new_net
        rows = []
        for i in range(2):
            for j in range(3):
                rows.append((f"w⁽¹⁾{'₁₂'[i]}{'₁₂₃'[j]}", net.w1[i][j], tr.dw1[i, j],
                             new.w1[i][j]))
        for j in range(3):
            rows.append((f"b⁽¹⁾{'₁₂₃'[j]}", net.b1[j], tr.db1[j], new.b1[j]))
        for j in range(3):
            rows.append((f"w⁽²⁾{'₁₂₃'[j]}", net.w2[j], tr.dw2[j], new.w2[j]))
        rows.append(("b⁽²⁾", net.b2, tr.db2, new.b2))
        st.dataframe(pd.DataFrame(rows, columns=[t("learn_col_param"), t("learn_col_old"),
                                                 t("learn_col_grad"), t("learn_col_new")]),
                     hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3,
                     column_config={c: st.column_config.NumberColumn(format="%.6f") for c in
                                    (t("learn_col_old"), t("learn_col_grad"),
                                     t("learn_col_new"))})
        st.latex(rf"L: {tr.loss:.6f} \;\rightarrow\; {tr.new_loss:.6f}")
        if tr.new_loss < tr.loss:
            st.success(t("learn_bp_better"))
        else:
            st.warning(t("learn_bp_worse"))


def _bp_check(net: learn.TinyNet) -> None:
    st.subheader(t("learn_check_title"))
    st.markdown(t("learn_check_intro"))
    fields = tuple(asdict(net).values())
    with st.spinner(t("learn_check_loading")):
        rows, fd, tf_diff, error = _grad_check(fields)
    table = pd.DataFrame([{
        t("learn_col_param"): _bp_param_label(r["param"]), t("learn_col_backprop"): r["backprop"],
        t("learn_col_fd"): r["finite_diff"], t("learn_col_tf"): r.get("tf", np.nan)}
        for r in rows])
    st.dataframe(table, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3,
                 column_config={c: st.column_config.NumberColumn(format="%.8f") for c in
                                (t("learn_col_backprop"), t("learn_col_fd"), t("learn_col_tf"))})
    worst = max(fd, tf_diff or 0.0)
    a, b = st.columns(2)
    a.metric(t("learn_check_fd"), f"{fd:.1e}")
    b.metric(t("learn_check_tf"), "–" if tf_diff is None else f"{tf_diff:.1e}")
    if error:
        st.warning(t("learn_check_no_tf", msg=error))
    if worst < 1e-6:
        st.success(t("learn_check_ok", worst=worst))
    else:
        st.error(t("learn_check_bad", worst=worst))


# =========================================================================================
# 3. Playground
# =========================================================================================

PG_DEFAULTS = {"pg_dataset": "circles", "pg_noise": 0.05, "pg_points": 200, "pg_test": 0.5,
               "pg_layers": 2, "pg_act": "tanh", "pg_lr": 0.03, "pg_batch": 10,
               "pg_opt": "adam", "pg_l1": 0.0, "pg_l2": 0.0, "pg_dropout": 0.0,
               **{f"pg_w{i}": 8 for i in range(4)}}
PG_OVERFIT = {"pg_noise": 0.3, "pg_points": 60, "pg_layers": 3,
              **{f"pg_w{i}": 16 for i in range(4)}, "pg_l1": 0.0, "pg_l2": 0.0,
              "pg_dropout": 0.0}


def _pg_preset(values: dict) -> None:
    st.session_state.update(values)
    st.session_state["pg_running"] = False
    st.session_state.pop("pg", None)


def _pg_run() -> None:
    pg = st.session_state.get("pg")
    if pg is None:
        return
    st.session_state["pg_running"] = True
    st.session_state["pg_run_until"] = pg.steps + RUN_STEPS
    st.session_state.pop("pg_notice", None)


def _pg_pause() -> None:
    st.session_state["pg_running"] = False


def _pg_step() -> None:
    pg = st.session_state.get("pg")
    if pg is not None:
        st.session_state["pg_running"] = False
        pg.step(STEPS_PER_TICK)


def _pg_reset() -> None:
    pg = st.session_state.get("pg")
    st.session_state["pg_running"] = False
    st.session_state.pop("pg_notice", None)
    if pg is not None:
        pg.reset()


def playground_controls() -> learn.PlaygroundConfig | None:
    """The playground's settings, two per row (it sits in a narrow column)."""
    c = st.columns(2)
    dataset = c[0].selectbox(t("learn_pg_dataset"), learn.DATASETS, key="pg_dataset",
                             format_func=lambda d: t(f"learn_ds_{d}"))
    noise = c[1].slider(t("learn_pg_noise"), 0.0, 0.5, step=0.05, key="pg_noise")
    c = st.columns(2)
    points = c[0].select_slider(t("learn_pg_points"), PG_POINTS, key="pg_points")
    test = c[1].slider(t("learn_pg_test"), 0.1, 0.9, step=0.1, key="pg_test")
    c = st.columns(2)
    act = c[0].selectbox(t("learn_activation"), learn.ACTIVATIONS, key="pg_act",
                         format_func=lambda a: t(f"learn_act_{a}"))
    layers = c[1].slider(t("learn_pg_layers"), 0, 4, key="pg_layers")
    widths = []
    if layers:
        c = st.columns(4)
        for i in range(layers):
            widths.append(c[i].select_slider(t("learn_pg_width", i=i + 1), PG_WIDTHS,
                                             key=f"pg_w{i}"))
    c = st.columns(2)
    opt = c[0].selectbox(t("learn_pg_optimizer"), tuple(learn.OPTIMIZERS), key="pg_opt",
                         format_func=lambda o: t(f"learn_opt_{o}"))
    lr = c[1].select_slider(t("learn_pg_lr"), PG_RATES, key="pg_lr", format_func=_g)
    c = st.columns(2)
    batch = c[0].select_slider(t("learn_pg_batch"), PG_BATCHES, key="pg_batch")
    dropout = c[1].slider(t("learn_pg_dropout"), 0.0, 0.7, step=0.05, key="pg_dropout")
    c = st.columns(2)
    l1 = c[0].select_slider(t("learn_pg_l1"), PG_PENALTIES, key="pg_l1", format_func=_g)
    l2 = c[1].select_slider(t("learn_pg_l2"), PG_PENALTIES, key="pg_l2", format_func=_g)
    try:
        return learn.PlaygroundConfig(
            dataset=dataset, n_points=int(points), noise=float(noise),
            test_fraction=float(test), hidden=tuple(widths), activation=act,
            learning_rate=float(lr), batch_size=int(batch), optimizer=opt, l1=float(l1),
            l2=float(l2), dropout=float(dropout))
    except (ValueError, TypeError) as exc:
        st.error(t("learn_bad_input", msg=str(exc)))
        return None


def playground_section() -> None:
    st.header(t("learn_pg_title"))
    st.markdown(t("learn_pg_intro"))
    left, right = st.columns([2, 3], gap="large")
    with right:
        buttons = st.container()     # filled once the settings are known
    with left:
        config = playground_controls()
        st.caption(t("learn_pg_hint"))
        a, b = st.columns(2)
        a.button(t("learn_pg_preset_overfit"), key="pg_preset_overfit", on_click=_pg_preset,
                 args=(PG_OVERFIT,), icon=":material/science:", width="stretch")
        b.button(t("learn_pg_preset_default"), key="pg_preset_default", on_click=_pg_preset,
                 args=(PG_DEFAULTS,), icon=":material/restart_alt:", width="stretch")
        with st.expander(t("learn_pg_remedies_title")):
            st.markdown(t("learn_pg_remedies_text"))
    ss = st.session_state
    if config is None:
        ss["pg_running"] = False
        return
    pg = ss.get("pg")
    if pg is None:
        ss["pg"] = pg = learn.Playground(config)
    elif pg.config != config and pg.reconfigure(config):
        ss["pg_running"] = False
    running = bool(ss.get("pg_running"))
    with buttons:
        c = st.columns(4, gap="small")
        c[0].button(t("learn_pg_run"), key="pg_run", on_click=_pg_run, disabled=running,
                    type="primary", icon=":material/play_arrow:", width="stretch")
        c[1].button(t("learn_pg_pause"), key="pg_pause", on_click=_pg_pause,
                    disabled=not running, icon=":material/pause:", width="stretch")
        c[2].button(t("learn_pg_step"), key="pg_step", on_click=_pg_step,
                    icon=":material/skip_next:", width="stretch",
                    help=t("learn_pg_step_help", n=STEPS_PER_TICK))
        c[3].button(t("learn_pg_reset"), key="pg_reset", on_click=_pg_reset,
                    icon=":material/restart_alt:", width="stretch")
    with right:
        st.fragment(playground_live, run_every=TICK_SECONDS if running else None)()


def playground_live() -> None:
    """One tick: advance the playground while it runs, then draw it.

    Runs inside a fragment that reruns every ``TICK_SECONDS`` while running; a plain
    function, so tests call it directly.
    """
    ss = st.session_state
    pg: learn.Playground | None = ss.get("pg")
    if pg is None:
        return
    if ss.get("pg_running"):
        pg.step(STEPS_PER_TICK)
        if pg.diverged or pg.steps >= ss.get("pg_run_until", RUN_STEPS):
            ss["pg_running"] = False
            if not pg.diverged:
                ss["pg_notice"] = t("learn_pg_paused_at", n=pg.steps)
            st.rerun()     # the whole page: stops the timer and updates the buttons
    show_playground(pg)


def show_playground(pg: learn.Playground) -> None:
    rec = pg.latest()
    n_train = len(pg.x_train)
    epoch = pg.steps * min(pg.config.batch_size, n_train) / n_train
    c = st.columns(5)
    c[0].metric(t("learn_pg_steps"), f"{pg.steps:,}", help=t("learn_pg_epoch", e=epoch))
    c[1].metric(t("learn_pg_train_loss"), f"{rec['train_loss']:.3f}")
    c[2].metric(t("learn_pg_test_loss"), f"{rec['test_loss']:.3f}",
                delta=f"{rec['test_loss'] - rec['train_loss']:+.3f}", delta_color="inverse",
                help=t("learn_pg_gap_help"))
    c[3].metric(t("learn_pg_train_acc"), f"{rec['train_acc']:.0%}")
    c[4].metric(t("learn_pg_test_acc"), f"{rec['test_acc']:.0%}")
    if pg.diverged:
        st.error(t("learn_pg_diverged"))
    elif st.session_state.get("pg_notice"):
        st.info(st.session_state["pg_notice"])
    xs, ys, probs = pg.boundary(60)
    labels = {"train": t("learn_train"), "test": t("learn_test"),
              "title": t("learn_pg_boundary", n=pg.steps)}
    st.plotly_chart(charts.boundary(xs, ys, probs, pg.x_train, pg.y_train, pg.x_test,
                                    pg.y_test, labels), key="pg_boundary", config=PLOT_CONFIG)
    st.plotly_chart(charts.playground_curves(pg.history, {
        "loss": t("learn_loss_ce"), "accuracy": t("learn_accuracy"),
        "train": t("learn_train"), "test": t("learn_test"), "step": t("learn_step")}),
        key="pg_curves", config=PLOT_CONFIG)
    best = int(np.argmin(pg.history["test_loss"]))
    if pg.steps and best < len(pg.history["step"]) - 1 and \
            pg.history["test_loss"][-1] > 1.2 * pg.history["test_loss"][best] + 0.02:
        st.warning(t("learn_pg_overfitting", step=pg.history["step"][best],
                     best=pg.history["test_loss"][best], now=pg.history["test_loss"][-1]))


# =========================================================================================
# 4. Loss functions
# =========================================================================================

def losses_section() -> None:
    st.header(t("learn_loss_title"))
    st.markdown(t("learn_loss_intro"))
    left, right = st.columns([1, 2])
    with left:
        p0 = st.slider(t("learn_loss_p"), 0.01, 0.99, step=0.01, key="lf_p")
    y = 1.0
    at = learn.loss_at(p0, y)
    with right:
        st.latex(rf"y = 1,\; p = {p0:.2f}:\quad L_{{\mathrm{{MSE}}}} = {at['mse']:.4f},\quad "
                 rf"L_{{\mathrm{{CE}}}} = {at['ce']:.4f}")
        st.latex(rf"\frac{{\partial L_{{\mathrm{{MSE}}}}}}{{\partial z}} = {_num(at['mse_dz'])},"
                 rf"\quad \frac{{\partial L_{{\mathrm{{CE}}}}}}{{\partial z}} = "
                 rf"{_num(at['ce_dz'])}")
        if at["mse_dz"]:
            st.markdown(t("learn_loss_ratio", r=abs(at["ce_dz"] / at["mse_dz"])))
    st.latex(r"\text{MSE: } L = (y - p)^2 \qquad "
             r"\text{CE: } L = -\big[y \log p + (1 - y)\log(1 - p)\big]")
    st.latex(r"p = \sigma(z):\qquad \frac{\partial L_{\mathrm{MSE}}}{\partial z} = "
             r"2(p - y)\,p(1 - p),\qquad \frac{\partial L_{\mathrm{CE}}}{\partial z} = p - y")
    st.plotly_chart(charts.loss_functions(learn.loss_curves(y), p0, {
        "loss": t("learn_loss_vs_p"), "grad": t("learn_loss_grad_vs_p"),
        "mse": t("learn_loss_mse"), "ce": t("learn_loss_ce"), "p": t("learn_loss_p")}),
        key="lf_plot", config=PLOT_CONFIG)
    st.markdown(t("learn_loss_why"))
    st.plotly_chart(charts.mistake_race(
        learn.learn_from_mistake("mse", p0), learn.learn_from_mistake("ce", p0), {
            "mse": t("learn_loss_mse"), "ce": t("learn_loss_ce"), "step": t("learn_step"),
            "p": "p", "title": t("learn_loss_race", p=p0)}),
        key="lf_race", config=PLOT_CONFIG)


# =========================================================================================
# 5. Optimizers on a loss surface
# =========================================================================================

SURFACE_LATEX = {"bowl": r"L = \tfrac12 (w_1^2 + w_2^2)", "valley": r"L = 0.05\,w_1^2 + 2\,w_2^2",
                 "rosenbrock": r"L = (1 - w_1)^2 + 100\,(w_2 - w_1^2)^2",
                 "saddle": r"L = w_1^2 - w_2^2 + \tfrac14 w_2^4"}
OPT_LATEX = {
    "sgd": r"w \leftarrow w - \eta\, g",
    "momentum": r"m \leftarrow 0.9\, m - \eta\, g,\quad w \leftarrow w + m",
    "rmsprop": r"v \leftarrow 0.9\, v + 0.1\, g^2,\quad "
               r"w \leftarrow w - \frac{\eta\, g}{\sqrt{v + \epsilon}}",
    "adam": r"m \leftarrow m + 0.1 (g - m),\quad v \leftarrow v + 0.001 (g^2 - v) \\ "
            r"w \leftarrow w - \eta \frac{\sqrt{1 - 0.999^t}}{1 - 0.9^t}\,"
            r"\frac{m}{\sqrt{v} + \epsilon}",
}


@st.cache_data(show_spinner=False, max_entries=32)
def _sweep(surface: str, steps: int) -> dict:
    return learn.lr_sweep(surface, steps=steps)


@st.cache_data(show_spinner=False, max_entries=8)
def _surface_grid(surface: str) -> tuple:
    return learn.surface_grid(surface, 120)


def optimizers_section() -> None:
    st.header(t("learn_opt_title"))
    st.markdown(t("learn_opt_intro"))
    c = st.columns([1, 1.4, 1])
    surface = c[0].selectbox(t("learn_opt_surface"), tuple(learn.SURFACES), key="op_surface",
                             format_func=lambda s: t(f"learn_surf_{s}"))
    lr = c[1].select_slider(t("learn_opt_lr"), OPT_RATES, key="op_lr",
                            format_func=_g)
    steps = c[2].slider(t("learn_opt_steps"), 10, 1000, step=10, key="op_steps")
    chosen = st.pills(t("learn_opt_which"), tuple(learn.OPTIMIZERS), selection_mode="multi",
                      key="op_which", format_func=lambda o: t(f"learn_opt_{o}")) or []
    s = learn.get_surface(surface)
    st.latex(SURFACE_LATEX[surface] + rf",\quad \eta = {_g(lr)}")
    paths = [learn.descend(s, name, lr, steps) for name in chosen]
    names = {name: t(f"learn_opt_{name}") for name in learn.OPTIMIZERS}
    left, right = st.columns([3, 2])
    with left:
        xs, ys, f = _surface_grid(surface)
        st.plotly_chart(charts.surface_paths(xs, ys, f, paths, s.minima, {
            **names, "start": t("learn_opt_start"), "minimum": t("learn_opt_minimum"),
            "title": t(f"learn_surf_{surface}")}), key="op_surface_plot", config=PLOT_CONFIG)
    with right:
        if not chosen:
            st.info(t("learn_opt_none"))
        rows = [{t("learn_col_optimizer"): names[p.optimizer],
                 t("learn_col_status"): t(f"learn_status_{p.status}"),
                 t("learn_col_steps"): len(p.points) - 1,
                 t("learn_col_gap"): "–" if p.status == "diverged" else f"{p.gap:.2e}"}
                for p in paths]
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        for p in paths:
            if p.status == "diverged":
                st.error(t("learn_opt_diverged", name=names[p.optimizer],
                           n=len(p.points) - 1))
        st.caption(t("learn_opt_try"))
    with st.expander(t("learn_opt_rules"), expanded=False):
        cols = st.columns(2)
        for k, name in enumerate(learn.OPTIMIZERS):
            with cols[k % 2]:
                st.markdown(f"**{names[name]}**")
                st.latex(OPT_LATEX[name])
        st.caption(t("learn_opt_rules_note"))
    st.subheader(t("learn_opt_sweep_title"))
    st.markdown(t("learn_opt_sweep_intro", steps=steps))
    sweep = _sweep(surface, steps)
    st.plotly_chart(charts.lr_sweep(sweep, lr, {
        **names, "lr": t("learn_opt_lr"), "gap": t("learn_opt_gap"),
        "diverged": t("learn_status_diverged"), "title": t(f"learn_surf_{surface}")}),
        key="op_sweep", config=PLOT_CONFIG)
    st.markdown(_sweep_summary(sweep, steps, names))


def _sweep_summary(sweep: dict, steps: int, names: dict) -> str:
    lines = []
    rates = sweep["rates"]
    for name in learn.OPTIMIZERS:
        gaps = np.asarray(sweep[name])
        ok = rates[gaps < 1e-3]
        bad = rates[~np.isfinite(gaps)]
        if len(ok):
            text = t("learn_opt_sweep_ok", lo=_g(float(f"{ok.min():.2g}")),
                     hi=_g(float(f"{ok.max():.2g}")))
        else:
            text = t("learn_opt_sweep_never", steps=steps)
        if len(bad):
            text += t("learn_opt_sweep_bad", lr=_g(float(f"{bad.min():.2g}")))
        lines.append(f"- **{names[name]}**: {text}.")
    return "\n".join(lines)


# =========================================================================================
# 6. Overfitting remedies on the real CNN
# =========================================================================================

@st.cache_data(show_spinner=False)
def _remedies(mtime: float) -> dict | None:
    return load_remedies()


def _remedies_file() -> dict | None:
    from cvlib.learn_remedies import default_path
    path = default_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    return _remedies(mtime)


def _pct(v: float | None) -> float | None:
    return None if v is None else 100.0 * v


def _remedy_labels() -> dict:
    return {name: t(f"learn_rem_{name}") for name in REMEDIES}


def _start_remedy(name: str) -> None:
    from cvlib.train import JobBusy, TrainingJob, current_job
    from ui.jobs import watch_session

    ss = st.session_state
    mine = ss.get("rm_job")
    if mine is not None and mine.running:
        ss["rm_notice"] = ("warning", t("learn_rem_busy_self"))
        return
    if current_job() is not None:
        ss["rm_notice"] = ("error", t("learn_rem_busy"))
        return
    try:
        job = TrainingJob(remedy_config(name)).start()
    except JobBusy:
        ss["rm_notice"] = ("error", t("learn_rem_busy"))
        return
    except (ValueError, TypeError) as exc:
        ss["rm_notice"] = ("error", t("learn_bad_input", msg=str(exc)))
        return
    ss["rm_job"], ss["rm_job_name"] = job, name
    ss.pop("rm_notice", None)
    watch_session(job)


def _stop_remedy() -> None:
    job = st.session_state.get("rm_job")
    if job is not None and job.running:
        job.stop()


def remedies_section() -> None:
    st.header(t("learn_rem_title"))
    st.markdown(t("learn_rem_intro"))
    data = _remedies_file()
    if data is None:
        st.info(t("learn_rem_missing"))
        st.code("CVLIB_DATA_DIR=../shared/data python -m cvlib.learn_remedies", language="bash")
        return
    labels = _remedy_labels()
    runs = {k: v for k, v in data["runs"].items() if k in REMEDIES}
    c = st.columns([1, 3])
    c[0].radio(t("learn_rem_metric"), ["accuracy", "loss"], key="rm_metric",
               format_func=lambda m: t(f"learn_{m}"), horizontal=True)
    c[1].pills(t("learn_rem_show"), list(runs), selection_mode="multi",
               key="rm_show", format_func=labels.get)

    job = st.session_state.get("rm_job")
    running = job is not None and job.running
    c = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
    name = c[0].selectbox(t("learn_rem_rerun_which"), list(REMEDIES), key="rm_rerun",
                          format_func=labels.get)
    c[1].button(t("learn_rem_rerun"), key="rm_start", on_click=_start_remedy, args=(name,),
                disabled=running, type="primary", icon=":material/play_arrow:")
    c[2].button(t("learn_rem_stop"), key="rm_stop", on_click=_stop_remedy,
                disabled=not running, icon=":material/stop:")
    c[3].caption(t("learn_rem_rerun_help"))
    notice = st.session_state.get("rm_notice")
    if notice:
        getattr(st, notice[0])(notice[1])
    st.fragment(remedy_live, run_every=REMEDY_POLL if running else None)()

    rows = []
    for key, r in runs.items():
        h = r["history"]
        rows.append({
            t("learn_col_remedy"): labels[key], t("learn_col_epochs"): r.get("epochs_run"),
            t("learn_col_train_acc"): _pct((h.get("accuracy") or [None])[-1]),
            t("learn_col_val_acc"): _pct((h.get("val_accuracy") or [None])[-1]),
            t("learn_col_best_val"): _pct(max(h.get("val_accuracy") or [0])),
            t("learn_col_test_acc"): _pct(r.get("test_accuracy")),
            t("learn_col_seconds"): r.get("seconds")})
    pct = st.column_config.NumberColumn(format="%.1f%%")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        t("learn_col_train_acc"): pct, t("learn_col_val_acc"): pct,
        t("learn_col_best_val"): pct, t("learn_col_test_acc"): pct})
    st.markdown(t("learn_rem_reading"))
    with st.expander(t("learn_rem_commands"), expanded=False):
        st.caption(t("learn_rem_made_by", source=data.get("data_source", "?"),
                     tf=data.get("tensorflow", "?"), when=data.get("created", "?")))
        st.code("CVLIB_DATA_DIR=../shared/data " + data.get("command", ""), language="bash")
        st.caption(t("learn_rem_each"))
        st.code("\n".join(f"# {labels[n]}\n{r['command']}" for n, r in runs.items()),
                language="bash")


def remedy_live() -> None:
    """The curves, with this session's live rerun drawn over them as it trains.

    A plain function: it runs in a fragment that polls every ``REMEDY_POLL`` seconds
    while the rerun trains.
    """
    ss = st.session_state
    data = _remedies_file()
    if data is None:
        return
    labels = _remedy_labels()
    runs = {k: v for k, v in data["runs"].items() if k in REMEDIES}
    metric = ss.get("rm_metric", "accuracy")
    shown = [k for k in (ss.get("rm_show") or []) if k in runs] \
        if "rm_show" in ss else list(runs)
    job = ss.get("rm_job")
    snap = job.snapshot() if job is not None else None
    if snap is not None:
        name = labels.get(ss.get("rm_job_name"), "")
        if snap.status == "failed":
            st.error(t("learn_rem_failed", err=snap.error))
        elif snap.done:
            result = job.result
            acc = f"{result.test_accuracy:.2%}" if result is not None else "–"
            st.success(t("learn_rem_done", name=name, acc=acc,
                         n=len(snap.history.get("loss", []))))
        elif snap.epoch == 0:
            st.progress(0.0, text=t("learn_rem_loading", name=name))
        else:
            st.progress(snap.fraction, text=t("learn_rem_progress", name=name,
                                              epoch=snap.epoch, epochs=snap.epochs))
    curve_labels = {**labels, "train": t("learn_rem_train_curves"),
                    "val": t("learn_rem_val_curves"), "epoch": t("learn_epoch"),
                    "live": t("learn_rem_live_series")}
    st.plotly_chart(charts.remedy_curves({k: runs[k]["history"] for k in shown}, metric,
                                         curve_labels,
                                         live=snap.history if snap is not None else None),
                    key="rm_plot", config=PLOT_CONFIG)
    if metric == "loss":
        st.caption(t("learn_rem_loss_note"))
    # When the job ends, rerun the whole page once: the timer stops and the buttons get
    # their state back.
    if snap is not None and snap.done and ss.get("rm_shown_done") is not job:
        ss["rm_shown_done"] = job
        st.rerun()


# =========================================================================================
# 7. RNN in one picture
# =========================================================================================

def _parse_sequence(text: str) -> list[float]:
    parts = [p for p in re.split(r"[,\s;，；]+", text.strip()) if p]
    if not parts:
        raise ValueError(t("learn_rnn_empty"))
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(t("learn_rnn_not_numbers")) from None
    if len(values) > 12:
        raise ValueError(t("learn_rnn_too_long", n=len(values)))
    if not all(np.isfinite(values)) or max(abs(v) for v in values) > 100:
        raise ValueError(t("learn_rnn_range"))
    return values


def rnn_section() -> None:
    st.header(t("learn_rnn_title"))
    st.markdown(t("learn_rnn_intro"))
    c = st.columns([2, 1, 1, 1])
    text = c[0].text_input(t("learn_rnn_sequence"), key="rn_seq",
                           help=t("learn_rnn_sequence_help"))
    w_x = c[1].slider("wₓ", -3.0, 3.0, step=0.1, key="rn_wx")
    w_h = c[2].slider("wₕ", -2.0, 2.0, step=0.1, key="rn_wh")
    b = c[3].slider("b", -2.0, 2.0, step=0.1, key="rn_b")
    try:
        xs = _parse_sequence(text)
    except ValueError as exc:
        st.error(str(exc))
        return
    out = learn.rnn_unroll(xs, w_x, w_h, b)
    st.latex(r"h_t = \tanh(w_x\, x_t + w_h\, h_{t-1} + b)")
    st.latex(rf"h_1 = \tanh({_num(w_x, 2)} \cdot {_num(xs[0], 2)} + {_num(w_h, 2)} \cdot "
             rf"{_num(out['h'][0], 3)} + {_num(b, 2)}) = \tanh({_num(out['z'][0], 3)}) = "
             rf"{_num(out['h'][1], 4)}")
    st.plotly_chart(charts.rnn_unrolled(out, {"title": t("learn_rnn_picture")}),
                    key="rn_plot", config=PLOT_CONFIG)
    table = pd.DataFrame({"t": np.arange(1, len(xs) + 1), "xₜ": out["x"], "zₜ": out["z"],
                          "hₜ": out["h"][1:]})
    st.dataframe(table.set_index("t").T, width="stretch")
    st.markdown(t("learn_rnn_explain"))
    from streamlit.errors import StreamlitAPIException
    try:
        st.page_link("pages/video.py", label=t("learn_rnn_video_link"),
                     icon=":material/movie:")
    except StreamlitAPIException:      # the Video page is not in the navigation (yet)
        st.caption(t("learn_rnn_video_later"))


# =========================================================================================
# the page
# =========================================================================================

RENDER = {"neuron": neuron_section, "backprop": backprop_section,
          "playground": playground_section, "losses": losses_section,
          "optimizers": optimizers_section, "remedies": remedies_section, "rnn": rnn_section}


# Every widget's starting value. Widgets get their value from here through
# st.session_state (never a default argument as well), and keep_state() re-stores them on
# every run: Streamlit forgets the state of widgets that a run does not draw, and only one
# section is drawn at a time.
def _defaults() -> dict:
    return {
        "learn_section": "neuron",
        "ln_act": "sigmoid", "ln_w": 1.0, "ln_b": 0.0, "ln_x": 1.0,
        **{k: float(v) for k, v in _bp_keys().items()},
        "bp_hidden": "sigmoid", "bp_output": "sigmoid",
        **PG_DEFAULTS,
        "lf_p": 0.05,
        "op_surface": "bowl", "op_lr": 0.1, "op_steps": 100,
        "op_which": list(learn.OPTIMIZERS),
        "rm_metric": "accuracy", "rm_show": list(REMEDIES), "rm_rerun": "none",
        "rn_seq": "1, 0, 0, 0, 0, -1, 0, 0", "rn_wx": 1.5, "rn_wh": 0.8, "rn_b": 0.0,
    }


def keep_state() -> None:
    ss = st.session_state
    for key, value in _defaults().items():
        ss[key] = ss[key] if key in ss else value


def render() -> None:
    keep_state()
    st.title(t("learn_title"))
    st.write(t("learn_intro"))
    section = st.segmented_control(
        t("learn_section"), SECTIONS, key="learn_section", required=True,
        format_func=lambda s: t(f"learn_sec_{s}"), label_visibility="collapsed")
    RENDER[section or "neuron"]()


if __name__ == "__main__":
    render()
