"""Segment page: a class for every pixel, boxes around objects, and how both are measured.

Page = controls -> cached cvlib calls -> show. No model maths and no Keras here:
cvlib.segment / cvlib.detect predict, cvlib.classical groups pixels without learning,
cvlib.weak localises with a classifier's Grad-CAM, cvlib.masks reads and writes masks and
boxes, cvlib.scene_train trains a small segmenter live (polled by fragments). The views live in
ui/segment_views/, one module per group.
"""

from __future__ import annotations

import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py

from ui.i18n import t
from ui.segment_views.common import KEPT, controls, pick, read_pictures
from ui.segment_views.detection import detect_view, segment_view
from ui.segment_views.measure import measure_view
from ui.segment_views.photos import classical_view, faces_view, weak_view
from ui.segment_views.training import train_view
from ui.state import keep_settings

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
