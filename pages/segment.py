"""Segment page: a class for every pixel, boxes around objects, and how both are measured.

Page = controls -> cached cvlib calls -> show. No model maths and no Keras here:
cvlib.segment / cvlib.detect predict, cvlib.classical groups pixels without learning,
cvlib.weak localises with a classifier's Grad-CAM, cvlib.masks reads and writes masks and
boxes, cvlib.scene_train trains a small segmenter live (polled by fragments).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py

from cvlib import CVLibError, zoo
from cvlib.imageio import EXTENSIONS, decode_image
from ui import image_input, overlay
from ui.downloads import CSV_MIME, csv_bytes
from ui.i18n import t, translated
from ui.job_panel import JobPanel
from ui.models import class_label, class_labels, dataset_of, describe
from ui.state import keep_settings

SOURCES = ("scene", "photos", "upload", "camera")
VIEWS = ("segment", "detect", "measure", "classical", "faces", "weak", "train")
# catalog keys of the choices (spelled out, so every key is greppable)
SOURCE_KEYS = {"scene": "seg_source_scene", "photos": "seg_source_photos",
               "upload": "seg_source_upload", "camera": "seg_source_camera"}
VIEW_KEYS = {"segment": "seg_view_segment", "detect": "seg_view_detect",
             "measure": "seg_view_measure", "classical": "seg_view_classical",
             "faces": "seg_view_faces", "weak": "seg_view_weak", "train": "seg_view_train"}
PHOTO_KEYS = {"astronaut": "seg_photo_astronaut", "coffee": "seg_photo_coffee",
              "chelsea": "seg_photo_chelsea", "rocket": "seg_photo_rocket"}
METHOD_KEYS = {"otsu": ("seg_cl_otsu", "seg_cl_otsu_help"),
               "watershed": ("seg_cl_watershed", "seg_cl_watershed_help"),
               "slic": ("seg_cl_slic", "seg_cl_slic_help"),
               "felzenszwalb": ("seg_cl_felzenszwalb", "seg_cl_felzenszwalb_help"),
               "grabcut": ("seg_cl_grabcut", "seg_cl_grabcut_help")}
MAX_IMAGES = 8
WORK_SIDE = 640          # photos are shrunk so that their longer side is at most this
CLASSICAL_SIDE = 400     # and to this for the classical methods (GrabCut is O(pixels))
POLL_SECONDS = 0.5
# Settings that survive a visit to another page (ui/state.py): value widgets only, by
# their exact keys (never the download buttons or uploaders, whose state cannot be set).
KEPT = ("seg_model", "seg_detector", "seg_view", "seg_source", "seg_seed", "seg_photo",
        "seg_opacity", "seg_score", "seg_nms", "seg_cl_method", "seg_cl_markers",
        "seg_cl_segments", "seg_cl_compactness", "seg_cl_scale", "seg_face_score",
        "seg_weak_model", "seg_weak_th", "seg_weak_refine", "seg_train_scenes",
        "seg_train_epochs")


@dataclass
class Picture:
    """One input: uint8 RGB [H, W, 3]; truth mask and boxes when it is a generated scene."""

    name: str
    image: np.ndarray
    truth: np.ndarray | None = None
    boxes: list = field(default_factory=list)       # [(box, label)]
    shrunk: bool = False


@dataclass
class Controls:
    segmenter: str
    detector: str
    view: str


# --- cached work ----------------------------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=4)
def _predictor(task: str, name: str):
    import cvlib
    return cvlib.load(task, name)


@st.cache_data(show_spinner=False, max_entries=32)
def _segment(name: str, image: np.ndarray):
    return _predictor("segment", name)(image)


@st.cache_data(show_spinner=False, max_entries=64)
def _detect(name: str, image: np.ndarray, score: float, iou: float):
    return _predictor("detect", name)(image, score_threshold=score, iou_threshold=iou)


@st.cache_data(show_spinner=False, max_entries=32)
def _classical(method: str, image: np.ndarray, params: tuple) -> np.ndarray:
    from cvlib import classical
    return classical.segment(method, image, **dict(params))


@st.cache_data(show_spinner=False, max_entries=32)
def _localise(model: str, image: np.ndarray, threshold: float, refine: bool):
    from cvlib.weak import localise
    return localise(image, model, threshold=threshold, refine=refine)


# Cached functions return plain tuples: st.cache_data pickles results, and a class
# defined in this script is not picklable.
@st.cache_data(show_spinner=False, max_entries=16)
def _scene_cached(seed: int) -> tuple:
    from cvlib.data import digit_scenes
    s = digit_scenes(1, seed=seed, split="test")
    boxes = [(tuple(float(v) for v in b), int(lab)) for b, lab in zip(s.boxes[0], s.labels[0])]
    return s.images[0], s.masks[0].astype(np.int32), boxes


def _scene(seed: int) -> Picture:
    image, truth, boxes = _scene_cached(seed)
    return Picture(f"scene_{seed}", image, truth, boxes)


@st.cache_data(show_spinner=False, max_entries=32)
def _decode_cached(data: bytes, name: str) -> tuple:
    img = decode_image(data, name=name)
    shrunk = max(img.size) > WORK_SIDE
    if shrunk:
        img.thumbnail((WORK_SIDE, WORK_SIDE))
    return np.asarray(img, np.uint8).copy(), shrunk


def _decode(data: bytes, name: str) -> Picture:
    image, shrunk = _decode_cached(data, name)
    return Picture(name, image, shrunk=shrunk)


def _shrink(image: np.ndarray, side: int) -> np.ndarray:
    from PIL import Image
    if max(image.shape[:2]) <= side:
        return image
    im = Image.fromarray(image)
    im.thumbnail((side, side))
    return np.asarray(im)


def _shown(class_names) -> list[str]:
    """The class names as cvlib gives them, in the session's language (for text only:
    exports and the labels drawn into pictures keep cvlib's names)."""
    return class_labels(class_names, dataset_of(class_names))


