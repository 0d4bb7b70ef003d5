"""Train page: train the worked-example CNN from scratch, live, and inspect the result.

Page = controls() -> cvlib call -> show(). No model maths here: cvlib.train does the work
in a background TrainingJob; this page polls job.snapshot() in a fragment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py

from cvlib import CVLibError
from cvlib.codegen import keras_script
from cvlib.data import CLASS_NAMES, DatasetUnavailable, load_dataset
from cvlib.runs import RunNotFound, RunStore, history_to_csv
from cvlib.export import run_model_bytes
from cvlib.train import (BATCH_SIZE_CHOICES, FILTER_CHOICES, LEARNING_RATE_STEPS,
                         LIVE_DATASETS, LIVE_OPTIMIZERS, LIVE_SCHEDULES, TrainConfig,
                         TrainingJob)
from ui import charts
from ui.downloads import CSV_MIME, csv_bytes
from ui.i18n import t, translated
from ui.handoff import open_in
from ui.job_panel import JobPanel
from ui.state import keep_settings

BATCH_SIZES = list(BATCH_SIZE_CHOICES)
LEARNING_RATES = list(LEARNING_RATE_STEPS)
POLL_SECONDS = 0.5    # progress bar
CHART_SECONDS = 1.0   # live curves


@st.cache_data(show_spinner=False)
def _dataset_facts(name: str) -> dict:
    """How many training images the offline chain offers, and from where."""
    x, _, info = load_dataset(name, "train")
    return {"n": int(len(x)), "subset": info.subset, "source": info.source,
            "class_names": info.class_names}


@st.cache_data(show_spinner=False, max_entries=8)
def _summary(filters: tuple, dense: int, dropout: float, batchnorm: bool) -> tuple[list, int]:
    from cvlib.nets.cnn import CNNSpec, summary
    return summary(CNNSpec(filters=filters, dense=dense, dropout=dropout, batchnorm=batchnorm))


def _store() -> RunStore:
    return RunStore()


# --- controls -----------------------------------------------------------------------

@dataclass
class Controls:
    config: TrainConfig | None
    error: str
    subset: bool
    dataset_missing: str


def controls() -> Controls:
    sb = st.sidebar
    sb.subheader(t("sec_data"))
    dataset = sb.selectbox(t("dataset"), list(LIVE_DATASETS), key=translated("tr_dataset"),
                           format_func=lambda d: t(f"ds_{d}"))
    try:
        facts = _dataset_facts(dataset)
    except DatasetUnavailable as exc:
        return Controls(None, "", False, str(exc))
    n_avail = facts["n"]
    default_size = min(n_avail, 60000)
    train_size = sb.select_slider(
        t("train_size"), key=f"tr_size_{dataset}_{n_avail}",
        options=_size_options(n_avail), value=default_size, format_func=lambda n: f"{n:,}")
    val_split = sb.slider(t("validation_split"), 0.0, 0.3, 0.1, 0.05, key="tr_val")

    sb.subheader(t("sec_model"))
    sb.caption(t("seed_arch_note"))
    c1, c2, c3 = sb.columns(3)
    f1 = c1.selectbox(t("filters1"), FILTER_CHOICES, index=FILTER_CHOICES.index(32), key="tr_f1")
    f2 = c2.selectbox(t("filters2"), FILTER_CHOICES, index=FILTER_CHOICES.index(64), key="tr_f2")
    f3 = c3.selectbox(t("filters3"), FILTER_CHOICES, index=FILTER_CHOICES.index(64), key="tr_f3")
    dense = sb.select_slider(t("dense"), [16, 32, 64, 128, 256], value=64, key="tr_dense")
    dropout = sb.slider(t("dropout"), 0.0, 0.7, 0.0, 0.05, key="tr_dropout")
    batchnorm = sb.checkbox(t("batchnorm"), key="tr_bn")
    if batchnorm:
        sb.caption(t("batchnorm_note"))
    reg_options = [0.0, 1e-5, 1e-4, 1e-3, 1e-2]
    l1 = sb.select_slider(t("l1"), reg_options, value=0.0, key="tr_l1", format_func=_fmt_reg)
    l2 = sb.select_slider(t("l2"), reg_options, value=0.0, key="tr_l2", format_func=_fmt_reg)

    sb.subheader(t("sec_training"))
    epochs = sb.slider(t("epochs"), 1, 30, 5, key="tr_epochs")
    n_train = train_size - int(round(train_size * val_split))
    batch_options = [b for b in BATCH_SIZES if b <= n_train] or [BATCH_SIZES[0]]
    batch_size = sb.select_slider(t("batch_size"), batch_options,
                                  value=64 if 64 in batch_options else batch_options[-1],
                                  key="tr_batch")
    lr = sb.select_slider(t("learning_rate"), LEARNING_RATES, value=1e-3, key="tr_lr",
                          format_func=lambda v: f"{v:g}")
    optimizer = sb.selectbox(t("optimizer"), list(LIVE_OPTIMIZERS),
                             key=translated("tr_opt"), format_func=lambda o: t(f"opt_{o}"))
    schedule = sb.radio(t("lr_schedule"), list(LIVE_SCHEDULES), key="tr_sched",
                        format_func=lambda s: t(f"sched_{s}"), horizontal=True)
    augment = sb.checkbox(t("augment"), key="tr_aug")
    early = sb.checkbox(t("early_stopping"), key="tr_early", disabled=val_split == 0)
    patience = sb.slider(t("patience"), 1, 10, 2, key="tr_patience",
                         disabled=not early or val_split == 0)
    try:
        config = TrainConfig(
            dataset=dataset, train_size=None if train_size >= n_avail else int(train_size),
            validation_split=float(val_split), filters=(f1, f2, f3), dense=int(dense),
            dropout=float(dropout), batchnorm=batchnorm, l1=float(l1), l2=float(l2),
            epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(lr),
            lr_schedule=schedule, optimizer=optimizer, augment=augment,
            early_stopping=bool(early and val_split > 0), patience=int(patience))
    except (ValueError, TypeError) as exc:
        return Controls(None, str(exc), facts["subset"], "")
    return Controls(config, "", facts["subset"], "")


def _size_options(n_avail: int) -> list[int]:
    steps = [500, 1000, 2000, 5000, 10000, 20000, 30000, 60000]
    return sorted({s for s in steps if s < n_avail} | {n_avail})


def _fmt_reg(v: float) -> str:
    return "0" if v == 0 else f"{v:g}"


# --- job control --------------------------------------------------------------------

def _follow(job) -> None:
    st.session_state["result_run"] = job.run_id   # results follow the new run


PANEL = JobPanel("train", poll=POLL_SECONDS, on_started=_follow)


def _curve_labels() -> dict:
    return {"loss": t("chart_loss"), "accuracy": t("chart_accuracy"), "epoch": t("chart_epoch"),
            "train": t("train_series"), "validation": t("val_series")}


def live_progress_body() -> None:
    """Progress bar and status of this session's job (a fragment, every 0.5 s)."""
    PANEL.progress_body(t("live_title"))


