"""Learn page, section: A recurrent neuron unrolled over a short sequence."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from cvlib import learn
from ui import learn_charts as charts
from ui.i18n import t
from ui.learn_sections.common import PLOT_CONFIG, _num


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
    import pandas as pd  # here, not at the top: the first visit of Learn skips pandas
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
