"""Segment page: train the digit segmenter live for a minute (shared job panel)."""

from __future__ import annotations

import streamlit as st

from ui import overlay
from ui.i18n import t
from ui.job_panel import JobPanel
from ui.segment_views.common import POLL_SECONDS

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
