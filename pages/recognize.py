"""Recognize page: classify uploaded, photographed or drawn images, and show why.

Length (~490 lines, on purpose): the inputs (ui/image_input), the answer and its
confidence, and the five explanations (Grad-CAM, feature maps, occlusion, saliency, the
robustness lab) read as one flow; the drawing of figures is in ui/rec_charts.

Page = controls() -> cached cvlib calls -> show(). No model maths here: cvlib.recognize
classifies (compiled call, preprocessing hidden), cvlib.explain explains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py


from cvlib import CVLibError, samples, zoo
from cvlib.imageio import EXTENSIONS, ImageDecodeError, decode_image
from ui import image_input, overlay, rec_charts
from ui.downloads import CSV_MIME, csv_bytes
from ui.fetch import fetch_button
from ui.i18n import t, translated
from ui.models import class_label, dataset_of, decode_error, describe, user_message
from ui.owner import run_store
from ui.state import keep_settings
from ui.text import md_escape

SOURCES = ("samples", "upload", "camera", "draw")
MAX_IMAGES = 12          # classified at once; more uploads are paged through
MIN_SIDE = 8             # a picture smaller than this (in pixels) gets no answer
LAB_STEPS = 11
# slider settings of the robustness lab: (key, min, max, step, sweep max)
LAB = [("noise", 0.0, 0.6, 0.02), ("blur", 0.0, 4.0, 0.1), ("rotate", -180.0, 180.0, 5.0),
       ("brightness", -0.8, 0.8, 0.05), ("patch", 0.0, 0.7, 0.05), ("fgsm", 0.0, 0.3, 0.01)]
OWN = "upload:"          # classifier key of a user's own model file: "upload:<sha256[:12]>"
OWN_TYPES = ("keras", "h5")   # what the Train page downloads: .keras and .weights.h5


# --- models -----------------------------------------------------------------------------

def _run_models() -> dict[str, str]:
    """This browser's Train-page runs with weights (ui/owner.py): {"run:<id>": label},
    newest first."""
    out = {}
    for r in run_store().list():
        if r.weights_path.exists() and r.status.get("status") in ("finished", "stopped"):
            acc = r.metrics.get("test_accuracy")
            out[f"run:{r.run_id}"] = t("rec_run_label", run=r.run_id,
                                       ds=r.config.get("dataset", "?"),
                                       acc=f"{acc:.1%}" if acc else "–")
    return out


@st.cache_resource(show_spinner=False, max_entries=6)
def _classifier(key: str):
    # a registry name, "run:<id>" or OWN + sha; the explanation functions are cached on the
    # returned classifier, so evicting it here frees its model (memory bounded by max_entries)
    import cvlib
    if key.startswith(OWN):
        clf = _own_classifier(key)
    else:
        clf = cvlib.load("classify", key)
    clf.probs(np.zeros((1, *clf.input_shape), np.uint8))   # trace now: latencies shown are warm
    return clf


def _own_classifier(key: str):
    """The classifier of this session's own model file (the same bytes, by sha256, give
    the same key, so sessions share the cached model). Built from code by
    cvlib.safe_models; the file only gives checked weights."""
    from cvlib.safe_models import load_user_classifier
    own = st.session_state.get("rec_own")
    _, name, data = own if own and own[0] == key else (key, key, b"")
    return load_user_classifier(data, name)     # no bytes: "empty, choose it again"


def own_model() -> str | None:
    """"Use your own model" (sidebar): a ``.keras`` or ``.weights.h5`` file from the Train
    page, checked completely by cvlib.safe_models before any weight is used. Returns its
    classifier key (``OWN`` + sha256), or None (no file, or the file was refused: then a
    plain error says why)."""
    chosen = st.session_state.get("rec_own_file") is not None
    box = st.sidebar.expander(t("rec_own_title"), expanded=chosen,
                              icon=":material/upload_file:")
    up = box.file_uploader(t("rec_own_upload"), type=list(OWN_TYPES), key="rec_own_file",
                           help=t("rec_own_help"))
    if up is None:
        st.session_state.pop("rec_own", None)
        box.caption(t("rec_own_hint"))
        return None
    data = up.getvalue()
    key = OWN + hashlib.sha256(data).hexdigest()[:12]
    st.session_state["rec_own"] = (key, up.name, data)
    checked = st.session_state.get("rec_own_checked")
    if not checked or checked[0] != key:
        from cvlib.safe_models import check_model_file
        try:
            checked = (key, check_model_file(data, up.name))
        except (CVLibError, OSError, ValueError) as exc:
            checked = (key, exc)
        st.session_state["rec_own_checked"] = checked
    info = checked[1]
    if isinstance(info, Exception):
        st.error(t("rec_own_refused", err=user_message(info)), icon=":material/block:")
        return None
    box.caption(t("rec_own_using", name=md_escape(up.name), arch=info.arch,
                  filters="-".join(map(str, info.config["filters"])),
                  params=f"{info.params:,}", dataset=t(f"ds_{info.dataset}")))
    return key


def _model_label(name: str, runs: dict) -> str:
    if name in runs:
        return runs[name]
    state = zoo.status(name)
    return f"{name} · {t('status_' + state)}"


# --- controls -----------------------------------------------------------------------

@dataclass
class Controls:
    model: str
    top_k: int
    source: str


def controls(runs: dict) -> Controls:
    sb = st.sidebar
    names = zoo.list_models("classify") + list(runs)
    if "rec_model" not in st.session_state:
        st.session_state["rec_model"] = ("mobilenet_v3_small"
                                         if zoo.status("mobilenet_v3_small") == "cached"
                                         else "mnist_cnn")
    if st.session_state["rec_model"] not in names:
        st.session_state["rec_model"] = "mnist_cnn"
    model = sb.selectbox(t("rec_model"), names, key=translated("rec_model"),
                         format_func=lambda n: _model_label(n, runs))
    top_k = sb.slider(t("rec_top_k"), 1, 10, 5, key="rec_top_k")
    source = st.radio(t("rec_source"), SOURCES, key=translated("rec_source"), horizontal=True,
                      format_func=lambda s: t(f"rec_source_{s}"))
    return Controls(model, int(top_k), source)


# --- inputs -------------------------------------------------------------------------

def read_inputs(source: str, model: str) -> list[tuple[str, bytes]]:
    """(name, file bytes) of the pictures to classify (ui.image_input)."""
    if source == "upload":
        return image_input.uploads("rec", t("rec_upload"), EXTENSIONS, t("rec_upload_help"),
                                   per_page=MAX_IMAGES)
    if source == "camera":
        return image_input.camera("rec", t("rec_camera"))
    if source == "draw":
        return image_input.drawing("rec", t("rec_draw_help"))
    return sample_input(model)


def _sample_label(sample) -> str:
    """A sample button's text: its class in the session's language."""
    entry = zoo.get(sample.model) if sample.model in zoo.list_models() else None
    label = class_label(sample.label, entry.dataset if entry else "")
    return t("rec_sample_gan", label=label) if sample.name == "generated" else label


def sample_input(model: str) -> list[tuple[str, bytes]]:
    options = samples.list_samples()
    sent = st.session_state.get("rec_generated")   # an image sent by the Generate page
    if sent is not None:
        options = [*options, sent]
    return image_input.samples("rec", options, t("rec_samples"), _sample_label,
                               default="digit_7", help=t("rec_samples_help"))


# --- cached work --------------------------------------------------------------------

@dataclass
class Analysed:
    name: str
    error: str = ""
    result: object = None          # cvlib.recognize.Result
    thumb: np.ndarray | None = None

    @property
    def no_answer(self) -> str:
        """Why this picture gets no top-k ("" when it gets one): a catalog key."""
        if self.result is None:
            return ""
        w, h = self.result.prepared.original_size
        if min(w, h) < MIN_SIDE:
            return "rec_too_small"
        return "rec_blank" if self.result.prepared.blank else ""


@st.cache_data(show_spinner=False, max_entries=256)
def _analyse_cached(data: bytes, name: str, model_key: str, top_k: int) -> dict:
    # plain dict: st.cache_data pickles results, and a class of this script is not picklable
    try:
        image = decode_image(data, name=name)
    except ImageDecodeError as exc:
        # the error itself (kind and params): its text is made in the session's language
        return {"name": name, "error": exc}
    result = _classifier(model_key)(image, top_k)
    thumb = image.copy()
    thumb.thumbnail((448, 448))
    return {"name": name, "result": result, "thumb": np.asarray(thumb)}


def _analyse(data: bytes, name: str, model_key: str, top_k: int) -> Analysed:
    out = dict(_analyse_cached(data, name, model_key, top_k))
    if "error" in out:
        out["error"] = decode_error(out["error"])
    return Analysed(**out)


def _labeller(clf):
    """class name -> its text in the session's language, for this classifier's classes."""
    dataset = dataset_of(clf.class_names)
    return lambda label: class_label(label, dataset)


@st.cache_data(show_spinner=False, max_entries=64)
def _grad_cam(model_key: str, x: np.ndarray, class_index: int, layer: str) -> np.ndarray:
    from cvlib.explain import grad_cam
    return grad_cam(_classifier(model_key), x, class_index, layer)


@st.cache_data(show_spinner=False, max_entries=64)
def _feature_maps(model_key: str, x: np.ndarray, layer: str) -> np.ndarray:
    from cvlib.explain import feature_maps, tile_maps
    return tile_maps(feature_maps(_classifier(model_key), x, layer), max_maps=32)


@st.cache_data(show_spinner=False, max_entries=32)
def _occlusion(model_key: str, x: np.ndarray, class_index: int, patch: int) -> np.ndarray:
    from cvlib.explain import occlusion
    return occlusion(_classifier(model_key), x, class_index, patch=patch)


@st.cache_data(show_spinner=False, max_entries=32)
def _saliency(model_key: str, x: np.ndarray, class_index: int) -> np.ndarray:
    from cvlib.explain import saliency
    return saliency(_classifier(model_key), x, class_index)


@st.cache_data(show_spinner=False, max_entries=32)
def _direction(model_key: str, x: np.ndarray) -> np.ndarray:
    from cvlib.explain import fgsm_direction
    return fgsm_direction(_classifier(model_key), x)


@st.cache_data(show_spinner=False, max_entries=64)
def _sweep(model_key: str, x: np.ndarray, setting: str, values: tuple, base: dict
           ) -> np.ndarray:
    from cvlib.explain import Perturbation, sweep
    clf = _classifier(model_key)
    d = _direction(model_key, x) if setting == "fgsm" or base.get("fgsm") else None
    return sweep(clf, x, setting, list(values), Perturbation(**base), d)


# --- show ---------------------------------------------------------------------------

def show_result(item: Analysed, model_key: str, index: int) -> None:
    res = item.result
    clf = _classifier(model_key)
    lab = _labeller(clf)
    a, b, c = st.columns([2, 1, 3])
    thumb = item.thumb
    if res.view > 0:      # the answer came from a zoomed crop: show where it is
        thumb = rec_charts.outline(thumb, res.prepared.box, res.prepared.original_size)
    a.image(thumb, caption=t("rec_original", name=md_escape(item.name)), width="stretch")
    # "stretch" (at most the 168-px enlargement): a fixed width overflowed the narrow
    # middle column into the chart on a ~700-px window
    b.image(rec_charts.enlarge(res.prepared.x, 168), width="stretch",
            caption=t("rec_model_input", shape="×".join(map(str, res.prepared.x.shape))))
    with c:
        if item.no_answer:     # an empty or tiny picture: no top-k, only why
            w, h = res.prepared.original_size
            st.warning(t(item.no_answer, w=w, h=h, min=MIN_SIDE))
            return
        preds = res.predictions
        st.plotly_chart(rec_charts.topk_bar([lab(p.label) for p in preds],
                                            [p.score for p in preds]),
                        key=f"rec_topk_{index}", config={"displayModeBar": False})
        if res.views > 1:
            st.caption(t("rec_latency_views", ms=res.seconds * 1000, n=res.views))
        else:
            st.caption(t("rec_latency", ms=res.seconds * 1000))
    if res.views > 1:
        st.caption(t("rec_views", size=res.prepared.x.shape[0], crops=res.views - 1,
                     which=t("rec_view_crop" if res.view else "rec_view_whole")))
    if res.unfamiliar:
        st.warning(t("rec_unfamiliar", score=f"{res.familiarity:.1f}",
                     threshold=f"{clf.ood_threshold:.1f}"), icon=":material/help:")
    if clf.ood_note:        # the feature statistics are missing or damaged: energy stands in
        st.caption(t("rec_ood_stats_missing" if clf.ood_note == "ood_stats_missing"
                     else "rec_ood_stats_damaged"))
    if clf.kind == "digit":
        st.caption(t("rec_digit_prep"))
    elif clf.kind == "photo":
        st.info(t("rec_cifar_only", classes=t("rec_list_sep").join(
            md_escape(lab(c)) for c in clf.class_names)))
    show_calibration(clf, index)


def show_calibration(clf, index: int) -> None:
    """How far to trust the confidence: the reliability diagram before and after
    temperature scaling, from the model's manifest entry (bench/calibrate.py)."""
    cal = clf.calibration
    with st.expander(t("rec_cal_title")):
        if not cal:
            st.caption(t("rec_cal_none"))
            return
        st.caption(t("rec_cal_help", t=f"{cal['temperature']:.2f}",
                     before=f"{cal['ece_before']:.2%}", after=f"{cal['ece_after']:.2%}"))
        st.plotly_chart(rec_charts.reliability_chart(
            cal["reliability_before"], cal["reliability_after"],
            {"before": t("rec_cal_before"), "after": t("rec_cal_after"),
             "ideal": t("rec_cal_ideal"), "x": t("rec_cal_x"), "y": t("rec_cal_y")}),
            key=f"rec_cal_{index}", config={"displayModeBar": False})
        auc = cal.get("auroc", {})
        if auc:
            kind = clf.ood_kind          # the manifest's score, or energy when it stands in
            flagged = cal.get("test_flagged_by_score", {}).get(kind,
                                                               cal.get("test_flagged", 0.05))
            st.caption(t("rec_ood_help" if kind in ("energy", "msp") else
                         "rec_ood_help_features", pct=f"{1 - flagged:.0%}",
                         figures=", ".join(f"{_ood_set(k)}: {v.get(kind, v['energy']):.3f}"
                                           for k, v in auc.items())))


