"""Train page: train the worked-example CNN from scratch, live, and inspect the result.

Length (~490 lines, on purpose): controls, the shared job panel, the results (curves,
clickable confusion matrix with its drill-down, mistakes, downloads, copy as code) and the
runs table are one flow that a reader follows top to bottom; shared parts are in ui/.

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
from cvlib.export import run_model_bytes
from cvlib.runs import RunNotFound, RunNotYours, RunStore, history_to_csv, runs_dir
from cvlib.train import (
    BATCH_SIZE_CHOICES,
    FILTER_CHOICES,
    LEARNING_RATE_STEPS,
    LIVE_DATASETS,
    LIVE_OPTIMIZERS,
    LIVE_SCHEDULES,
    PAGE_RECIPE,
    TrainConfig,
    TrainingJob,
)
from ui import charts
from ui.downloads import CSV_MIME, csv_bytes
from ui.handoff import open_in
from ui.i18n import t, translated
from ui.job_panel import JobPanel
from ui.models import user_message
from ui.owner import owner_label, run_store, teacher_panel, teacher_view
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
    # this browser's runs (ui/owner.py), or every run in the teacher view
    return run_store()


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
        # here, in the data section, only: the results and the runs table stay shown
        sb.error(user_message(exc), icon=":material/cloud_off:")
        return Controls(None, "", False, user_message(exc))
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
    epochs = sb.slider(t("epochs"), 1, 30, PAGE_RECIPE["epochs"], key="tr_epochs")
    n_train = train_size - int(round(train_size * val_split))
    batch_options = [b for b in BATCH_SIZES if b <= n_train] or [BATCH_SIZES[0]]
    batch_size = sb.select_slider(t("batch_size"), batch_options,
                                  value=PAGE_RECIPE["batch_size"] if PAGE_RECIPE["batch_size"]
                                  in batch_options else batch_options[-1],
                                  key="tr_batch")
    lr = sb.select_slider(t("learning_rate"), LEARNING_RATES,
                          value=PAGE_RECIPE["learning_rate"], key="tr_lr",
                          format_func=lambda v: f"{v:g}")
    optimizer = sb.selectbox(t("optimizer"), list(LIVE_OPTIMIZERS),
                             key=translated("tr_opt"), format_func=lambda o: t(f"opt_{o}"))
    schedule = sb.radio(t("lr_schedule"), list(LIVE_SCHEDULES), key="tr_sched",
                        format_func=lambda s: t(f"sched_{s}"), horizontal=True,
                        index=LIVE_SCHEDULES.index(PAGE_RECIPE["lr_schedule"]))
    smoothing = sb.select_slider(t("label_smoothing"), [0.0, 0.05, 0.1, 0.2, 0.3],
                                 value=PAGE_RECIPE["label_smoothing"], key="tr_smooth",
                                 help=t("label_smoothing_help"))
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
            label_smoothing=float(smoothing), early_stopping=bool(early and val_split > 0),
            patience=int(patience))
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
            "train": t("train_series"), "validation": t("val_series"),
            "train_batches": t("train_batches_series")}


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
        st.info(t(f"status_{_shown_status(record)}"))
        return
    if record.status.get("status") == "interrupted":
        st.warning(t("run_interrupted"), icon=":material/power_off:")
    cols = st.columns(4)
    if "test_accuracy" in m:
        cols[0].metric(t("test_accuracy"), f"{m['test_accuracy']:.2%}")
        cols[1].metric(t("test_loss"), f"{m['test_loss']:.4f}")
        cols[2].metric(t("train_time"), f"{m['seconds']:.1f} s")
        cols[3].metric(t("throughput"), f"{m['images_per_second']:,.0f}",
                       help=t("throughput_help"))
    if record.history:
        st.plotly_chart(charts.training_curves(record.history, labels=_curve_labels()),
                        key=f"hist_{run_id}", config={"displayModeBar": False})
        st.caption(t("curves_note"))
    names = _class_names(record)
    preds = record.predictions()
    if preds is not None:
        probs, labels = preds
        show_confusion(record, probs, labels, names)
        show_mistakes(record, probs, labels, names)
    show_downloads(record)
    show_code(record)
    if store.can_delete(record):
        delete_button(store, run_id)
    else:
        st.caption(t("run_shared_note"))


def delete_button(store: RunStore, run_id: str) -> None:
    """Delete, after a confirmation: a run's weights and results cannot be brought back."""
    if st.session_state.get("train_confirm_delete") != run_id:
        st.button(t("delete_run"), key=f"del_{run_id}", icon=":material/delete:",
                  on_click=st.session_state.__setitem__, args=("train_confirm_delete", run_id))
        return
    with st.container(border=True):
        st.warning(t("delete_confirm", run=run_id), icon=":material/warning:")
        a, b, _ = st.columns([1, 1, 3])
        a.button(t("delete_yes"), key=f"del_yes_{run_id}", type="primary",
                 icon=":material/delete_forever:", on_click=_delete, args=(store, run_id))
        b.button(t("delete_no"), key=f"del_no_{run_id}",
                 on_click=st.session_state.pop, args=("train_confirm_delete", None))