def live_curves_body() -> None:
    """Live loss/accuracy curves (a fragment, every second: redrawing the chart costs the
    browser CPU that training shares on a laptop; see bench/RESULTS.md)."""
    job = PANEL.job
    if job is None:
        return
    snap = job.snapshot()
    st.plotly_chart(charts.training_curves(snap.history, snap.batches, snap.steps_per_epoch,
                                           _curve_labels(), epochs=snap.epochs),
                    key="live_curves", config={"displayModeBar": False})


# --- results ------------------------------------------------------------------------

def _class_names(record) -> list[str]:
    return CLASS_NAMES.get(record.config.get("dataset", "mnist"), [str(i) for i in range(10)])


@st.cache_data(show_spinner=False, max_entries=4)
def _test_images(dataset: str, run_id: str) -> np.ndarray | None:
    # the pictures this run was evaluated on; None when the data found now is other data
    return RunStore().get(run_id).test_images()


def show_results(store: RunStore, runs: list) -> None:
    st.header(t("results_title"))
    ids = [r.run_id for r in runs]
    if st.session_state.get("result_run") not in ids:
        st.session_state["result_run"] = ids[0]    # newest
    labels = {r.run_id: _run_label(r) for r in runs}
    run_id = st.selectbox(t("choose_run"), ids, key=translated("result_run"),
                          format_func=labels.get)
    record = next(r for r in runs if r.run_id == run_id)
    m = record.metrics
    if record.status.get("status") == "running":
        st.info(t("status_running"))
        return
    cols = st.columns(4)
    if "test_accuracy" in m:
        cols[0].metric(t("test_accuracy"), f"{m['test_accuracy']:.2%}")
        cols[1].metric(t("test_loss"), f"{m['test_loss']:.4f}")
        cols[2].metric(t("train_time"), f"{m['seconds']:.1f} s")
        cols[3].metric(t("throughput"), f"{m['images_per_second']:,.0f}")
    if record.history:
        st.plotly_chart(charts.training_curves(record.history, labels=_curve_labels()),
                        key=f"hist_{run_id}", config={"displayModeBar": False})
    names = _class_names(record)
    preds = record.predictions()
    if preds is not None:
        probs, labels = preds
        show_confusion(record, probs, labels, names)
        show_mistakes(record, probs, labels, names)
    show_downloads(record)
    show_code(record)
    if st.button(t("delete_run"), key=f"del_{run_id}", icon=":material/delete:"):
        try:
            store.delete(run_id)
            st.session_state["train_notice"] = ("success", t("deleted", run=run_id))
        except RunNotFound:
            pass
        st.rerun()


