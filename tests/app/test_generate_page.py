"""AppTest: the Generate page: sampling (grid, download, verdicts), latent-space tools,
bad input, a missing generator, the live-training panel (its fragment bodies as functions),
and Chinese texts."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from cvlib import zoo
from tests.app.helpers import open_page, texts
from tests.conftest import skip_or_fail

needs_shipped = pytest.mark.needs(
    zoo.status("cgan_mnist") == "shipped",
    reason="cgan_mnist is not shipped in models/: train it with the command in "
           "bench/RESULTS.md (python -m cvlib train --task gan ... --save cgan_mnist)")


def generate_page(lang: str = "en", **state) -> AppTest:
    return open_page("pages/generate.py", lang, timeout=120, **state)


@needs_shipped
def test_sample_grid_download_and_verdicts():
    at = generate_page()
    assert at.title[0].value == "Generate images with a GAN"
    assert not at.error, [e.value for e in at.error]
    assert at.selectbox(key="gen_model").value == "cgan_mnist"
    assert len(at.get("download_button")) >= 2          # PNG grid + GIF
    body = texts(at)
    assert "mnist_cnn agrees with the requested class" in body
    at.selectbox(key="gen_s_class").set_value(7).run()
    at.slider(key="gen_s_n").set_value(8).run()
    at.number_input(key="gen_s_seed").set_value(5).run()
    at.slider(key="gen_s_temp").set_value(0.5).run()
    assert not at.exception and not at.error
    assert "on 8 samples" in texts(at) or "of 8 samples" in texts(at)


@needs_shipped
def test_latent_tools_rerun_cleanly():
    at = generate_page()
    at.slider(key="gen_i_steps").set_value(12).run()
    at.number_input(key="gen_i_b").set_value(42).run()
    at.selectbox(key="gen_m_b").set_value(2).run()
    at.slider(key="gen_d_0").set_value(2.0).run()
    assert not at.exception and not at.error
    assert "Class morph" in texts(at) and "Principal directions" in texts(at)


@needs_shipped
def test_fashion_generator_and_chinese():
    if zoo.status("cgan_fashion") != "shipped":
        skip_or_fail("cgan_fashion is not shipped in models/")
    at = generate_page(lang="en")
    at.selectbox(key="gen_model").set_value("cgan_fashion").run()
    assert not at.exception and not at.error
    assert "fashion_cnn agrees with the requested class" in texts(at)
    # Chinese: the model chosen through the session state (AppTest formats translated
    # selectbox options in English, so widgets are set in the English test above)
    at = generate_page(lang="zh", gen_model="cgan_fashion")
    assert not at.exception and not at.error
    assert at.title[0].value == "用 GAN 生成图像"
    assert "fashion_cnn" in texts(at)


def test_missing_generator_gives_a_plain_message(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path / "empty"))
    at = generate_page()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and "not available" in errors[0] and "Traceback" not in errors[0]
    assert "cvlib train" in errors[0]
    # the live-training tab still works
    assert at.button(key="gen_start") is not None


def test_live_training_panel_start_progress_and_result():
    """Start a tiny GAN job from the page, run the fragment bodies as functions (fragments
    never fire by themselves in AppTest), stop it, and use the trained generator."""
    at = generate_page(gen_t_size=1000)
    at.select_slider(key="gen_t_size").set_value(1000).run()
    at.slider(key="gen_t_epochs").set_value(2).run()
    at.select_slider(key="gen_t_latent").set_value(2).run()    # fewer than 4 directions
    at.select_slider(key="gen_t_batch").set_value(64).run()
    at.button(key="gen_start").click().run()
    assert not at.exception, at.exception
    job = at.session_state["gen_job"]
    assert job.join(180)
    at.run()       # the fragments read the finished job
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["gen_live_result"] is job.result
    assert len(at.get("plotly_chart")) >= 1
    assert "Your generator" in texts(at)
    at.button(key="gen_use_live").click().run()
    assert at.selectbox(key="gen_model").value == "live"
    assert not at.exception and not at.error
    assert at.slider(key="gen_d_1") is not None and len(
        [s for s in at.slider if s.key and s.key.startswith("gen_d_")]) == 2


@needs_shipped
def test_a_sample_opens_in_recognize():
    at = generate_page()
    at.selectbox(key="gen_s_class").set_value(3).run()
    at.selectbox(key="gen_send_pick").set_value("#3 · 3").run()
    at.button(key="gen_send").click().run()
    assert not at.exception, at.exception
    assert at.session_state["rec_sample"] == "generated"
    if at.title[0].value != "Recognize an image":     # AppTest does not follow st.switch_page
        at.switch_page("pages/recognize.py").run()
    assert at.title[0].value == "Recognize an image"
    assert at.selectbox(key="rec_model").value == "mnist_cnn"
    assert not at.error, [e.value for e in at.error]
    fig = at.get("plotly_chart")[0].proto.spec
    assert '"3"' in fig                           # the generated 3 is among the top-k bars


def test_offline_subset_banner_and_the_slider_follows_the_data(tmp_path, monkeypatch):
    """Offline (no CVLIB_DATA_DIR, an empty Keras cache) GAN training uses the packaged
    subset: the page says so, as the Train page does, and offers no more images than it has."""
    import streamlit as st

    from cvlib.data import load_dataset
    monkeypatch.delenv("CVLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    st.cache_data.clear()
    try:
        n = len(load_dataset("mnist", "train")[0])
        at = generate_page()
        banners = [w.value for w in at.warning if "Offline" in w.value]
        assert banners and "MNIST" in banners[0]
        sizes = at.select_slider(key="gen_t_size")
        assert sizes.options[-1] == f"{n:,}" and sizes.value == n
    finally:
        st.cache_data.clear()