def _delete(store: RunStore, run_id: str) -> None:
    st.session_state.pop("train_confirm_delete", None)
    try:
        store.delete(run_id)
        st.session_state["train_notice"] = ("success", t("deleted", run=run_id))
    except RunNotYours:
        st.session_state["train_notice"] = ("error", t("run_not_yours", run=run_id))
    except RunNotFound:
        pass


CELL_IMAGES = 24     # thumbnails shown for one confusion-matrix cell


def clicked_cell(state, chart_key: str, k: int) -> tuple[int, int] | None:
    """The confusion-matrix cell (true, predicted) clicked since the last run, or None.

    A click selects one of the chart's invisible cell markers (ui.charts.confusion_heatmap:
    trace 1, point ``true * k + predicted``). The selection stays in the chart's widget
    state as long as the figure is unchanged, so a click is taken once: when it differs
    from the selection the previous run saw.
    """
    event = state.get(chart_key) or {}
    points = (event.get("selection") or {}).get("points") or []
    cell = None
    for p in points:
        index = p.get("point_index", p.get("point_number"))
        if p.get("curve_number") == 1 and index is not None and 0 <= int(index) < k * k:
            cell = divmod(int(index), k)
            break
    seen_key = f"{chart_key}_seen"
    new = cell is not None and cell != state.get(seen_key)
    state[seen_key] = cell
    return cell if new else None


def show_confusion(record, probs, labels, names) -> None:
    from cvlib.train import confusion_matrix
    st.subheader(t("cm_title"))
    st.caption(t("cm_help"))
    pred = probs.argmax(1)
    cm = confusion_matrix(labels, pred, len(names))
    chart_key = f"cm_{record.run_id}"
    true_key, pred_key = f"cm_t_{record.run_id}", f"cm_p_{record.run_id}"
    cell = clicked_cell(st.session_state, chart_key, len(names))   # before the boxes
    if cell is not None:
        st.session_state[true_key], st.session_state[pred_key] = cell
    if true_key not in st.session_state:
        # Start on the most frequent mistake: the most interesting cell.
        off = cm.copy()
        np.fill_diagonal(off, 0)
        ti, pi = np.unravel_index(off.argmax(), off.shape)
        st.session_state[true_key], st.session_state[pred_key] = int(ti), int(pi)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(
            charts.confusion_heatmap(cm, names, t("cm_true"), t("cm_pred"),
                                     selected=(st.session_state[true_key],
                                               st.session_state[pred_key])),
            key=chart_key, on_select="rerun", selection_mode=("points",),
            config={"displayModeBar": False})
    with right:
        a, b = st.columns(2)
        ti = a.selectbox(t("cm_true"), range(len(names)), key=true_key,
                         format_func=lambda i: names[i])
        pi = b.selectbox(t("cm_pred"), range(len(names)), key=pred_key,
                         format_func=lambda i: names[i])
        idx = np.flatnonzero((labels == ti) & (pred == pi))
        with st.container(key="cm_cell"):
            st.write(t("cell_images_one", t=names[ti], p=names[pi]) if len(idx) == 1
                     else t("cell_images", t=names[ti], p=names[pi], n=len(idx)))
            if len(idx) == 0:
                st.caption(t("cell_empty"))
                return
            x = _test_images(record.config.get("dataset", "mnist"), record.run_id)
            if x is None:
                st.info(t("pictures_unavailable"))
                return
            if len(idx) > CELL_IMAGES:
                st.caption(t("cell_shown", k=CELL_IMAGES, n=len(idx)))
            idx = idx[np.argsort(-probs[idx, pi])][:CELL_IMAGES]
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
        open_in("recognize", rec_model=f"run:{record.run_id}")


def show_code(record) -> None:
    with st.expander(t("code_title")):
        st.caption(t("code_help"))
        config = TrainConfig.from_dict(record.config)
        code = keras_script(config, title=f"run {record.run_id}", data=record.metrics)
        st.code(code, language="python")
        st.download_button(t("dl_code"), data=code, file_name=f"train_{record.run_id}.py",
                           mime="text/x-python", key=f"dlc_{record.run_id}", on_click="ignore")


