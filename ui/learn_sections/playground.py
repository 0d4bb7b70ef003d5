"""Learn page, section: the playground, a small MLP trained live on 2-D points (as in
TensorFlow Playground)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cvlib import learn
from ui import learn_charts as charts
from ui.i18n import t, translated
from ui.learn_sections.common import (
    PG_BATCHES,
    PG_PENALTIES,
    PG_POINTS,
    PG_RATES,
    PG_WIDTHS,
    PLOT_CONFIG,
    RUN_STEPS,
    STEPS_PER_TICK,
    TICK_SECONDS,
    _g,
)

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
    dataset = c[0].selectbox(t("learn_pg_dataset"), learn.DATASETS, key=translated("pg_dataset"),
                             format_func=lambda d: t(f"learn_ds_{d}"))
    noise = c[1].slider(t("learn_pg_noise"), 0.0, 0.5, step=0.05, key="pg_noise")
    c = st.columns(2)
    points = c[0].select_slider(t("learn_pg_points"), PG_POINTS, key="pg_points")
    test = c[1].slider(t("learn_pg_test"), 0.1, 0.9, step=0.1, key="pg_test")
    c = st.columns(2)
    act = c[0].selectbox(t("learn_activation"), learn.ACTIVATIONS, key=translated("pg_act"),
                         format_func=lambda a: t(f"learn_act_{a}"))
    layers = c[1].slider(t("learn_pg_layers"), 0, 4, key="pg_layers")
    widths = []
    if layers:
        c = st.columns(4)
        for i in range(layers):
            widths.append(c[i].select_slider(t("learn_pg_width", i=i + 1), PG_WIDTHS,
                                             key=f"pg_w{i}"))
    c = st.columns(2)
    opt = c[0].selectbox(t("learn_pg_optimizer"), tuple(learn.OPTIMIZERS), key=translated("pg_opt"),
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
