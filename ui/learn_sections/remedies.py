"""Learn page, section: Overfitting remedies measured on the real CNN, with a live rerun."""

from __future__ import annotations

import streamlit as st

from cvlib.learn_remedies import REMEDIES, load_remedies, remedy_config
from ui import learn_charts as charts
from ui.i18n import t, translated
from ui.job_panel import JobPanel
from ui.learn_sections.common import PLOT_CONFIG, REMEDY_POLL


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


PANEL = JobPanel("rm", poll=REMEDY_POLL)


def _remedy_job(name: str):
    """A function that makes the rerun's TrainingJob (the panel starts it)."""
    def make():
        from cvlib.train import TrainingJob
        job = TrainingJob(remedy_config(name))
        st.session_state["rm_job_name"] = name
        return job
    return make


def remedies_section() -> None:
    import pandas as pd  # here, not at the top: the first visit of Learn skips pandas
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

    c = st.columns([2, 1, 1, 3], vertical_alignment="bottom")
    name = c[0].selectbox(t("learn_rem_rerun_which"), list(REMEDIES), key=translated("rm_rerun"),
                          format_func=labels.get)
    c[3].caption(t("learn_rem_rerun_help"))
    PANEL.buttons(_remedy_job(name), t("learn_rem_rerun"), t("learn_rem_stop"),
                  places=(c[1], c[2]))
    PANEL.live(remedy_live, every=REMEDY_POLL)

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
    if snap is not None and not PANEL.queue_body(snap):   # waiting: its place in the queue
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
    PANEL.rerun_when_done(snap)
