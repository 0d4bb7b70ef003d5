"""Page-to-page hand-off: "Open in Recognize", "send a sample to Recognize" ...

A page never writes another page's session keys. It calls :func:`open_in` with the target
page's key and the values to hand over; ``app.py`` calls :func:`deliver` once it knows
which page runs, and the values land in ``st.session_state`` just before the target page
draws its widgets (so they take effect as if the user had chosen them there).
"""

from __future__ import annotations

import streamlit as st

_KEY = "_handoff"


def open_in(page: str, script: str, **values) -> None:
    """Hand ``values`` (session keys of page ``page``) over and switch to ``script``.

    Args:
        page: the target's key in app.py's PAGES (its url path), e.g. "recognize".
        script: the target's file, e.g. "pages/recognize.py".
        values: session-state keys of the target page and their new values.
    """
    st.session_state[_KEY] = (page, dict(values))
    st.switch_page(script)


def deliver(page: str) -> dict:
    """Apply a hand-off addressed to ``page`` (call before the page runs); returns it."""
    pending = st.session_state.get(_KEY)
    if not pending or pending[0] != page:
        return {}
    del st.session_state[_KEY]
    for key, value in pending[1].items():
        st.session_state[key] = value
    return pending[1]
