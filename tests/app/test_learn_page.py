"""AppTest: the Learn page's seven sections, the backprop stepper, the playground tick."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")
SECTIONS = ("neuron", "backprop", "playground", "losses", "optimizers", "remedies", "rnn")


def learn_page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if lang != "en":
        at.sidebar.radio(key="lang_choice").set_value(lang).run()
    at.switch_page("pages/learn.py").run()
    assert not at.exception, at.exception
    return at


def section(at: AppTest, name: str) -> AppTest:
    at.segmented_control(key="learn_section").set_value(name).run()
    assert not at.exception, at.exception
    return at


def all_text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [x.value for x in at.latex] +
                     [h.value for h in at.header] + [c.value for c in at.caption])


def test_every_section_renders():
    at = learn_page()
    assert at.title[0].value == "How a network learns"
    for name in SECTIONS:
        section(at, name)
        assert not at.error, (name, [e.value for e in at.error])
    assert at.session_state["learn_section"] == "rnn"


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_renders_in_chinese(name):
    # A fresh app per section: AppTest evaluates widgets' format_func outside the script
    # run (always English), so a rerun with translated choices on screen cannot be driven.
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "zh"
    at.session_state["learn_section"] = name
    at.run()
    at.switch_page("pages/learn.py").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "神经网络如何学习"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in at.header[0].value)


def test_backprop_stepper_steps_and_agrees_with_tensorflow():
    at = section(learn_page(), "backprop")
    assert at.session_state["bp_step"] == 0
    assert any("All three agree" in s.value for s in at.success)
    at.button(key="bp_next").click().run()
    assert at.session_state["bp_step"] == 1
    assert "z_1 &=" in all_text(at) and "h_1 =" in all_text(at)
    for _ in range(4):
        at.button(key="bp_next").click().run()
    assert at.session_state["bp_step"] == 5
    assert "L = " in all_text(at)
    for _ in range(5):
        at.button(key="bp_next").click().run()
    assert at.session_state["bp_step"] == 10
    assert at.button(key="bp_next").disabled
    text = all_text(at)
    assert "W \\leftarrow W" in text
    assert any("loss went down" in s.value for s in at.success)
    w_before = at.session_state["bp_w1_11"]
    at.button(key="bp_take").click().run()
    assert not at.exception
    assert at.session_state["bp_step"] == 0 and at.session_state["bp_rounds"] == 1
    assert at.session_state["bp_w1_11"] != w_before
    assert at.button(key="bp_back").disabled and not at.button(key="bp_next").disabled


def test_backprop_random_example_and_extreme_weights():
    at = section(learn_page(), "backprop")
    at.button(key="bp_random").click().run()
    assert not at.exception and not at.error
    at.number_input(key="bp_w2_1").set_value(100.0).run()
    at.number_input(key="bp_lr").set_value(10.0).run()
    for _ in range(10):
        at.button(key="bp_next").click().run()
    assert not at.exception


def test_playground_step_run_pause_and_bad_settings():
    at = section(learn_page(), "playground")
    pg = at.session_state["pg"]
    assert pg.steps == 0
    at.button(key="pg_step").click().run()
    assert at.session_state["pg"].steps == 10
    at.button(key="pg_run").click().run()
    assert at.session_state["pg_running"] is True
    assert at.session_state["pg"].steps == 20      # the full run also ticked once
    at.button(key="pg_pause").click().run()
    assert at.session_state["pg_running"] is False
    # a data setting starts a fresh network; a learning rate keeps training
    at.select_slider(key="pg_lr").set_value(0.1).run()
    assert at.session_state["pg"].steps == 20
    at.selectbox(key="pg_dataset").set_value("xor").run()
    assert at.session_state["pg"].steps == 0
    at.button(key="pg_preset_overfit").click().run()
    assert at.session_state["pg"].config.n_points == 60
    assert len(at.session_state["pg"].config.hidden) == 3
    assert not at.exception and not at.error
    # a learning rate that blows up: a plain message, no traceback
    at.select_slider(key="pg_lr").set_value(3.0).run()
    at.selectbox(key="pg_opt").set_value("sgd").run()
    at.selectbox(key="pg_act").set_value("relu").run()
    for _ in range(5):
        at.button(key="pg_step").click().run()
    assert not at.exception


def _tick_script(root: str) -> None:
    import importlib
    import sys

    sys.path.insert(0, root)
    import streamlit as st

    from cvlib import learn

    page = importlib.import_module("pages.learn")
    if "pg" not in st.session_state:
        st.session_state["pg"] = learn.Playground(learn.PlaygroundConfig(dataset="xor"))
        st.session_state["pg_running"] = True
        st.session_state["pg_run_until"] = 30
    page.playground_live()


def test_playground_fragment_body_ticks_and_pauses_itself():
    at = AppTest.from_function(_tick_script, args=(str(ROOT),), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["pg"].steps == 10
    assert len(at.get("plotly_chart")) == 2          # boundary + curves
    at.run()
    assert at.session_state["pg"].steps == 20 and at.session_state["pg_running"]
    at.run()                                          # reaches 30: pauses, reruns once
    assert at.session_state["pg"].steps == 30
    assert at.session_state["pg_running"] is False
    at.run()                                          # paused: draws, does not step
    assert at.session_state["pg"].steps == 30
    assert any("Paused by itself" in i.value for i in at.info)


def test_losses_optimizers_and_rnn_controls():
    at = section(learn_page(), "losses")
    at.slider(key="lf_p").set_value(0.5).run()
    assert not at.exception
    section(at, "optimizers")
    assert len(at.get("plotly_chart")) == 2
    at.select_slider(key="op_lr").set_value(3.0).run()
    assert any("diverged" in e.value for e in at.error)   # plain message, not a traceback
    at.selectbox(key="op_surface").set_value("rosenbrock").run()
    at.pills(key="op_which").set_value([]).run()
    assert not at.exception
    section(at, "rnn")
    at.text_input(key="rn_seq").set_value("1, two, 3").run()
    assert not at.exception
    assert "numbers separated by commas" in at.error[0].value
    at.text_input(key="rn_seq").set_value("1 0 0 -1").run()
    assert not at.error
    assert "h_1 = \\tanh" in all_text(at)


def test_remedies_shows_curves_and_the_place_in_the_queue():
    from tests.unit.test_job_queue import busy_server

    at = section(learn_page(), "remedies")
    assert len(at.get("plotly_chart")) == 1
    assert at.dataframe[0].value.shape[0] == 5
    at.radio(key="rm_metric").set_value("loss").run()
    assert not at.exception

    with busy_server():                  # another user's job holds every worker
        at.button(key="rm_start").click().run()
        assert not at.exception and not at.error
        job = at.session_state["rm_job"]
        assert job.snapshot().status == "queued"
        assert "position 1 · starts in about 1:" in at.progress[0].text
        assert at.button(key="rm_stop").label == "Leave the queue"
        at.button(key="rm_stop").click().run()
    assert not at.exception
    assert job.snapshot().status == "cancelled" and job.result is None
    assert any("Left the queue" in i.value for i in at.info)


def test_settings_survive_switching_sections():
    at = section(learn_page(), "playground")
    at.selectbox(key="pg_dataset").set_value("xor").run()
    at.button(key="pg_step").click().run()
    section(at, "backprop")
    at.number_input(key="bp_x1").set_value(0.25).run()
    at.button(key="bp_next").click().run()
    section(at, "neuron")
    section(at, "playground")
    assert at.selectbox(key="pg_dataset").value == "xor"
    assert at.session_state["pg"].steps == 10
    section(at, "backprop")
    assert at.number_input(key="bp_x1").value == 0.25
    assert at.session_state["bp_step"] == 1
    assert not at.warning                # no "default value and Session State" warning