def show_confusion(record, probs, labels, names) -> None:
    from cvlib.train import confusion_matrix
    st.subheader(t("cm_title"))
    st.caption(t("cm_help"))
    pred = probs.argmax(1)
    cm = confusion_matrix(labels, pred, len(names))
    left, right = st.columns([3, 2])
    with left:
        event = st.plotly_chart(
            charts.confusion_heatmap(cm, names, t("cm_true"), t("cm_pred")),
            key=f"cm_{record.run_id}", on_select="rerun", selection_mode="points",
            config={"displayModeBar": False})
    true_key, pred_key = f"cm_t_{record.run_id}", f"cm_p_{record.run_id}"
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        p = points[0]
        st.session_state[true_key] = names.index(str(p["y"]))
        st.session_state[pred_key] = names.index(str(p["x"]))
    if true_key not in st.session_state:
        # Start on the most frequent mistake: the most interesting cell.
        off = cm.copy()
        np.fill_diagonal(off, 0)
        ti, pi = np.unravel_index(off.argmax(), off.shape)
        st.session_state[true_key], st.session_state[pred_key] = int(ti), int(pi)
    with right:
        a, b = st.columns(2)
        ti = a.selectbox(t("cm_true"), range(len(names)), key=true_key,
                         format_func=lambda i: names[i])
        pi = b.selectbox(t("cm_pred"), range(len(names)), key=pred_key,
                         format_func=lambda i: names[i])
        idx = np.flatnonzero((labels == ti) & (pred == pi))
        st.write(t("cell_images", t=names[ti], p=names[pi], n=len(idx)))
        if len(idx) == 0:
            st.caption(t("cell_empty"))
        else:
            x = _test_images(record.config.get("dataset", "mnist"), record.run_id)
            idx = idx[np.argsort(-probs[idx, pi])][:24]
            if x is None:
                st.info(t("pictures_unavailable"))
                return
            st.image([x[i] for i in idx], width=56,
                     caption=[f"{probs[i, pi]:.0%}" for i in idx])


def show_mistakes(record, probs, labels, names) -> None:
    st.subheader(t("mistakes_title"))
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != labels)
    if len(wrong) == 0:
        st.caption(t("cell_empty"))
        return
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])][:16]
    x = _test_images(record.config.get("dataset", "mnist"), record.run_id)
    if x is None:
        st.info(t("pictures_unavailable"))
        return
    st.image([x[i] for i in wrong], width=72,
             caption=[t("mistake_caption", t=names[labels[i]], p=names[pred[i]],
                        s=float(probs[i, pred[i]])) for i in wrong])


def show_downloads(record) -> None:
    st.subheader(t("downloads_title"))
    if not record.weights_path.exists():
        st.caption(t("no_weights"))
        return
    stem = f"cvlab_{record.config.get('dataset', 'mnist')}_{record.run_id}"
    a, b, c = st.columns(3)
    a.download_button(t("dl_weights"), data=lambda: run_model_bytes(record, "weights.h5"),
                      file_name=f"{stem}.weights.h5", mime="application/octet-stream",
                      key=f"dlw_{record.run_id}", on_click="ignore")
    b.download_button(t("dl_model"), data=lambda: run_model_bytes(record, "keras"),
                      file_name=f"{stem}.keras", mime="application/zip",
                      key=f"dlm_{record.run_id}", on_click="ignore")
    c.download_button(t("dl_history"), data=csv_bytes(history_to_csv(record.history)),
                      file_name=f"{stem}_history.csv", mime=CSV_MIME,
                      key=f"dlh_{record.run_id}", on_click="ignore")
    if record.status.get("status") in ("finished", "stopped") and st.button(
            t("open_in_recognize"), key=f"rec_{record.run_id}", icon=":material/image_search:"):
        # The Recognize page lists runs with weights as "run:<id>" in its model choice.
        open_in("recognize", "pages/recognize.py", rec_model=f"run:{record.run_id}")