def _model_label(name: str) -> str:
    return f"{name} · {t('status_' + zoo.status(name))}"


# --- controls and inputs --------------------------------------------------------------------

def controls() -> Controls:
    sb = st.sidebar
    seg_models = zoo.list_models("segment")
    det_models = zoo.list_models("detect")
    if st.session_state.get("seg_model") not in seg_models:
        st.session_state["seg_model"] = "digit_segmenter"
    if st.session_state.get("seg_detector") not in det_models:
        st.session_state["seg_detector"] = "digit_detector"
    segmenter = sb.selectbox(t("seg_model"), seg_models, key=translated("seg_model"),
                             format_func=_model_label)
    sb.caption(describe(segmenter))
    detector = sb.selectbox(t("seg_detector"), det_models, key=translated("seg_detector"),
                            format_func=_model_label)
    sb.caption(describe(detector))
    view = st.segmented_control(t("seg_view"), VIEWS, key=translated("seg_view"), default="segment",
                                format_func=lambda v: t(VIEW_KEYS[v]))
    return Controls(segmenter, detector, view or "segment")


def read_pictures() -> list[Picture]:
    source = st.radio(t("seg_source"), SOURCES, key=translated("seg_source"), horizontal=True,
                      format_func=lambda s: t(SOURCE_KEYS[s]))
    if source == "scene":
        seed = st.number_input(t("seg_seed"), 0, 2**31 - 1, 0, 1, key="seg_seed",
                               help=t("seg_seed_help"))
        return [_scene(int(seed))]
    if source == "photos":
        from cvlib.classical import SAMPLE_PHOTOS, sample_photo
        name = st.pills(t("seg_photos"), SAMPLE_PHOTOS, key=translated("seg_photo"),
                        default="astronaut", format_func=lambda n: t(PHOTO_KEYS[n]))
        st.caption(t("seg_photos_help"))
        return [Picture(name, sample_photo(name))] if name else []
    if source == "camera":
        files = image_input.camera("seg", t("seg_camera"))
    else:
        files = image_input.uploads("seg", t("seg_upload"), EXTENSIONS, t("seg_upload_help"),
                                    per_page=MAX_IMAGES)
    pictures, errors = image_input.decode_all(files, _decode)
    for message in errors:
        st.error(message)
    if not files:
        st.info(t("seg_no_input"))
    return pictures


