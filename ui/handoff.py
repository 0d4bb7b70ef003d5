"""Page-to-page hand-off: "Open in Recognize", "send a sample to Recognize" ...

A page never writes another page's session keys. It calls :func:`send` (from a button
callback) or :func:`open_in` (from the script run) with the target page's key and the
values to hand over. ``app.py`` then switches to that page (:func:`pending_target`) and,
just before the target page draws its widgets, :func:`deliver` puts the values into
``st.session_state``, so they take effect as if the user had chosen them there.
"""

from __future__ import annotations

import streamlit as st

_KEY = "_handoff"


def send(page: str, **values) -> None:
    """Queue ``values`` (session keys of page ``page``) for that page; the next run of
    the app switches to it. Safe in a button callback.

    Args:
        page: the target's key in app.py's PAGES (its url path), e.g. "recognize".
        values: session-state keys of the target page and their new values.
    """
    st.session_state[_KEY] = (page, dict(values))


def open_in(page: str, **values) -> None:
    """:func:`send`, then rerun at once (from a script run, e.g. after ``st.button``)."""
    send(page, **values)
    st.rerun()


def pending_target() -> str | None:
    """The page a queued hand-off is addressed to, if any."""
    pending = st.session_state.get(_KEY)
    return pending[0] if pending else None


def deliver(page: str) -> dict:
    """Apply a hand-off addressed to ``page`` (call before the page runs); returns it."""
    pending = st.session_state.get(_KEY)
    if not pending or pending[0] != page:
        return {}
    del st.session_state[_KEY]
    for key, value in pending[1].items():
        st.session_state[key] = value
    return pending[1]