def _ood_set(key: str) -> str:
    """The name of a data set the OOD check was measured against, in the page's language."""
    from cvlib.calibration import OOD_SETS
    return t(f"rec_ood_set_{key}") if key in OOD_SETS else key


def results_table(items: list[Analysed], lab) -> None:
    rows = []
    for it in items:
        if it.error or it.no_answer:
            w, h = it.result.prepared.original_size if it.result is not None else (0, 0)
            rows.append({t("rec_col_file"): it.name, t("rec_col_top1"): "",
                         t("rec_col_score"): None,
                         t("rec_col_topk"): it.error or t(it.no_answer, w=w, h=h, min=MIN_SIDE),
                         t("rec_col_ms"): None})
            continue
        preds = it.result.predictions
        rows.append({t("rec_col_file"): it.name, t("rec_col_top1"): lab(preds[0].label),
                     t("rec_col_score"): preds[0].score,
                     t("rec_col_topk"): ", ".join(f"{lab(p.label)} {p.score:.1%}"
                                                  for p in preds),
                     t("rec_col_ms"): round(it.result.seconds * 1000, 2)})
    df = pd.DataFrame(rows)
    st.dataframe(df, hide_index=True, width="stretch", column_config={
        t("rec_col_score"): st.column_config.NumberColumn(format="percent")})
    st.download_button(t("rec_csv"), csv_bytes(df), file_name="cvlab_predictions.csv",
                       mime=CSV_MIME, key="rec_csv_btn", on_click="ignore")