def show_code(record) -> None:
    with st.expander(t("code_title")):
        st.caption(t("code_help"))
        config = TrainConfig.from_dict(record.config)
        code = keras_script(config, title=f"run {record.run_id}")
        st.code(code, language="python")
        st.download_button(t("dl_code"), data=code, file_name=f"train_{record.run_id}.py",
                           mime="text/x-python", key=f"dlc_{record.run_id}", on_click="ignore")


def _run_label(r) -> str:
    # Only what never changes during a run: a label that changes confuses the widget.
    c = r.config
    size = f"{c['train_size']:,}" if c.get("train_size") else "all"
    return (f"{r.run_id} · {c.get('dataset', '?')} · {size} images · {c.get('epochs')} epochs "
            f"· {c.get('optimizer')} {c.get('learning_rate')}")


def runs_table(runs: list) -> None:
    st.header(t("runs_title"))
    st.caption(t("runs_folder", path=str(_store().root)))
    rows = []
    for r in runs:
        c = r.config
        extras = [k for k, on in (("dropout", c.get("dropout")), ("L1", c.get("l1")),
                                  ("L2", c.get("l2")), ("BN", c.get("batchnorm")),
                                  ("aug", c.get("augment")), ("early", c.get("early_stopping")))
                  if on]
        val = r.history.get("val_accuracy") or [None]
        rows.append({
            t("col_run"): r.run_id, t("col_status"): t(f"status_{r.status.get('status', 'failed')}")
            if r.status.get("status") in ("running", "stopped", "finished", "failed") else "?",
            t("col_dataset"): c.get("dataset"),
            # text, not "all" mixed with numbers: one type per column (Arrow)
            t("train_size"): f"{c['train_size']:,}" if c.get("train_size") else "all",
            t("col_epochs"): len(r.history.get("loss", [])), t("col_optimizer"): c.get("optimizer"),
            t("col_lr"): c.get("learning_rate"), t("col_batch"): c.get("batch_size"),
            t("col_extras"): ", ".join(extras), t("col_val_acc"): val[-1],
            t("col_accuracy"): r.metrics.get("test_accuracy"),
            t("col_time"): r.metrics.get("seconds")})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={t("col_accuracy"): st.column_config.NumberColumn(format="percent"),
                                t("col_val_acc"): st.column_config.NumberColumn(format="percent")})


# --- page ---------------------------------------------------------------------------

def render() -> None:
    keep_settings("tr_*", "result_run")      # they survive a visit to another page
    st.title(t("train_title"))
    st.write(t("train_intro"))
    ctl = controls()
    if ctl.dataset_missing:
        st.error(ctl.dataset_missing)
        return
    if ctl.subset:
        st.warning(t("subset_banner", name=t(f"ds_{st.session_state.get('tr_dataset', 'mnist')}")),
                   icon=":material/cloud_off:")
    config = ctl.config
    PANEL.buttons(None if config is None else lambda: TrainingJob(config, store=_store()))
    if ctl.error:
        st.error(ctl.error)
    PANEL.progress(t("live_title"))
    PANEL.live(live_curves_body, every=CHART_SECONDS)

    if ctl.config is not None:
        with st.expander(t("summary_title"), expanded=False):
            rows, total = _summary(ctl.config.filters, ctl.config.dense, ctl.config.dropout,
                                   ctl.config.batchnorm)
            st.write(t("params_total", n=total))
            st.dataframe(pd.DataFrame(rows, columns=[t("col_layer"), t("col_type"),
                                                     t("col_output"), t("col_params")]),
                         hide_index=True, width="stretch")

    store = _store()
    runs = store.list()
    if not runs:
        st.info(t("runs_empty"))
        return
    try:
        show_results(store, runs)
    except (CVLibError, OSError) as exc:
        st.error(str(exc))
    runs_table(store.list())


render()
