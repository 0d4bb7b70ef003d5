"""The Video page's "Live camera" tab: frames from the browser's camera analysed one at a
time on the server, with the label or boxes, frames per second and model time shown.

Not WebRTC: streamlit-webrtc was tried first, and its aiortc dependency (pylibsrtp)
segfaults a server process that has already loaded TensorFlow 2.21; ``st.camera_input``
takes one snapshot per click. Instead a small components-v2 element (ui/live_camera)
sends a downscaled JPEG as a trigger value and waits for Python's answer before it sends
the next one. The tab's body is an ``st.fragment``: a new frame reruns only the fragment,
never the page; the frame is analysed in the component's ``on_frame`` callback
(cvlib.video.LiveAnalyzer), before the fragment reruns, so that rerun already acknowledges
it.
"""

from __future__ import annotations

import streamlit as st

from cvlib import CVLibError, zoo
from ui.i18n import t
from ui.live_camera import STRINGS, live_camera
from ui.models import class_label, dataset_of, describe, task_label, user_message

CAM = "vid_live_cam"          # the component's widget key
STATE = "_vid_live"           # {"analyser", "ack", "error", "rtt"} of this session
INTERVALS = (0, 100, 250, 500, 1000)     # ms between frames taken; 0 = as fast as answered
SIDES = (96, 160, 224, 320)              # the frames' longest side, in pixels
# What a laptop camera sees first is the person in front of it: the face detector gives a
# meaningful answer at once (cifar_cnn's 10 classes have no "person"); the digit models
# answer for a digit held up to the camera (the browser test does so with mnist_cnn).
DEFAULT_MODEL = "faces_mtcnn"
KEPT = ("vid_live_model", "vid_live_interval", "vid_live_side")


def _models() -> list[str]:
    models = zoo.available_models("detect", "classify", "segment")
    models.sort(key=lambda m: m != DEFAULT_MODEL)
    return models


def _state() -> dict:
    if STATE not in st.session_state:
        st.session_state[STATE] = {"analyser": None, "ack": 0, "error": None, "rtt": None}
    return st.session_state[STATE]


def _on_frame() -> None:
    """The component's on_frame callback: analyse the frame just sent, then acknowledge it
    (also after an error, so the browser goes on with the next frame)."""
    from cvlib.video import LiveAnalyzer
    live = _state()
    payload = (st.session_state.get(CAM) or {}).get("frame")
    if not isinstance(payload, dict):
        return
    model = st.session_state.get("vid_live_model") or DEFAULT_MODEL
    an = live["analyser"]
    try:
        if an is None or an.model != model:
            an = live["analyser"] = LiveAnalyzer(model)
        if not an.loaded:
            an.load()
        an.analyse_payload(payload)
        live["error"] = None
    except CVLibError as exc:
        live["error"] = exc
    seq, rtt = payload.get("seq"), payload.get("rtt_ms")
    if isinstance(seq, int) and not isinstance(seq, bool):
        live["ack"] = seq
    live["rtt"] = float(rtt) if isinstance(rtt, (int, float)) and \
        not isinstance(rtt, bool) else None


def _result(rec, an) -> str:
    """The metric's value: the top class and its probability, the number of boxes, or
    the largest class of a mask."""
    r = rec.record.result
    names = an.class_names
    if rec.top is not None:
        label, p = rec.top
        return f"{class_label(label, dataset_of(names))} {p:.0%}"
    if rec.count is not None:
        return t("vid_live_boxes", n=rec.count)
    areas = {k: v for k, v in r.get("areas", {}).items() if k != "background"}
    if not areas:
        return t("vid_live_nothing")
    k = max(areas, key=areas.get)
    return f"{class_label(k, dataset_of(names))} {areas[k]:.0%}"


def show(live: dict, frame_box, figures_box) -> None:
    """The last analysed frame with its overlay (in ``frame_box``) and the figures (in
    ``figures_box``), or the empty state."""
    an = live["analyser"]
    rec = an.last if an is not None else None
    if live["error"] is not None:
        frame_box.error(user_message(live["error"]))
    if rec is None:
        frame_box.info(t("vid_live_empty"))
        return
    h, w = rec.frame.shape[:2]
    frame_box.image(an.overlay(rec), width="stretch",
                    caption=t("vid_live_frame_caption", seq=rec.seq, w=w, h=h))
    a, b, c = figures_box.columns(3)
    a.metric(t("vid_live_result"), _result(rec, an))
    b.metric(t("vid_live_fps"), f"{rec.fps:.1f}")
    c.metric(t("vid_live_model_ms"), f"{rec.model_ms:.0f} ms")
    rtt = f"{live['rtt']:.0f} ms" if live["rtt"] is not None else "–"
    figures_box.caption(t("vid_live_breakdown", decode=rec.decode_ms, model=rec.model_ms,
                          rtt=rtt))


@st.fragment
def live_section() -> None:
    """The tab's body (a fragment: a frame from the camera reruns only this)."""
    st.markdown(t("vid_live_intro"))
    models = _models()
    if st.session_state.get("vid_live_model") not in models:
        st.session_state.pop("vid_live_model", None)
    c1, c2, c3 = st.columns([2, 1, 1])
    model = c1.selectbox(t("vid_live_model"), models, key="vid_live_model",
                         format_func=lambda m: f"{m} ({task_label(zoo.get(m).task)})")
    interval = c2.select_slider(t("vid_live_interval"), INTERVALS, value=250,
                                key="vid_live_interval", help=t("vid_live_interval_help"),
                                format_func=lambda v: f"{v} ms" if v else t("vid_live_asap"))
    side = c3.select_slider(t("vid_live_side"), SIDES, value=224, key="vid_live_side",
                            format_func=lambda v: f"{v} px")
    st.caption(describe(model))
    live = _state()
    left, right = st.columns(2)
    with left:
        live_camera(key=CAM, ack=live["ack"], interval_ms=interval, max_side=side,
                    strings={k: t(f"vid_live_js_{k}") for k in STRINGS}, on_frame=_on_frame)
    show(live, right, st.container())
