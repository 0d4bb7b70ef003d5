"""AppTest: the language in the URL (?lang=zh) and settings that survive a page visit
(ui/state.py). The browser checks are in tests/e2e/test_everyday_browser.py."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def test_language_comes_from_the_url_and_goes_into_it():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.session_state["lang"] == "zh"
    assert any("知识地图" in h.value for h in at.header)
    at.sidebar.radio(key="lang_choice").set_value("en").run()
    assert any("Map of the subject" in h.value for h in at.header)
    assert "lang" not in at.query_params            # English leaves the URL clean
    at.sidebar.radio(key="lang_choice").set_value("zh").run()
    assert at.query_params["lang"] in ("zh", ["zh"])


def test_unknown_language_in_the_url_is_english():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "xx"
    at.run()
    assert not at.exception
    assert any("Map of the subject" in h.value for h in at.header)


def test_train_and_recognize_settings_survive_a_visit_elsewhere():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    at.slider(key="tr_epochs").set_value(9).run()
    at.checkbox(key="tr_bn").check().run()
    at.select_slider(key="tr_lr").set_value(3e-3).run()
    at.switch_page("pages/recognize.py").run()
    assert not at.exception, at.exception
    assert "tr_epochs" not in at.session_state      # Streamlit dropped it ...
    at.slider(key="rec_top_k").set_value(3).run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    assert at.slider(key="tr_epochs").value == 9    # ... and the page put it back
    assert at.checkbox(key="tr_bn").value is True
    assert at.select_slider(key="tr_lr").value == 3e-3
    at.switch_page("pages/recognize.py").run()
    assert at.slider(key="rec_top_k").value == 3
