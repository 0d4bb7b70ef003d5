"""Learn page, section: Gradient descent and its optimizers on 2-D loss surfaces."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cvlib import learn
from ui import learn_charts as charts
from ui.i18n import t, translated
from ui.learn_sections.common import OPT_RATES, PLOT_CONFIG, _g

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
    import pandas as pd  # here, not at the top: the first visit of Learn skips pandas
    st.header(t("learn_opt_title"))
    st.markdown(t("learn_opt_intro"))
    c = st.columns([1, 1.4, 1])
    surface = c[0].selectbox(t("learn_opt_surface"), tuple(learn.SURFACES),
                             key=translated("op_surface"),
                             format_func=lambda s: t(f"learn_surf_{s}"))
    lr = c[1].select_slider(t("learn_opt_lr"), OPT_RATES, key="op_lr",
                            format_func=_g)
    steps = c[2].slider(t("learn_opt_steps"), 10, 1000, step=10, key="op_steps")
    chosen = st.pills(t("learn_opt_which"), tuple(learn.OPTIMIZERS), selection_mode="multi",
                      key=translated("op_which"), format_func=lambda o: t(f"learn_opt_{o}")) or []
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
