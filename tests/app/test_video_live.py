"""AppTest: the Video page's Live camera tab before any frame, in English and Chinese (the
camera component itself returns nothing in AppTest; tests/e2e/test_live_camera.py drives
it in Chromium with a fake camera)."""

from __future__ import annotations

import pytest

from tests.app.helpers import open_page, texts


@pytest.mark.parametrize("lang, tab, intro, empty, label, task", [
    ("en", "Live camera", "Frames are never stored", "No frame analysed yet", "Model",
     "detect"),
    ("zh", "实时摄像头", "帧从不保存", "尚未分析任何帧", "模型", "检测"),
])
def test_live_tab_empty_state_needs_no_clip(lang, tab, intro, empty, label, task):
    # an upload source with nothing uploaded: the clip tabs have nothing to show, the
    # live camera works without a clip
    at = open_page("pages/video.py", lang, vid_tab=tab, vid_source="upload")
    shown = texts(at)
    assert intro in shown and empty in shown
    sel = at.selectbox(key="vid_live_model")
    assert sel.label == label and sel.value == "faces_mtcnn"     # what a camera sees first
    assert sel.options[0] == f"faces_mtcnn ({task})"
    assert any(o.startswith("mnist_cnn ") for o in sel.options)
    assert at.select_slider(key="vid_live_interval").value == 250
    assert not at.get("metric")                 # no figures before a frame
