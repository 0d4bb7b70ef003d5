"""Video page: a clip analysed frame by frame on a timeline, motion and optical flow,
tracking, a recurrent (CNN+GRU) model that sees what one frame cannot, and a live camera
(ui/video_live.py).

Page = controls -> cvlib.video / cvlib.videoio -> show. The per-frame analysis runs in an
AnalysisJob (the shared background-job machinery), polled by a fragment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py

from cvlib import CVLibError, zoo
from cvlib.videoio import EXTENSIONS, MAX_BYTES
from ui import video_charts
from ui.downloads import CSV_MIME, csv_bytes
from ui.i18n import t, translated
from ui.job_panel import JobPanel
from ui.models import class_label, dataset_of, describe, task_label, user_message
from ui.state import keep_settings
from ui.video_live import KEPT as LIVE_KEPT
from ui.video_live import live_section

POLL_SECONDS = 0.5
SAMPLES = ("moving_digit", "digit_scene")
# Settings that survive a visit to another page (ui/state.py): value widgets only, by
# their exact keys (never the uploader or the download buttons, whose state cannot be
# set; nor the frame sliders, whose range is the clip's).
KEPT = ("vid_source", "vid_sample", "vid_seed", "vid_every", "vid_max_seconds",
        "vid_max_frames", "vid_model", "vid_seq_model")


@dataclass
class Controls:
    data: bytes | None
    name: str
    every: int
    max_seconds: float | None
    max_frames: int


@st.cache_data(show_spinner=False, max_entries=8)
def _sample(kind: str, seed: int):
    from cvlib.video import sample_clip
    return sample_clip(kind, seed)


@st.cache_resource(show_spinner=False, max_entries=2)
def _decode(key: str, _data: bytes, every: int, max_seconds, max_frames: int):
    from cvlib.videoio import decode_video
    return decode_video(_data, max_frames=max_frames, every=every, max_seconds=max_seconds)


@st.cache_resource(show_spinner=False, max_entries=2)
def _sequence(name: str):
    import cvlib
    return cvlib.load("sequence", name)


def controls() -> Controls:
    with st.sidebar:
        st.subheader(t("vid_input"))
        source = st.radio(t("vid_source"), ["sample", "upload"], key=translated("vid_source"),
                          format_func=lambda s: t("vid_source_" + s))
        if source == "sample":
            kind = st.selectbox(t("vid_sample"), SAMPLES, key=translated("vid_sample"),
                                format_func=lambda s: t("vid_sample_" + s))
            seed = int(st.number_input(t("vid_seed"), 0, 9999, 0, key="vid_seed"))
            data, _ = _sample(kind, seed)
            name = f"{kind}_{seed}.mp4"
        else:
            up = st.file_uploader(t("vid_upload"), type=list(EXTENSIONS), key="vid_upload",
                                  help=t("vid_limits", mb=MAX_BYTES // 2**20))
            data, name = (up.getvalue(), up.name) if up is not None else (None, "")
        every = int(st.number_input(t("vid_every"), 1, 100, 1, key="vid_every"))
        secs = float(st.number_input(t("vid_max_seconds"), 0.0, 600.0, 0.0, step=5.0,
                                     key="vid_max_seconds", help=t("vid_max_seconds_help")))
        max_frames = int(st.number_input(t("vid_max_frames"), 2, 1000, 400, step=50,
                                         key="vid_max_frames"))
    return Controls(data, name, every, secs or None, max_frames)


# --- analysis job -------------------------------------------------------------------------

def _describe(s) -> tuple[float, str]:
    """Frames done, frames per second and ETA of the AnalysisJob's snapshot."""
    eta = f"{s.eta:.0f} s" if s.eta is not None else "–"
    return (s.done / s.total if s.total else 0.0,
            t("vid_progress_text", done=s.done, total=s.total, fps=s.fps, eta=eta))


PANEL = JobPanel("vid", poll=POLL_SECONDS, describe=_describe, ended=lambda s: s.finished)


def _job():
    return PANEL.job