def pick(pictures: list[Picture]) -> Picture | None:
    if not pictures:
        return None
    if len(pictures) == 1:
        pic = pictures[0]
    else:
        names = [f"{i + 1}. {p.name}" for i, p in enumerate(pictures)]
        choice = st.selectbox(t("seg_pick"), names, key="seg_pick")
        pic = pictures[names.index(choice) if choice in names else 0]
    if pic.shrunk:
        st.caption(t("seg_shrunk", side=WORK_SIDE))
    return pic


# --- segment ----------------------------------------------------------------------------------

def _run_segment(ctl: Controls, pic: Picture):
    """The segmentation, or None after telling the user why not (never a traceback)."""
    try:
        return _segment(ctl.segmenter, pic.image)
    except zoo.ModelUnavailable as exc:
        st.info(str(exc), icon=":material/cloud_off:")
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("seg_bad_input", err=str(exc)))
    return None


def segment_view(ctl: Controls, pic: Picture) -> None:
    seg = _run_segment(ctl, pic)
    if seg is None:
        return
    from cvlib.masks import area_table, entropy, mask_png, png
    names, k = _shown(seg.class_names), len(seg.class_names)
    colours = overlay.class_colours(k)
    rows = area_table(seg.mask, names)
    present = [r["index"] for r in rows]
    hidden_now = [i for i in st.session_state.get("seg_hidden", [0]) if i in present]
    st.session_state["seg_hidden"] = hidden_now
    a, b = st.columns([1, 2])
    with a:
        alpha = overlay.opacity_slider("seg_opacity", 0.5)
    hidden = b.multiselect(t("seg_hide"), present, key=translated("seg_hidden"),
                           format_func=lambda i: names[i], help=t("seg_hide_help"),
                           placeholder=t("seg_hide_placeholder"))
    over = overlay.mask(pic.image, seg.mask, alpha, k, hidden=hidden)
    colour_only = overlay.mask(np.zeros_like(pic.image), seg.mask, 1.0, k, hidden=hidden)
    c1, c2, c3 = st.columns(3)
    c1.image(pic.image, caption=t("seg_original"), width="stretch")
    c2.image(colour_only, caption=t("seg_mask"), width="stretch")
    c3.image(over, caption=t("seg_overlay"), width="stretch")

    left, right = st.columns([3, 2])
    with left:
        st.subheader(t("seg_legend_title"))
        table = pd.DataFrame({
            t("seg_col_colour"): ["" for _ in rows],
            t("seg_col_class"): [r["class"] for r in rows],
            t("seg_col_pixels"): [r["pixels"] for r in rows],
            t("seg_col_share"): [r["share"] for r in rows],
            t("seg_col_shown"): [r["index"] not in hidden for r in rows]})
        styler = table.style.apply(
            lambda col: [overlay.class_swatch(colours[r["index"]]) for r in rows],
            subset=[t("seg_col_colour")]).format({t("seg_col_share"): "{:.1%}"})
        st.dataframe(styler, hide_index=True, width="stretch")
    with right:
        st.subheader(t("seg_entropy_title"))
        ent = entropy(seg.probs)
        st.image(overlay.heatmap(pic.image, ent, 0.7), width="stretch",
                 caption=t("seg_entropy_caption", mean=float(ent.mean()),
                           unsure=float((ent > 0.5).mean())))
    d1, d2, _ = st.columns([1, 1, 2])
    stem = pic.name.rsplit(".", 1)[0]
    d1.download_button(t("seg_dl_mask"), mask_png(seg.mask), f"{stem}_mask.png", "image/png",
                       key="seg_dl_mask", icon=":material/download:", on_click="ignore")
    d2.download_button(t("seg_dl_overlay"), png(over), f"{stem}_overlay.png", "image/png",
                       key="seg_dl_overlay", icon=":material/download:", on_click="ignore")


