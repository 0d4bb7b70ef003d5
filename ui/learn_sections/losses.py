"""Learn page, section: Loss functions side by side: MSE, MAE, cross-entropy."""

from __future__ import annotations

import streamlit as st

from cvlib import learn
from ui import learn_charts as charts
from ui.i18n import t
from ui.learn_sections.common import PLOT_CONFIG, _num


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