def epochs_text(r) -> str:
    """How many epochs a run trained, in words: "5 epochs", "1 epoch", and for a run
    that ended early "6.1 of 10 epochs" (the curves' last x: 6 epochs and a tenth).
    A running run shows the epochs it plans."""
    planned = int(r.config.get("epochs") or 0)
    if r.status.get("status") == "running":
        done = planned
    else:
        progress = r.history.get("epoch_progress") or []
        done = float(progress[-1]) if progress else float(len(r.history.get("loss", [])))
    if abs(done - round(done)) < 1e-6:
        done = int(round(done))
    if done != planned and r.status.get("status") != "running":
        return t("epochs_of", done=f"{done:g}", planned=planned)
    return t("n_epochs_one" if done == 1 else "n_epochs_other", n=done)


def _ds_name(c: dict) -> str:
    d = c.get("dataset", "mnist")
    return t(f"ds_{d}") if d in LIVE_DATASETS else str(d)     # CLI runs may use others


def _opt_name(c: dict) -> str:
    o = c.get("optimizer", "adam")
    return t(f"opt_{o}") if o in LIVE_OPTIMIZERS else str(o)


def _size_text(c: dict) -> str:
    return f"{c['train_size']:,}" if c.get("train_size") else t("size_all")


def _run_label(r) -> str:
    c = r.config
    return t("run_label", run=r.run_id, dataset=_ds_name(c),
             size=_size_text(c), epochs=epochs_text(r), opt=_opt_name(c),
             lr=f"{c.get('learning_rate', 0):g}")


def runs_table(runs: list) -> None:
    st.header(t("runs_title"))
    teacher = teacher_view()
    st.caption(t("runs_scope_teacher" if teacher else "runs_scope") + " " +
               t("runs_folder", path=str(runs_dir())))
    rows = []
    for r in runs:
        c = r.config
        extras = [k for k, on in (("dropout", c.get("dropout")), ("L1", c.get("l1")),
                                  ("L2", c.get("l2")), ("BN", c.get("batchnorm")),
                                  ("aug", c.get("augment")), ("early", c.get("early_stopping")))
                  if on]
        val = r.history.get("val_accuracy") or [None]
        status = _shown_status(r)
        acc, secs = r.metrics.get("test_accuracy"), r.metrics.get("seconds")
        rows.append({
            t("col_run"): r.run_id,
            **({t("col_owner"): owner_label(r)} if teacher else {}),
            t("col_status"): t(f"status_{status}") if status in RUN_STATUSES else "?",
            # text, not "all" mixed with numbers: one type per column (Arrow)
            t("col_data"): f"{_ds_name(c)} · {_size_text(c)}",
            t("col_epochs"): epochs_text(r),
            t("col_setup"): f"{_opt_name(c)} · "
                            f"{c.get('learning_rate', 0):g} · {c.get('batch_size')}",
            t("col_extras"): ", ".join(extras),
            # percent numbers with one decimal and seconds with one: one format a column
            t("col_val_acc"): None if val[-1] is None else 100 * float(val[-1]),
            t("col_accuracy"): None if acc is None else 100 * float(acc),
            t("col_time"): None if secs is None else float(secs)})
    # few, short columns: the table fits the page's width with several runs
    pct = st.column_config.NumberColumn(format="%.1f%%")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={t("col_accuracy"): pct, t("col_val_acc"): pct,
                                t("col_time"): st.column_config.NumberColumn(format="%.1f s"),
                                t("col_data"): st.column_config.TextColumn(
                                    help=t("col_data_help")),
                                t("col_setup"): st.column_config.TextColumn(
                                    help=t("col_setup_help"))})


RUN_STATUSES = ("queued", "running", "stopped", "finished", "failed", "interrupted")


def _shown_status(r) -> str:
    """A run's status as the table shows it: a training that waits in this server's job
    queue has its folder from Start on, saying "running"; it reads "queued" until a worker
    takes it."""
    status = r.status.get("status")
    if status == "running":
        from cvlib.jobs import job_queue
        if any(getattr(j, "run_id", None) == r.run_id for j in job_queue().waiting_jobs()):
            return "queued"
    return status


# --- page ---------------------------------------------------------------------------

def render() -> None:
    keep_settings("tr_*", "result_run")      # they survive a visit to another page
    st.title(t("train_title"))
    st.write(t("train_intro"))
    ctl = controls()
    if ctl.subset:
        st.warning(t("subset_banner", name=t(f"ds_{st.session_state.get('tr_dataset', 'mnist')}")),
                   icon=":material/cloud_off:")
    config = ctl.config
    store = _store()      # this browser's store: new runs record it as their owner
    PANEL.buttons(None if config is None else lambda: TrainingJob(config, store=store))
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

    runs = store.list()
    if not runs:
        st.info(t("runs_empty"))
        teacher_panel()
        return
    try:
        show_results(store, runs)
    except (CVLibError, OSError) as exc:
        st.error(user_message(exc))
    runs_table(store.list())
    teacher_panel()


render()