# --- detect -----------------------------------------------------------------------------------

def detection_sliders() -> tuple[float, float]:
    a, b = st.columns(2)
    score = a.slider(t("seg_score"), 0.0, 1.0, 0.5, 0.05, key="seg_score",
                     help=t("seg_score_help"))
    iou = b.slider(t("seg_nms"), 0.0, 1.0, 0.5, 0.05, key="seg_nms", help=t("seg_nms_help"))
    return float(score), float(iou)


def _run_detect(ctl: Controls, pic: Picture, score: float, iou: float):
    try:
        return _detect(ctl.detector, pic.image, score, iou)
    except zoo.ModelUnavailable as exc:
        st.info(str(exc), icon=":material/cloud_off:")
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("seg_bad_input", err=str(exc)))
    return None


def _det_names(ctl: Controls) -> list[str]:
    if ctl.detector == "faces_mtcnn":
        return ["face"]
    try:
        names = zoo.class_names(ctl.detector)
    except CVLibError:            # not trained yet: the detection itself says so
        names = []
    return names or [str(i) for i in range(10)]


def detect_view(ctl: Controls, pic: Picture) -> None:
    from cvlib.masks import boxes_csv, coco_json
    score, iou = detection_sliders()
    dets = _run_detect(ctl, pic, score, iou)
    if dets is None:
        return
    names = _det_names(ctl)
    shown = _shown(names)
    left, right = st.columns(2)
    seg = _run_segment(ctl, pic)
    if seg is not None:
        left.image(overlay.mask(pic.image, seg.mask, 0.6, len(seg.class_names)),
                   caption=t("seg_side_segment", model=ctl.segmenter),
                   width="stretch")
    right.image(overlay.boxes(pic.image, dets, names),
                caption=t("seg_side_detect", model=ctl.detector, n=len(dets)),
                width="stretch")
    st.info(t("seg_vs_det"), icon=":material/lightbulb:")
    if dets:
        st.dataframe(pd.DataFrame({
            t("seg_col_class"): [shown[d.label] if d.label < len(shown) else d.label
                                 for d in dets],
            t("seg_col_score"): [round(d.score, 3) for d in dets],
            "x0": [d.box[0] for d in dets], "y0": [d.box[1] for d in dets],
            "x1": [d.box[2] for d in dets], "y1": [d.box[3] for d in dets]}),
            hide_index=True, width="stretch")
    else:
        st.caption(t("seg_no_boxes"))
    stem = pic.name.rsplit(".", 1)[0]
    h, w = pic.image.shape[:2]
    d1, d2, _ = st.columns([1, 1, 2])
    d1.download_button(t("seg_dl_csv"), csv_bytes(boxes_csv(dets, names)), f"{stem}_boxes.csv",
                       CSV_MIME, key="seg_dl_csv", icon=":material/download:",
                       on_click="ignore")
    d2.download_button(t("seg_dl_coco"), coco_json(dets, names, (w, h), pic.name),
                       f"{stem}_coco.json", "application/json", key="seg_dl_coco",
                       icon=":material/download:", on_click="ignore")


# --- measure ----------------------------------------------------------------------------------

def measure_view(ctl: Controls, pic: Picture) -> None:
    seg = _run_segment(ctl, pic)
    if seg is not None:
        measure_mask(pic, seg)
    st.divider()
    measure_boxes(ctl, pic)