def show_why(item: Analysed, model_key: str) -> None:
    from cvlib.explain import cam_layers, conv_layers, default_cam_layer
    clf = _classifier(model_key)
    lab = _labeller(clf)
    res = item.result
    x = res.prepared.x
    st.header(t("rec_why_title"))
    preds = res.predictions
    # One widget per answer: a kept key would keep the old class index (and, in the
    # browser, its old label) when another model or picture gives other classes.
    answer = hashlib.blake2b(res.probs.tobytes(), digest_size=6).hexdigest()
    class_index = st.selectbox(t("rec_explain_class"), [p.index for p in preds],
                               key=f"rec_explain_class_{answer}",
                               format_func=lambda i: f"{lab(clf.label(i))} ({res.probs[i]:.1%})")
    tabs = st.tabs([t("rec_tab_gradcam"), t("rec_tab_maps"), t("rec_tab_occlusion"),
                    t("rec_tab_saliency"), t("rec_tab_lab")])
    thumb = item.thumb
    size = (thumb.shape[1], thumb.shape[0])
    with tabs[0]:
        layers = cam_layers(clf)
        default = default_cam_layer(clf)
        a, b = st.columns(2)
        layer = a.selectbox(t("rec_layer"), layers, index=layers.index(default),
                            key="rec_cam_layer")
        alpha = b.slider(t("rec_opacity"), 0.0, 1.0, 0.5, 0.05, key="rec_cam_alpha")
        st.caption(t("rec_cam_help"))
        heat = _grad_cam(model_key, x, int(class_index), layer)
        c1, c2 = st.columns([2, 1])
        c1.image(overlay.heatmap(thumb, res.prepared.to_original(heat, size), alpha),
                 caption=t("rec_cam_on_original"), width="stretch")
        c2.image(rec_charts.enlarge(overlay.heatmap(x, heat, alpha), 224),
                 caption=t("rec_cam_on_input"), width="stretch")
        st.plotly_chart(rec_charts.colour_bar(t("rec_bar_none"), t("rec_bar_most")),
                        key="rec_cam_bar", config={"displayModeBar": False})
    with tabs[1]:
        names = conv_layers(clf)
        layer = st.selectbox(t("rec_layer"), names, key="rec_maps_layer")
        st.caption(t("rec_maps_help"))
        grid = _feature_maps(model_key, x, layer)
        st.image(rec_charts.enlarge(grid, 900), caption=t("rec_maps_caption", layer=layer),
                 width="stretch")
    with tabs[2]:
        side = min(x.shape[:2])
        patch = st.slider(t("rec_occ_patch"), max(2, side // 10), max(3, side // 2),
                          max(2, side // 4), key="rec_occ_patch")
        st.caption(t("rec_occ_help"))
        occ = _occlusion(model_key, x, int(class_index), int(patch))
        # the drops are often a few percent: scale the colours to the largest one, and say so
        top = max(float(np.abs(occ).max()), 1e-3)
        a, b = st.columns(2)
        a.image(overlay.heatmap(thumb, res.prepared.to_original(occ / top, size),
                                0.6, signed=True), caption=t("rec_occ_on_original"),
                width="stretch")
        b.image(rec_charts.enlarge(overlay.heatmap(x, occ / top, 0.6, signed=True), 336),
                width=336, caption=t("rec_occ_caption"))
        st.plotly_chart(rec_charts.colour_bar(f"−{top:.1%}", f"+{top:.1%}", middle="0",
                                              title=t("rec_occ_bar")),
                        key="rec_occ_bar", config={"displayModeBar": False})
    with tabs[3]:
        st.caption(t("rec_sal_help"))
        sal = _saliency(model_key, x, int(class_index))
        a, b = st.columns(2)
        a.image(rec_charts.enlarge((sal * 255).astype(np.uint8), 336), width=336,
                caption=t("rec_sal_caption"))
        b.image(rec_charts.enlarge(overlay.heatmap(x, sal, 0.6), 336), width=336,
                caption=t("rec_cam_on_input"))
    with tabs[4]:
        robustness_lab(model_key, x, res)


def robustness_lab(model_key: str, x: np.ndarray, res) -> None:
    """Sliders -> perturbed input -> live prediction; one sweep per slider marks the flip."""
    from cvlib.explain import Perturbation, flip_point, perturb
    clf = _classifier(model_key)
    lab = _labeller(clf)
    st.caption(t("rec_lab_help"))
    clean = int(np.argmax(res.probs))
    settings = {}
    cols = st.columns(3)
    for i, (key, lo, hi, step) in enumerate(LAB):
        default = 0.0
        settings[key] = cols[i % 3].slider(t(f"rec_lab_{key}"), lo, hi, default, step,
                                           key=f"rec_lab_{key}")
    p = Perturbation(**settings)
    d = _direction(model_key, x) if p.fgsm else None
    xp = perturb(x, p, d)
    probs = clf.predict_probs(xp)[0]   # what the prediction reports: same views, same number
    top = int(np.argmax(probs))
    a, b = st.columns([1, 2])
    a.image(rec_charts.enlarge(xp, 224), width=224, caption=t("rec_lab_input"))
    with b:
        preds = clf.top_k(probs, 3)
        st.plotly_chart(rec_charts.topk_bar([lab(q.label) for q in preds],
                                            [q.score for q in preds]),
                        key="rec_lab_topk", config={"displayModeBar": False})
        if top == clean:
            st.success(t("rec_lab_same", label=md_escape(lab(clf.label(clean)))))
        else:
            st.error(t("rec_lab_flipped", before=md_escape(lab(clf.label(clean))),
                       after=md_escape(lab(clf.label(top)))))
    st.subheader(t("rec_lab_sweeps"))
    cols = st.columns(3)
    for i, (key, lo, hi, step) in enumerate(LAB):
        values = tuple(float(v) for v in np.linspace(0.0 if lo < 0 < hi and key != "rotate"
                                                     else lo, hi, LAB_STEPS))
        if key == "rotate":
            values = tuple(float(v) for v in np.linspace(0, 180, LAB_STEPS))
        base = {k: v for k, v in settings.items() if k != key}
        sw = _sweep(model_key, x, key, values, base)
        flip = flip_point(values, sw, clean)
        with cols[i % 3]:
            st.plotly_chart(rec_charts.sweep_chart(
                values, sw[:, clean], sw.max(1), flip, settings[key], t(f"rec_lab_{key}"),
                lab(clf.label(clean)), t("rec_lab_top"),
                t("rec_lab_flip",
                  label=lab(clf.label(int(sw[list(values).index(flip)].argmax()))))
                if flip is not None else ""), key=f"rec_sweep_{key}",
                config={"displayModeBar": False})


# --- page ---------------------------------------------------------------------------

def render() -> None:
    # they survive a visit to another page (ui/state.py); the layer boxes and samples
    # depend on the model, so they are left out
    keep_settings("rec_model", "rec_top_k", "rec_source", "rec_stroke", "rec_cam_alpha",
                  *(f"rec_lab_{key}" for key, *_ in LAB))
    st.title(t("rec_title"))
    st.write(t("rec_intro"))
    runs = _run_models()
    ctl = controls(runs)
    own = own_model()
    if own:
        ctl.model = own            # the user's file, instead of the model chosen above
    elif ctl.model not in runs:
        st.sidebar.caption(describe(ctl.model))
    try:
        _classifier(ctl.model)
    except (zoo.ModelUnavailable, zoo.ModelIntegrityError) as exc:
        shipped = [n for n in zoo.list_models("classify")
                   if zoo.status(n) == "shipped" and n != ctl.model]    # the others
        if ctl.model in runs or zoo.get(ctl.model).source != "keras-cache" \
                or zoo.status(ctl.model) == "cached":
            st.error(user_message(exc).splitlines()[0] if str(exc) else t("rec_model_missing"))
            st.info(t("rec_use_shipped", names=", ".join(shipped)))
            return
        # ImageNet weights: not here, and the app never downloads by itself; the user may
        st.error(t("rec_needs_cache", name=ctl.model, dataset=zoo.get(ctl.model).dataset,
                   dir=str(zoo.keras_models_dir())))
        st.info(t("rec_use_shipped", names=", ".join(shipped)))
        if fetch_button(ctl.model, key=f"rec_fetch_{ctl.model}"):
            st.rerun()
        return
    except (CVLibError, OSError, ValueError) as exc:
        st.error(t("rec_model_error", err=user_message(exc)))
        return

    inputs = read_inputs(ctl.source, ctl.model)
    if not inputs:
        if ctl.source in ("upload", "camera"):
            st.info(t(f"rec_empty_{ctl.source}"))
        return
    items = []
    for name, data in inputs:
        try:
            items.append(_analyse(data, name, ctl.model, ctl.top_k))
        except (CVLibError, ValueError) as exc:
            items.append(Analysed(name, error=user_message(exc)))
    for it in items:
        if it.error:
            st.error(it.error)
    good = [it for it in items if not it.error]
    if not good:
        return
    st.header(t("rec_results_title"))
    lab = _labeller(_classifier(ctl.model))
    if len(items) > 1:
        results_table(items, lab)
        names = [it.name for it in good]
        chosen = st.selectbox(t("rec_choose_image"), range(len(good)), key="rec_chosen",
                              format_func=lambda i: names[i])
    else:
        chosen = 0
    item = good[min(chosen, len(good) - 1)]
    show_result(item, ctl.model, chosen)
    if item.no_answer:
        return
    try:
        show_why(item, ctl.model)
    except CVLibError as exc:
        st.error(user_message(exc))


render()