# --- sections -----------------------------------------------------------------------------

def timeline_section(key: str, clip) -> None:
    from cvlib import video
    models = zoo.available_models("classify", "detect", "segment")
    models.sort(key=lambda m: m != "mnist_cnn")   # the worked example first
    if st.session_state.get("vid_model") not in models:
        st.session_state.pop("vid_model", None)
    model = st.selectbox(t("vid_model"), models, key=translated("vid_model"),
                         format_func=lambda m: f"{m} ({task_label(zoo.get(m).task)})")
    st.caption(describe(model))
    from cvlib.video import AnalysisConfig, AnalysisJob
    PANEL.buttons(lambda: AnalysisJob(AnalysisConfig(clip, model)), t("vid_analyse"), t("stop"))
    PANEL.progress()
    job, running = PANEL.job, PANEL.running
    result = job.result if job is not None and not running else None
    if result is None or result.clip is not clip or not result.records:
        st.info(t("vid_timeline_empty"))
        return
    recs, names = result.records, video.class_names_of(result.model)
    times = [r.time for r in recs]
    cuts = [float(clip.times[c]) for c in video.motion(clip.frames).cuts] \
        if len(clip) > 1 else []
    pick = st.select_slider(t("vid_scrub"), options=list(range(len(recs))), key="vid_scrub",
                            format_func=lambda i: f"{recs[i].index} · {recs[i].time:.2f} s")
    rec = recs[pick]
    dataset = dataset_of(names or [])
    series = {class_label(k, dataset): v for k, v in _series(recs, result.task).items()}
    st.plotly_chart(video_charts.timeline(times, series, _labels(),
                                          cuts, rec.time, t("vid_y_" + result.task)),
                    key="vid_timeline")
    frame = clip.frames[list(clip.indices).index(rec.index)]
    left, right = st.columns(2)
    left.image(video.overlay_frame(frame, rec, result.model, names),
               caption=t("vid_frame_caption", i=rec.index, s=rec.time), width="stretch")
    if result.task == "detect":
        tracks = video.track(recs)
        right.image(video.draw_tracks(frame, tracks, rec.index), width="stretch",
                    caption=t("vid_tracks", n=len(tracks)))
    c1, c2 = st.columns(2)
    c1.download_button(t("vid_csv"), csv_bytes(video.to_csv(recs, names)),
                       file_name="timeline.csv", mime=CSV_MIME, key="vid_csv_btn",
                       icon=":material/download:")
    c2.download_button(t("vid_mp4"), data=lambda: _annotated(result, names),
                       file_name="annotated.mp4", mime="video/mp4", key="vid_mp4_btn",
                       icon=":material/movie:")


def _annotated(result, names) -> bytes:
    from cvlib import video
    from cvlib.videoio import encode_video
    pos = {int(i): k for k, i in enumerate(result.clip.indices)}
    frames = np.stack([result.clip.frames[pos[r.index]] for r in result.records])
    tracks = video.track(result.records) if result.task == "detect" else None
    idx = result.clip.indices
    step = int(idx[1] - idx[0]) if len(idx) > 1 else 1
    fps = result.clip.fps / step if result.clip.fps else 10.0
    return encode_video(video.annotate(frames, result.records, names, tracks, result.model),
                        fps=float(min(max(fps, 0.5), 60.0)))


def _series(recs, task: str) -> dict:
    """The timeline's lines: the 3 most probable classes, the object count or class areas."""
    if task == "classify":
        probs = np.stack([r.result["probs"] for r in recs])
        names = {i: lbl for r in recs for (lbl, _), i in zip(r.result["top"],
                                                             r.result["top_index"])}
        return {names.get(i, str(i)): probs[:, i] for i in np.argsort(-probs.mean(0))[:3]}
    if task == "detect":
        return {t("vid_count"): [r.result["count"] for r in recs]}
    keys = sorted({k for r in recs for k in r.result["areas"] if k != "background"})
    return {k: [r.result["areas"].get(k, 0.0) for r in recs] for k in keys}


