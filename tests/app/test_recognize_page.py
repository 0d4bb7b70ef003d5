"""AppTest: the Recognize page with samples, uploads (good, broken, several), the missing
ImageNet cache, every explanation tab and the robustness lab; Chinese texts.

The drawing canvas is a custom component and returns nothing in AppTest: it is tested in
the browser (tests/e2e/test_recognize_browser.py).
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.helpers import GeneratedPicture, open_page, texts


def recognize_page(lang: str = "en", **state) -> AppTest:
    return open_page("pages/recognize.py", lang, timeout=120, **state)


def test_sample_digit_is_classified_and_explained():
    at = recognize_page()
    assert at.title[0].value == "Recognize an image"
    assert not at.error, [e.value for e in at.error]
    charts = at.get("plotly_chart")
    assert len(charts) >= 2                      # top-k + lab (+ sweeps)
    fig = charts[0].proto.spec
    assert '"7"' in fig                           # the sample 7 is among the bars
    body = texts(at)
    assert "MNIST way" in body and "ms" in body
    assert len(at.get("image")) >= 6              # original, input, Grad-CAM overlays ...
    assert at.selectbox(key="rec_cam_layer").value == "conv3"


def test_every_explanation_setting_reruns_cleanly():
    at = recognize_page()
    at.selectbox(key="rec_cam_layer").set_value("conv1").run()
    at.slider(key="rec_cam_alpha").set_value(0.8).run()
    at.selectbox(key="rec_maps_layer").set_value("conv2").run()
    at.slider(key="rec_occ_patch").set_value(4).run()
    assert not at.exception and not at.error
    for key, value in (("rec_lab_rotate", 90.0), ("rec_lab_noise", 0.3),
                       ("rec_lab_fgsm", 0.2), ("rec_lab_patch", 0.5)):
        at.slider(key=key).set_value(value).run()
        assert not at.exception, (key, at.exception)
    assert [e.value for e in at.error] or [s.value for s in at.success]   # a verdict shown


def test_fashion_sketch_and_model_switch():
    at = recognize_page(rec_model="fashion_cnn", rec_sample="sketch_trouser")
    assert not at.error
    assert "Trouser" in at.get("plotly_chart")[0].proto.spec


def test_missing_imagenet_cache_is_one_plain_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    at = recognize_page(rec_model="mobilenet_v3_small")
    assert len(at.error) == 1
    msg = at.error[0].value
    assert "\n" not in msg and "Keras cache" in msg
    assert "mnist_cnn" in at.info[0].value and "fashion_cnn" in at.info[0].value


def test_missing_cifar_model_is_plain(monkeypatch, tmp_path):
    # A checkout whose cifar_cnn weights file is gone (deleted, or not pulled).
    import shutil

    import streamlit as st

    from cvlib import recognize, zoo
    models = tmp_path / "models"
    shutil.copytree(zoo.models_dir(), models)
    (models / "cifar_cnn.weights.h5").unlink()
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(models))
    for cache in (zoo._load_cached, recognize.get_classifier):
        cache.cache_clear()
    st.cache_resource.clear()
    try:
        assert zoo.status("cifar_cnn") == "missing"
        at = recognize_page(rec_model="cifar_cnn")
        assert len(at.error) == 1 and "cifar_cnn.weights.h5" in at.error[0].value
        assert "\n" not in at.error[0].value
        assert not at.exception
    finally:
        for cache in (zoo._load_cached, recognize.get_classifier):
            cache.cache_clear()
        st.cache_resource.clear()


def test_chinese_texts():
    at = recognize_page(lang="zh")
    assert at.title[0].value == "图像识别"
    assert not at.error


def test_upload_source_starts_with_a_hint():
    # The uploader itself cannot be driven in AppTest: bad and good uploads go through the
    # real file input in tests/e2e/test_recognize_browser.py.
    at = recognize_page(rec_source="upload")
    assert not at.error and "Upload one or more images" in at.info[0].value


def test_chinese_model_description_samples_and_class_names():
    at = recognize_page(lang="zh", rec_model="fashion_cnn", rec_sample="sketch_trouser")
    assert not at.error and not at.exception
    from ui.i18n import catalog
    zh = catalog("zh")
    assert zh["model_desc_fashion_cnn"] in [c.value for c in at.sidebar.caption]
    import json
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]
    assert "裤子" in bars and "Trouser" not in bars             # the classes, translated


def test_a_one_pixel_picture_gets_no_top_k():
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buf, "PNG")
    at = recognize_page(rec_generated=GeneratedPicture(buf.getvalue(), "3", "mnist_cnn"),
                        rec_sample="generated")
    assert not at.exception and not at.error
    assert not at.get("plotly_chart")                             # no top-k, no "why"
    assert any("too small" in w.value for w in at.warning)
    assert "Why?" not in texts(at)


def test_imagenet_download_button_explains_offline(tmp_path, monkeypatch):
    import ui.fetch
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(ui.fetch, "online", lambda timeout=3.0: False)   # never download
    zh = recognize_page(lang="zh", rec_model="mobilenet_v3_small")
    assert "Keras 缓存" in zh.error[0].value and "\n" not in zh.error[0].value
    assert zh.button(key="rec_fetch_mobilenet_v3_small").label == "下载 mobilenet_v3_small 的权重"
    # (clicked in English: AppTest formats translated radio options in English only)
    at = recognize_page(rec_model="mobilenet_v3_small")
    at.button(key="rec_fetch_mobilenet_v3_small").click().run()
    assert not at.exception
    warning = at.warning[0].value
    assert "offline" in warning and "python -m cvlib fetch mobilenet_v3_small" in warning
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())
