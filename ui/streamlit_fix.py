"""Keep Streamlit from resetting Keras while a training thread runs.

After every script or fragment run, Streamlit's script runner calls
``keras.backend.clear_session()`` (``_clean_problem_modules``). With a live chart that
reruns a fragment twice a second, a training thread inside the server then crawls
(measured ~200 img/s instead of ~5,000) and can crash with duplicate layer names.
This replaces that hook with one that keeps only its matplotlib part. It touches a
private Streamlit function, which is why requirements.txt pins Streamlit to 1.67.x;
tests/unit/test_streamlit_fix.py fails loudly if the hook moves.
``runner.postScriptGC = false`` in .streamlit/config.toml removes the other cost (a full
``gc.collect(2)`` after every run).
"""

from __future__ import annotations

import sys


def _clean_without_keras() -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - never break a script run over matplotlib
            pass


_clean_without_keras.cvlab_patched = True


def keep_keras_session() -> bool:
    """Install the replacement hook (idempotent). True when the hook is in place."""
    import os

    from streamlit.runtime.scriptrunner import script_runner

    if os.environ.get("CVLAB_NAIVE_STREAMLIT") == "1":   # bench/app_throughput.py --naive
        return False
    if not hasattr(script_runner, "_clean_problem_modules"):
        return False
    if getattr(script_runner._clean_problem_modules, "cvlab_patched", False):
        return True
    script_runner._clean_problem_modules = _clean_without_keras
    return True


def require_router() -> None:
    """Make a deep link to a page go through app.py's ``st.navigation``.

    On a fresh server Streamlit sees the ``pages/`` folder and, until ``st.navigation`` has
    run once, treats the app as a legacy multipage app: a first request for ``/train`` runs
    ``pages/train.py`` directly, without the router, and the sidebar lists the file names
    ("app", "train"). A page calls this first: in that legacy mode it switches Streamlit to
    ``st.navigation`` mode and reruns, which now goes through app.py to the same page
    (the page hash depends only on the url path "train", the same in both modes).
    tests/e2e checks the sidebar after such a deep link.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
