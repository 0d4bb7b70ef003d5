"""Segment page: the segmentation and detection views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cvlib import CVLibError, zoo
from ui import overlay
from ui.downloads import CSV_MIME, csv_bytes
from ui.i18n import t, translated
from ui.segment_views.common import (
    Controls,
    Picture,
    _detect,
    _predictor,
    _segment,
    _shown,
    run_or_tell,
)

# --- segment ----------------------------------------------------------------------------------

def _offer_download(name: str) -> None:
    """A download button for a download-only model (the app never downloads by itself)."""
    if zoo.get(name).source != "keras-cache":
        return
    from ui.fetch import fetch_button
    if fetch_button(name, key=f"seg_fetch_{name}"):
        _predictor.clear()     # the next run loads the downloaded weights
        st.rerun()


def _run_segment(ctl: Controls, pic: Picture):
    """The segmentation, or None after telling the user why not (never a traceback)."""
    return run_or_tell(_segment, ctl.segmenter, pic.image,
                       on_unavailable=lambda: _offer_download(ctl.segmenter))


def segment_view(ctl: Controls, pic: Picture) -> None:
    seg = _run_segment(ctl, pic)
    if seg is None:
        return
    if seg.unlike_training:
        st.warning(t("seg_unlike_training", n=seg.unfamiliar, m=seg.objects),
                   icon=":material/help:")
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
    return run_or_tell(_detect, ctl.detector, pic.image, score, iou)


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
