"""Settings that stay: a page's widget values survive a visit to another page.

Streamlit drops the state of every widget that a script run does not draw, so after a
visit to another page a page's sliders and boxes would come back at their defaults. A page
calls ``keep_settings`` once, at the top of its run and before it draws a widget, with the
keys of its settings widgets::

    keep_settings("tr_*", "result_run")

Each run of the page copies the current values of those keys into one plain session entry
(``_kept_settings``), which Streamlit never drops; when the page runs again and a widget's
value is gone, it is put back through ``st.session_state`` before the widget is drawn, so
the widget starts from the user's last value. A widget that the page draws only sometimes
(an option that appears with another) keeps its value the same way.

Keys: value widgets only (slider, select_slider, selectbox, radio, checkbox, toggle,
number/text input, pills, multiselect); never buttons, file uploaders, the camera, download
buttons or charts, whose state cannot be set. A key with ``*``/``?`` is a pattern
(``fnmatch``), for keys made at run time (``tr_size_mnist_60000``). A widget whose options
can change must check the restored value against its options, as it would any value.

Streamlit 1.67 also has ``persist_state="session"`` on each widget call; one call per page
covers every setting of the page, those added later included, and keeps the page files
small.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import streamlit as st

STORE = "_kept_settings"


def keep_settings(*keys: str) -> None:
    """Keep the values of the widgets with these keys (or key patterns) across page visits.

    Call once per run of a page, before the page draws its widgets.
    """
    state = st.session_state
    if STORE not in state:
        state[STORE] = {}
    kept: dict = state[STORE]
    patterns = [k for k in keys if any(c in k for c in "*?[")]
    wanted = {k for k in keys if k not in patterns}
    if patterns:
        wanted |= {k for k in (*state.keys(), *kept)
                   if k != STORE and any(fnmatchcase(k, p) for p in patterns)}
    for key in wanted:
        if key in state:
            kept[key] = state[key]          # the value the user has now
        elif key in kept:
            state[key] = kept[key]          # dropped while away: put it back
