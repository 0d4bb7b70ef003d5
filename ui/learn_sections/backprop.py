"""Learn page, section: the back-propagation stepper.

A small network's forward pass, chain rule and update, one step at a time, checked against
tf.GradientTape.
"""

from __future__ import annotations

import re
from dataclasses import asdict

import numpy as np
import streamlit as st

from cvlib import learn
from ui import learn_charts as charts
from ui.i18n import t, translated
from ui.learn_sections.common import ACT_GRAD_LATEX, ACT_SYMBOL, BP_STEPS, PLOT_CONFIG, _num

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
        a.selectbox(t("learn_bp_hidden_act"), learn.ACTIVATIONS, key=translated("bp_hidden"),
                    format_func=lambda v: t(f"learn_act_{v}"))
        b.selectbox(t("learn_bp_output_act"), learn.OUTPUTS, key=translated("bp_output"),
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


def _chain(lhs: str, *steps: str) -> str:
    """LaTeX for ``lhs = steps[0] = steps[1] ...``, one step a line (aligned at "="), so
    that a long chain of numbers wraps instead of running out of its column."""
    return (r"\begin{aligned} " + lhs + " &= " + r" \\ &= ".join(steps) +
            r" \end{aligned}")


def _bp_explain(tr: learn.Trace, step: int) -> None:
    """The formulas of the current step, with the numbers filled in."""
    import pandas as pd  # here, not at the top: the first visit of Learn skips pandas
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
        st.latex(_chain(rf"z_{j + 1}",
                        rf"w^{{(1)}}_{{1{j + 1}}} x_1 + w^{{(1)}}_{{2{j + 1}}} x_2 + "
                        rf"b^{{(1)}}_{j + 1}",
                        rf"{_num(w1[0, j], 3)} \cdot {_num(x[0], 3)} + {_num(w1[1, j], 3)} "
                        rf"\cdot {_num(x[1], 3)} + {_num(b1[j], 3)}",
                        _num(tr.z1[j])))
        st.latex(rf"h_{j + 1} = {f}(z_{j + 1}) = {f}({_num(tr.z1[j])}) = {_num(tr.a1[j])}")
    elif step == 4:
        st.markdown(t("learn_bp_fwd_out"))
        terms = [rf"{_num(w2[j], 3)} \cdot {_num(tr.a1[j])}" for j in range(3)]
        # one term pair a line: the whole sum on one line is cut off in the column
        st.latex(_chain(r"z_o", r"\sum_j w^{(2)}_j h_j + b^{(2)}",
                        f"{terms[0]} + {terms[1]}" + r" \\ &\quad + " +
                        f"{terms[2]} + {_num(net.b2, 3)}", _num(tr.z2)))
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
    import pandas as pd  # here, not at the top: the first visit of Learn skips pandas
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
