"""Segment page: measuring a prediction against the user's mask or boxes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui import overlay
from ui.i18n import t
from ui.models import user_message
from ui.segment_views.common import Controls, Picture, _shown
from ui.segment_views.detection import _det_names, _run_detect, _run_segment
from ui.text import md_escape

# --- measure ----------------------------------------------------------------------------------

def measure_view(ctl: Controls, pic: Picture) -> None:
    seg = _run_segment(ctl, pic)
    if seg is not None:
        measure_mask(pic, seg)
    st.divider()
    measure_boxes(ctl, pic)


def measure_mask(pic: Picture, seg) -> None:
    from cvlib.masks import MASK_EXTENSIONS, MaskError, decode_mask
    from cvlib.segment import dice, disagreement, iou
    st.subheader(t("seg_measure_mask_title"))
    up = st.file_uploader(t("seg_truth_upload"), type=list(MASK_EXTENSIONS),
                          key="seg_truth_file", help=t("seg_truth_help"))
    h, w = pic.image.shape[:2]
    names, k = _shown(seg.class_names), len(seg.class_names)
    pred = seg.mask
    if up is not None:
        try:
            truth, kind = decode_mask(up.getvalue(), (w, h), k, up.name)
        except MaskError as exc:
            st.error(user_message(exc))
            return
        source = t("seg_truth_from_file", name=md_escape(up.name))
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
            st.error(user_message(exc))
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