def _labels() -> dict:
    return {k: t("vid_chart_" + k) for k in ("time", "cut", "energy", "threshold", "single",
                                             "recurrent", "chance", "frame", "prob", "unit")}


def motion_section(clip) -> None:
    from cvlib import video
    if len(clip) < 2:
        st.info(t("vid_need_two"))
        return
    m = video.motion(clip.frames)
    st.plotly_chart(video_charts.energy(clip.times[1:], m.energy,
                                        [clip.times[c] for c in m.cuts], m.threshold,
                                        _labels()), key="vid_energy")
    st.caption(t("vid_cuts", n=len(m.cuts)))
    busiest = int(np.argmax(m.energy))    # start where the most is moving
    i = st.slider(t("vid_pair"), 0, len(clip) - 2, busiest, key="vid_pair")
    gap = st.slider(t("vid_gap"), 1, min(10, len(clip) - 1 - i) or 1, 1, key="vid_gap") \
        if len(clip) - 1 - i > 1 else 1
    flow = video.optical_flow(clip.frames[i], clip.frames[i + gap])
    step = max(8, max(flow.shape[:2]) // 40)
    arrows = video.flow_arrows(flow, step=step, min_magnitude=0.3)
    frame = clip.frames[i].copy()
    moving = video.moving_mask(flow, 1.0)
    frame[moving] = (0.5 * frame[moving] + [0, 127, 0]).astype(np.uint8)
    a, b, c = st.columns([3, 3, 1])
    a.image(video.draw_arrows(frame, arrows, scale=max(1.0, step / 4)), width="stretch",
            caption=t("vid_arrows", n=len(arrows)))
    b.image(video.flow_to_rgb(flow), width="stretch", caption=t("vid_wheel_caption"))
    c.image(video.colour_wheel(), caption=t("vid_wheel_key"), width="stretch")
    st.caption(t("vid_flow_note", px=float(np.hypot(*flow.reshape(-1, 2).T).max())))
    moving_section(clip)


@st.cache_resource(show_spinner=False, max_entries=2)
def _moving_of(clip_id: int, _clip):
    """Moving objects of a whole decoded clip, their tracks and the learned background,
    shared by the sessions that decoded the same clip (``_decode`` keeps one object per
    clip); with a weak reference to the clip, so a later clip that reuses the id of a
    dropped one is told apart."""
    import weakref

    from cvlib import video
    detector = video.MovingObjectDetector()
    records = video.moving_objects(_clip, detector=detector)
    return weakref.ref(_clip), (records, video.track(records), detector.background())


def _moving(clip):
    with st.spinner(t("vid_moving_running")):
        ref, result = _moving_of(id(clip), clip)
        if ref() is not clip:                      # the id of a clip no longer decoded
            _moving_of.clear()
            ref, result = _moving_of(id(clip), clip)
    return result


def moving_section(clip) -> None:
    """Whatever moves, found by background subtraction and followed by the IoU tracker."""
    from cvlib import video
    from cvlib.video.moving_objects import MIN_AREA
    st.subheader(t("vid_moving_title"))
    st.markdown(t("vid_moving_note", pct=100 * MIN_AREA))
    records, tracks, bg = _moving(clip)
    counts = [r.result["count"] for r in records]
    # start on the busiest frame: most objects, then most foreground
    busiest = max(range(len(records)),
                  key=lambda i: (counts[i], records[i].result["foreground"]))
    k = st.slider(t("vid_moving_frame"), 0, len(records) - 1, busiest, key="vid_moving_frame")
    rec = records[k]
    st.plotly_chart(video_charts.timeline([r.time for r in records],
                                          {t("vid_moving_count"): counts}, _labels(),
                                          cursor=rec.time, y_title=t("vid_moving_count")),
                    key="vid_moving_chart")
    lasting = sum(len(tr.frames) >= 5 for tr in tracks)
    a, b = st.columns(2)
    a.image(video.draw_tracks(clip.frames[k], tracks, rec.index), width="stretch",
            caption=t("vid_moving_tracks", i=rec.index, s=rec.time, n=rec.result["count"],
                      ids=len(tracks), lasting=lasting))
    b.image(bg, width="stretch", caption=t("vid_moving_background"))


def sequence_section(clip, kind: str | None) -> None:
    from cvlib.video import DIRECTION_NAMES
    st.markdown(t("vid_seq_intro"))
    models = zoo.available_models("sequence")
    if not models:
        st.info(t("vid_seq_missing"))
        return
    if kind != "moving_digit":
        st.info(t("vid_seq_hint"))
    if st.session_state.get("vid_seq_model") not in models:
        st.session_state.pop("vid_seq_model", None)
    try:
        name = st.selectbox(t("vid_seq_model"), models, key="vid_seq_model")
        st.caption(describe(name))
        model = _sequence(name)
    except CVLibError as exc:
        st.error(user_message(exc))
        return
    from cvlib.video import as_clip
    step = max(1, len(clip) // 20) if kind != "moving_digit" else 1
    frames = as_clip(clip.frames[::step][:20])[..., 0].astype(np.uint8)
    pred = model(frames)
    single_d, _ = model.single_frames(frames)
    target = pred.direction
    st.image([f for f in frames], width=40, caption=[str(i + 1) for i in range(len(frames))])
    a, b = st.columns(2)
    a.metric(t("vid_seq_direction"), f"{DIRECTION_NAMES[pred.direction]} "
             f"{t('vid_dir_' + str(pred.direction))}", f"{pred.direction_probs.max():.0%}")
    b.metric(t("vid_seq_digit"), str(pred.digit), f"{pred.digit_probs.max():.0%}")
    st.plotly_chart(video_charts.per_frame(single_d[:, target],
                                           pred.direction_per_frame[:, target], _labels()),
                    key="vid_seq_curve")
    st.caption(t("vid_seq_curve_note"))
    st.plotly_chart(video_charts.hidden_states(pred.hidden_states, _labels()),
                    key="vid_seq_states")
    st.caption(t("vid_seq_states_note", units=pred.hidden_states.shape[1]))


def render() -> None:
    keep_settings(*KEPT, *LIVE_KEPT)
    st.title(t("vid_title"))
    st.markdown(t("vid_intro"))
    c = controls()
    clip, key = None, ""
    if c.data is not None:
        key = hashlib.sha256(c.data).hexdigest()[:16]
        try:
            with st.spinner(t("vid_decoding")):
                clip = _decode(key, c.data, c.every, c.max_seconds, c.max_frames)
        except CVLibError as exc:
            st.error(user_message(exc))
    if clip is not None:
        w, h = clip.size
        left, _ = st.columns([2, 3])
        left.caption(t("vid_info", n=len(clip), w=w, h=h, fps=clip.fps, s=clip.duration,
                       codec=clip.codec) + (" · " + t("vid_truncated") if clip.truncated
                                            else ""))
        left.video(c.data)
    kind = st.session_state.get("vid_sample") if st.session_state.get("vid_source") == \
        "sample" else None
    # Only the open tab runs (a switch reruns the page): the sequence model, and with it
    # TensorFlow, loads when its tab is opened, not on the page's first visit
    # (bench/first_answer.py: first visit 7.2 s -> 1.6 s to idle, server RSS 846 -> 175 MB).
    # The live camera (ui/video_live.py) needs no clip. It is not WebRTC: streamlit-webrtc
    # was tried and its aiortc dependency (pylibsrtp) segfaults a process that has loaded
    # TensorFlow 2.21.
    tabs = st.tabs([t("vid_tab_timeline"), t("vid_tab_motion"), t("vid_tab_sequence"),
                    t("vid_tab_live")], key="vid_tab", on_change="rerun")
    for tab, section in zip(tabs, (lambda: timeline_section(key, clip),
                                   lambda: motion_section(clip),
                                   lambda: sequence_section(clip, kind),
                                   live_section)):
        if tab.open:
            with tab:
                if clip is not None or section is live_section:
                    section()
                elif c.data is None:
                    st.info(t("vid_empty"))

render()
