"""Segment page: classical methods, faces and weak localisation on photos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cvlib import zoo
from ui import overlay
from ui.i18n import t, translated
from ui.models import class_label, user_message
from ui.segment_views.common import (
    CLASSICAL_SIDE,
    METHOD_KEYS,
    Picture,
    _classical,
    _detect,
    _localise,
    _shrink,
    run_or_tell,
)
from ui.text import md_escape

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
        st.error(t("seg_bad_input", err=user_message(exc)))
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
    faces = run_or_tell(_detect, "faces_mtcnn", pic.image, float(score), 0.7)
    if faces is None:
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
    models = zoo.available_models("classify")
    default = "mnist_cnn" if pic.truth is not None else "cifar_cnn"
    if st.session_state.get("seg_weak_model") not in models:
        st.session_state["seg_weak_model"] = default if default in models else models[0]
    st.caption(t("seg_weak_intro"))
    a, b, c = st.columns([2, 2, 1])
    model = a.selectbox(t("seg_weak_model"), models, key="seg_weak_model")
    threshold = b.slider(t("seg_weak_threshold"), 0.05, 0.95, 0.3, 0.05, key="seg_weak_th")
    c.write("")
    refine = c.checkbox(t("seg_weak_refine"), True, key="seg_weak_refine")
    loc = run_or_tell(_localise, model, pic.image, float(threshold), bool(refine))
    if loc is None:
        return
    box = [Detection(loc.box, 0, loc.score)]
    c1, c2, c3 = st.columns(3)
    c1.image(overlay.boxes(overlay.heatmap(pic.image, loc.cam, 0.6), box, [loc.label]),
             caption=t("seg_weak_cam", label=md_escape(class_label(loc.label,
                                                                   zoo.get(model).dataset)),
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
