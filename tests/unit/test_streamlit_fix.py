"""The private Streamlit hooks we rely on still exist (fails loudly after an upgrade)."""

from __future__ import annotations


def test_keras_reset_hook_is_replaced():
    from streamlit.runtime.scriptrunner import script_runner

    from ui.streamlit_fix import keep_keras_session
    assert hasattr(script_runner, "_clean_problem_modules")
    assert keep_keras_session()
    assert getattr(script_runner._clean_problem_modules, "cvlab_patched", False)
    script_runner._clean_problem_modules()        # runs, and leaves Keras alone


def test_pages_manager_flag_exists():
    from streamlit.runtime.pages_manager import PagesManager
    assert hasattr(PagesManager, "uses_pages_directory")


def test_post_script_gc_is_off_in_config():
    from tests.conftest import ROOT
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "postScriptGC = false" in text