def measure_mask(pic: Picture, seg) -> None:
    from cvlib.masks import MaskError, decode_mask
    from cvlib.segment import dice, disagreement, iou
    st.subheader(t("seg_measure_mask_title"))
    up = st.file_uploader(t("seg_truth_upload"), type=["png", "bmp", "gif", "webp"],
                          key="seg_truth_file", help=t("seg_truth_help"))
    h, w = pic.image.shape[:2]
    names, k = _shown(seg.class_names), len(seg.class_names)
    pred = seg.mask
    if up is not None:
        try:
            truth, kind = decode_mask(up.getvalue(), (w, h), k, up.name)
        except MaskError as exc:
            st.error(str(exc))
            return
        source = t("seg_truth_from_file", name=up.name)
    elif pic.truth is not None:
        truth, kind, source = pic.truth, "index", t("seg_truth_from_scene")
    else:
        st.info(t("seg_truth_none"))
        return
    if kind == "binary":                   # object vs background: any class counts
        pred, names, k = (pred > 0).astype(np.int32), [names[0], t("seg_object")], 2
    try:
        ious, dices = iou(pred, truth, k), dice(pred, truth, k)
        wrong = disagreement(pred, truth)
    except ValueError as exc:
        st.error(str(exc))
        return
    st.caption(source + (" · " + t("seg_truth_binary") if kind == "binary" else ""))
    a, b, c = st.columns(3)
    a.metric(t("seg_miou"), f"{ious['mean']:.3f}")
    b.metric(t("seg_mdice"), f"{dices['mean']:.3f}")
    c.metric(t("seg_pixel_acc"), f"{1 - wrong.mean():.1%}")
    keep = [i for i in range(k) if not np.isnan(ious["per_class"][i])]
    left, right = st.columns(2)
    left.dataframe(pd.DataFrame({
        t("seg_col_class"): [names[i] for i in keep],
        "IoU": [round(float(ious["per_class"][i]), 3) for i in keep],
        "Dice": [round(float(dices["per_class"][i]), 3) for i in keep]}),
        hide_index=True, width="stretch")
    right.image(overlay.disagreement(pic.image, wrong), width="stretch",
                caption=t("seg_disagree_caption", share=float(wrong.mean())))


def measure_boxes(ctl: Controls, pic: Picture) -> None:
    from cvlib.masks import MaskError, match_boxes, parse_boxes_csv
    st.subheader(t("seg_measure_boxes_title"))
    up = st.file_uploader(t("seg_boxes_upload"), type=["csv"], key="seg_boxes_file",
                          help=t("seg_boxes_help"))
    names = _det_names(ctl)
    h, w = pic.image.shape[:2]
    if up is not None:
        try:
            truth = parse_boxes_csv(up.getvalue(), names, (w, h))
        except MaskError as exc:
            st.error(str(exc))
            return
    elif pic.boxes:
        truth = pic.boxes
    else:
        st.info(t("seg_boxes_none"))
        return
    score = float(st.session_state.get("seg_score", 0.5))
    iou_th = float(st.session_state.get("seg_nms", 0.5))
    dets = _run_detect(ctl, pic, score, iou_th)
    if dets is None:
        return
    m = match_boxes(dets, truth, 0.5)
    ap = _average_precision(ctl, pic, truth, iou_th)
    a, b, c = st.columns(3)
    a.metric(t("seg_precision"), f"{m['precision']:.2f}")
    b.metric(t("seg_recall"), f"{m['recall']:.2f}")
    c.metric("AP@0.5", "–" if ap is None else f"{ap:.3f}")
    st.caption(t("seg_boxes_caption", tp=m["tp"], fp=m["fp"], fn=m["fn"], score=score))


def _average_precision(ctl: Controls, pic: Picture, truth, iou_th: float) -> float | None:
    from cvlib.detect import mean_average_precision
    dets = _run_detect(ctl, pic, 0.01, iou_th)     # AP sweeps over all scores itself
    if dets is None:
        return None
    boxes = np.array([b for b, _ in truth], np.float64).reshape(-1, 4)
    labels = np.array([lab for _, lab in truth], np.int64)
    try:
        return mean_average_precision([dets], [(boxes, labels)])["map50"]
    except ValueError as exc:
        st.caption(str(exc))
        return None


# --- classical --------------------------------------------------------------------------------

