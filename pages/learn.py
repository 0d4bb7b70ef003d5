"""Learn page: the algorithm behind everything else, with real numbers.

Forward propagation, back-propagation and gradient descent, in the subject's order, in
seven sections; one is shown at a time (the selector keeps the page fast). Page =
controls -> cvlib.learn -> render: every number comes from ``cvlib.learn`` (NumPy),
figures from ``ui.learn_charts``, texts from ``ui.i18n``. The playground and the live
remedy rerun advance in fragments that rerun on a timer; their bodies
(:func:`playground_live`, :func:`remedy_live`) are plain functions that tests call.
"""

from __future__ import annotations

import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py


from cvlib import learn
from cvlib.learn_remedies import REMEDIES
from ui.i18n import t
from ui.learn_sections import backprop, losses, neuron, optimizers, playground, remedies, rnn
from ui.learn_sections.common import SECTIONS
from ui.learn_sections.playground import PG_DEFAULTS, playground_live  # noqa: F401 (tests)
from ui.learn_sections.remedies import remedy_live  # noqa: F401 (tests call the body)

RENDER = {"neuron": neuron.neuron_section, "backprop": backprop.backprop_section,
          "playground": playground.playground_section, "losses": losses.losses_section,
          "optimizers": optimizers.optimizers_section, "remedies": remedies.remedies_section,
          "rnn": rnn.rnn_section}


# Every widget's starting value. Widgets get their value from here through
# st.session_state (never a default argument as well), and keep_state() re-stores them on
# every run: Streamlit forgets the state of widgets that a run does not draw, and only one
# section is drawn at a time.
def _defaults() -> dict:
    return {
        "learn_section": "neuron",
        "ln_act": "sigmoid", "ln_w": 1.0, "ln_b": 0.0, "ln_x": 1.0,
        **{k: float(v) for k, v in backprop._bp_keys().items()},
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
