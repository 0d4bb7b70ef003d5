"""Learn page, section: One neuron: y = f(wx + b) with its activation and gradient, plotted."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cvlib import learn
from ui import learn_charts as charts
from ui.i18n import t, translated
from ui.learn_sections.common import ACT_LATEX, ACT_SYMBOL, PLOT_CONFIG, _num


def neuron_section() -> None:
    st.header(t("learn_neuron_title"))
    st.markdown(t("learn_neuron_intro"))
    left, right = st.columns([1, 2])
    with left:
        act = st.selectbox(t("learn_activation"), learn.ACTIVATIONS, key=translated("ln_act"),
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
