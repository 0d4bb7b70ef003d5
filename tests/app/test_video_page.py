"""AppTest: the Video page: a generated sample clip, the timeline job (its result read back
after the job ends), the motion tab, the sequence model, and Chinese texts."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cvlib import zoo
from tests.app.helpers import open_page, texts
from tests.app.test_home_train import _fresh_process


def video_page(lang: str = "en", **state) -> AppTest:
    return open_page("pages/video.py", lang, timeout=120, **state)


@pytest.mark.needs(zoo.status("mnist_cnn") == "shipped", reason="mnist_cnn is not shipped")
def test_sample_clip_timeline_job_and_downloads():
    at = video_page()
    assert at.title[0].value.startswith("Video")
    assert "20 frames · 128×128 px" in texts(at)        # the sample, upscaled 2x
    assert at.selectbox(key="vid_model").value == "mnist_cnn"
    assert "Press Analyse" in texts(at)
    at.button(key="vid_start").click().run()
    job = at.session_state["vid_job"]
    assert job.join(120), "the analysis job did not finish"
    at.run()
    assert not at.exception, at.exception
    assert job.snapshot().status == "finished" and len(job.result.records) == 20
    assert len(at.get("plotly_chart")) == 1   # the timeline; the motion tab runs when opened
    assert len(at.get("download_button")) == 2           # CSV + annotated MP4
    at.select_slider(key="vid_scrub").set_value(7).run()
    assert not at.exception and at.select_slider(key="vid_scrub").value == 7


def test_motion_tab_and_frame_pair():
    at = video_page(vid_sample="digit_scene", vid_tab="Motion")    # only the open tab runs
    assert "40 frames · 128×128 px" in texts(at)
    at.slider(key="vid_pair").set_value(10).run()
    assert not at.exception
    assert "Fastest motion here" in texts(at)


@pytest.mark.needs(zoo.status("digit_motion") == "shipped",
                   reason="digit_motion is not shipped: python -m cvlib train --task sequence "
                          "--save digit_motion")
def test_sequence_model_section():
    at = video_page(vid_tab="Sequence model (RNN)")
    metrics = at.get("metric")
    assert [m.label for m in metrics] == ["Direction at the first frame", "Digit"]
    assert "Why one frame is not enough" in texts(at)


def test_first_visit_imports_no_tensorflow():
    """Only the open tab runs: the sequence model, and with it TensorFlow, loads when its
    tab is opened, not on the page's first visit (issue 14, bench/first_answer.py)."""
    steps = ("at.switch_page('pages/video.py').run()\n"
             "assert any('Press Analyse' in i.value for i in at.info), 'no timeline tab'")
    assert _fresh_process(steps) == [False, False]


def test_chinese_and_empty_upload():
    at = video_page("zh", vid_source="upload")
    assert at.title[0].value.startswith("视频")
    assert "请在侧边栏选择示例片段或上传视频" in texts(at)


def test_chinese_model_description_and_task():
    from ui.i18n import catalog
    at = video_page("zh")
    assert not at.exception
    assert catalog("zh")["model_desc_mnist_cnn"] in texts(at)
    assert "(classify)" not in at.selectbox(key="vid_model").options[0]
