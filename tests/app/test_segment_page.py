"""AppTest: the Segment page: every view renders without a traceback on a digit scene and on
a real photo; missing models give one plain line; faces, classical methods and weak
localisation on the astronaut; Chinese texts. Uploads and downloads are browser-tested
(tests/e2e/test_segment_browser.py): AppTest cannot upload files."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from cvlib import zoo
from tests.app.helpers import open_page, texts


def segment_page(lang: str = "en", **state) -> AppTest:
    return open_page("pages/segment.py", lang, timeout=180, **state)


def show(at: AppTest, view: str) -> AppTest:
    at.session_state["seg_view"] = view
    at.run()
    assert not at.exception, (view, at.exception)
    assert not at.error, (view, [e.value for e in at.error])
    return at


def test_every_view_on_a_digit_scene():
    at = segment_page()
    assert at.title[0].value == "Segment and detect"
    assert at.radio(key="seg_source").value == "scene"
    shipped = zoo.status("digit_segmenter") == "shipped"
    if shipped:
        assert len(at.get("download_button")) == 2          # mask PNG, overlay PNG
        at.slider(key="seg_opacity").set_value(0.8).run()
        assert not at.exception
    else:                                                   # one plain line, no traceback
        assert "python -m cvlib train" in texts(at)
    for view in ("detect", "measure", "classical", "weak"):
        show(at, view)
    at.number_input(key="seg_seed").set_value(3).run()
    assert not at.exception and not at.error
    show(at, "train")
    assert at.button(key="seg_start").label == "Start training"
    assert at.button(key="seg_stop").disabled


def test_real_photo_views_faces_classical_weak_and_voc_offline(monkeypatch):
    import ui.fetch
    monkeypatch.setattr(ui.fetch, "online", lambda timeout=3.0: False)   # never download
    at = segment_page()
    at.session_state["seg_source"] = "photos"   # (set_value formats in English only)
    at.run()
    assert at.session_state["seg_photo"] == "astronaut"
    show(at, "faces")
    assert "MTCNN (Zhang et al. 2016)" in texts(at)       # shown once a face is found
    assert len(at.dataframe) == 1                             # one face: score, box, landmarks
    show(at, "classical")
    for method in ("otsu", "slic", "felzenszwalb", "watershed"):
        at.selectbox(key="seg_cl_method").set_value(method).run()
        assert not at.exception and not at.error, method
    at.selectbox(key="seg_cl_method").set_value("grabcut").run()
    assert not at.error
    at.number_input(key="seg_cl_x1_400x400").set_value(10).run()   # x1 < x0: plain error
    assert at.error and "x0 < x1" in at.error[0].value and not at.exception
    if zoo.status("cifar_cnn") == "shipped":
        show(at, "weak")
        assert at.selectbox(key="seg_weak_model").value == "cifar_cnn"
        at.slider(key="seg_weak_th").set_value(0.5).run()
        assert not at.exception and not at.error
    show(at, "segment")
    if zoo.status("digit_segmenter") == "shipped":   # the digit model on a photo: said so
        assert any("does not look like the digit scenes" in w.value for w in at.warning)
    at.selectbox(key="seg_model").set_value("deeplab_v3_plus_voc").run()
    assert not at.exception and not at.error
    if zoo.status("deeplab_v3_plus_voc") == "missing":
        assert "python -m cvlib fetch deeplab_v3_plus_voc" in at.info[0].value
        # the download button: offline it says why it cannot, and downloads nothing
        at.button(key="seg_fetch_deeplab_v3_plus_voc").click().run()
        assert not at.exception
        assert "python -m cvlib fetch deeplab_v3_plus_voc" in at.warning[0].value


def test_chinese_texts():
    # One run only: AppTest formats a widget's value with its format_func outside the
    # script, i.e. in English, so a rerun of a translated radio fails in the test harness.
    at = segment_page("zh", seg_view="classical")
    assert at.title[0].value == "分割与检测"
    assert at.radio(key="seg_source").label == "图片"
    assert "这些方法都没有学习" in texts(at) and not at.error


def test_chinese_class_names_and_model_descriptions():
    from ui.i18n import catalog
    at = segment_page("zh")
    zh = catalog("zh")
    captions = [c.value for c in at.sidebar.caption]
    assert zh["model_desc_digit_segmenter"] in captions
    assert zh["model_desc_digit_detector"] in captions
    hide = at.multiselect(key="seg_hidden")
    assert "背景" in hide.options and "background" not in hide.options


def test_live_training_runs_to_the_end_and_shows_masks():
    """The live panel end to end: Start on the page trains on 100 scenes for 1 epoch
    through the shared job panel and ends with the masks of the fixed test scenes."""
    at = segment_page(seg_view="train", seg_train_scenes=100, seg_train_epochs=1)
    at.button(key="seg_start").click().run()
    assert not at.exception
    job = at.session_state["seg_job"]
    try:
        assert job.join(240)
    finally:
        job.stop()
        job.join(30)
    snap = job.snapshot()
    assert snap.status == "finished", (snap.status, snap.error)
    assert len(snap.sample_masks) == 1 and 0.0 <= snap.sample_miou[0] <= 1.0
    at.run()                   # (AppTest runs no fragment: the masks' drawing is not
    assert not at.exception    # checked here; the snapshot above is what it draws)