def classical_view(pic: Picture) -> None:
    from cvlib.classical import METHODS
    image = _shrink(pic.image, CLASSICAL_SIDE)
    h, w = image.shape[:2]
    method = st.selectbox(t("seg_cl_method"), METHODS, key=translated("seg_cl_method"),
                          format_func=lambda m: t(METHOD_KEYS[m][0]))
    st.caption(t(METHOD_KEYS[method][1]))
    params: dict = {}
    if method == "watershed":
        params["markers"] = st.slider(t("seg_cl_markers"), 2, 400, 100, key="seg_cl_markers")
    elif method == "slic":
        params["n_segments"] = st.slider(t("seg_cl_segments"), 2, 600, 100,
                                         key="seg_cl_segments")
        params["compactness"] = st.slider(t("seg_cl_compactness"), 1.0, 50.0, 10.0,
                                          key="seg_cl_compactness")
    elif method == "felzenszwalb":
        params["scale"] = st.slider(t("seg_cl_scale"), 10.0, 1000.0, 100.0, 10.0,
                                    key="seg_cl_scale")
    elif method == "grabcut":
        st.caption(t("seg_cl_box_help", w=w, h=h))
        cols = st.columns(4)
        defaults = (w // 10, h // 10, w - w // 10, h - h // 10)
        box = [cols[i].number_input(n, 0, (w, h)[i % 2], int(defaults[i]), 1,
                                    key=f"seg_cl_{n}_{w}x{h}")
               for i, n in enumerate(("x0", "y0", "x1", "y1"))]
        params["box"] = tuple(int(v) for v in box)
        params["iterations"] = 3
    try:
        labels = _classical(method, image, tuple(sorted(params.items())))
    except (ValueError, TypeError) as exc:
        st.error(t("seg_bad_input", err=str(exc)))
        return
    n = int(labels.max()) + 1
    two = method in ("otsu", "grabcut")
    left, right = st.columns(2)
    drawn = overlay.mask(image, labels, 0.5, max(n, 2)) if two else \
        overlay.boundaries(image, labels)
    if method == "grabcut":
        from cvlib.predictor import Detection
        drawn = overlay.boxes(drawn, [Detection(params["box"], 0, 1.0)], [t("seg_cl_box")],
                              show_score=False)
    left.image(image, caption=t("seg_original"), width="stretch")
    right.image(drawn, caption=t("seg_cl_result", n=n), width="stretch")
    st.info(t("seg_cl_vs_deep"), icon=":material/lightbulb:")


# --- faces ------------------------------------------------------------------------------------

def faces_view(pic: Picture) -> None:
    score = st.slider(t("seg_face_score"), 0.5, 1.0, 0.9, 0.01, key="seg_face_score")
    try:
        faces = _detect("faces_mtcnn", pic.image, float(score), 0.7)
    except zoo.ModelUnavailable as exc:
        st.info(str(exc))
        return
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("seg_bad_input", err=str(exc)))
        return
    drawn = overlay.boxes(pic.image, faces, ["face"])
    for f in faces:
        drawn = overlay.points(drawn, getattr(f, "landmarks", ()),
                               radius=max(2, max(pic.image.shape[:2]) // 150))
    left, right = st.columns([3, 2])
    left.image(drawn, caption=t("seg_faces_caption", n=len(faces)), width="stretch")
    if not faces:
        right.info(t("seg_faces_none"))
        return
    right.dataframe(pd.DataFrame({
        t("seg_col_score"): [round(f.score, 4) for f in faces],
        t("seg_col_box"): [", ".join(f"{v:.0f}" for v in f.box) for f in faces],
        t("seg_col_landmarks"): ["; ".join(f"({x:.0f}, {y:.0f})" for x, y in f.landmarks)
                                 for f in faces]}), hide_index=True, width="stretch")
    right.caption(t("seg_faces_help"))


# --- weak localisation ------------------------------------------------------------------------

def weak_view(pic: Picture) -> None:
    from cvlib.predictor import Detection
    models = [m for m in zoo.list_models("classify") if zoo.status(m) != "missing"]
    default = "mnist_cnn" if pic.truth is not None else "cifar_cnn"
    if st.session_state.get("seg_weak_model") not in models:
        st.session_state["seg_weak_model"] = default if default in models else models[0]
    st.caption(t("seg_weak_intro"))
    a, b, c = st.columns([2, 2, 1])
    model = a.selectbox(t("seg_weak_model"), models, key="seg_weak_model")
    threshold = b.slider(t("seg_weak_threshold"), 0.05, 0.95, 0.3, 0.05, key="seg_weak_th")
    c.write("")
    refine = c.checkbox(t("seg_weak_refine"), True, key="seg_weak_refine")
    try:
        loc = _localise(model, pic.image, float(threshold), bool(refine))
    except zoo.ModelUnavailable as exc:
        st.info(str(exc))
        return
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("seg_bad_input", err=str(exc)))
        return
    box = [Detection(loc.box, 0, loc.score)]
    c1, c2, c3 = st.columns(3)
    c1.image(overlay.boxes(overlay.heatmap(pic.image, loc.cam, 0.6), box, [loc.label]),
             caption=t("seg_weak_cam", label=class_label(loc.label, zoo.get(model).dataset),
                       score=loc.score),
             width="stretch")
    c2.image(overlay.mask(pic.image, loc.region.astype(np.int32), 0.6, 2),
             caption=t("seg_weak_region"), width="stretch")
    c3.image(overlay.mask(pic.image, loc.mask.astype(np.int32), 0.6, 2),
             caption=t("seg_weak_mask"), width="stretch")
    if pic.truth is not None:
        from cvlib.weak import mask_iou
        st.metric(t("seg_weak_iou"), f"{mask_iou(loc.mask, pic.truth > 0):.3f}")
    st.caption(t("seg_weak_note"))


# --- live training ----------------------------------------------------------------------------

PANEL = JobPanel("seg", poll=POLL_SECONDS)


def _job():
    return PANEL.job


def live_body() -> None:
    """Progress and the masks of fixed test scenes after each epoch (a fragment)."""
    job = _job()
    if job is None:
        return
    snap = job.snapshot()
    if snap.sample_masks and snap.sample_images is not None:
        n = len(snap.sample_masks)
        epoch = n if n == 1 else st.slider(t("seg_train_epoch"), 1, n, n, key=f"seg_ep_{n}")
        masks = snap.sample_masks[epoch - 1]
        cols = st.columns(len(snap.sample_images))
        for i, col in enumerate(cols):
            col.image(overlay.mask(snap.sample_images[i], masks[i], 0.6, 11),
                      width="stretch")
        st.caption(t("seg_train_miou", epoch=epoch, miou=snap.sample_miou[epoch - 1]))
    PANEL.rerun_when_done(snap)


def train_view() -> None:
    st.caption(t("seg_train_intro"))
    a, b = st.columns(2)
    scenes = a.slider(t("seg_train_scenes"), 100, 1000, 300, 50, key="seg_train_scenes")
    epochs = b.slider(t("seg_train_epochs"), 1, 12, 6, key="seg_train_epochs")

    def make_job():
        from cvlib.scene_train import LiveSegmentConfig, SegmenterJob
        return SegmenterJob(LiveSegmentConfig(train_scenes=int(scenes), epochs=int(epochs)))

    PANEL.buttons(make_job, t("seg_train_start"), t("seg_train_stop"))
    PANEL.progress()
    PANEL.live(live_body, every=POLL_SECONDS)


# --- page -------------------------------------------------------------------------------------

def render() -> None:
    keep_settings(*KEPT)
    st.title(t("seg_title"))
    st.write(t("seg_intro"))
    ctl = controls()
    if ctl.view == "train":
        train_view()
        return
    pic = pick(read_pictures())
    if pic is None:
        return
    if ctl.view == "segment":
        segment_view(ctl, pic)
    elif ctl.view == "detect":
        detect_view(ctl, pic)
    elif ctl.view == "measure":
        measure_view(ctl, pic)
    elif ctl.view == "classical":
        classical_view(pic)
    elif ctl.view == "faces":
        faces_view(pic)
    else:
        weak_view(pic)


render()
