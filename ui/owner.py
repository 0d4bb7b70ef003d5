"""Whose runs a browser sees: a private id per browser, and the teacher view.

Every browser gets a private id, ``secrets.token_urlsafe(32)`` (256 random bits), kept in a
cookie (``cvlab_owner``). A run records the sha256 of that id as its owner
(:class:`cvlib.runs.RunStore` ``owner=``), and the Train and Recognize pages list, open and
delete only that browser's runs (plus the shared runs made by the command line, which only
the teacher view may delete).

Why a cookie and not the URL (``?lang=`` is kept in the URL): the browser sends the cookie
with the websocket request of every session it opens on this server, so the id survives a
reload, a new tab of the same link, a bookmark and a restart of the server, and it never
appears in the address bar: a student who shares the page's link, or a screenshot of it,
does not share their runs. Streamlit reads cookies (``st.context.cookies``, read once when
the session connects) but cannot set them, so a new id is written by a line of JavaScript
(``st.html``), and the session keeps it in ``st.session_state`` until the next reload
brings the cookie. Browsers that refuse cookies get a new id per session (their runs are
then visible to that session only). The id itself is never shown and never stored on
disk; the runs hold only its hash, which cannot be turned back into the id.

The teacher view lists and deletes every run. It is on only when a password is configured:
``$CVLAB_TEACHER_PASSWORD``, or ``teacher_password`` in ``.streamlit/secrets.toml``. The
password is compared with ``hmac.compare_digest`` and never shown, logged or kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets

import streamlit as st

from cvlib.runs import RunStore
from ui.i18n import t

COOKIE = "cvlab_owner"
COOKIE_DAYS = 365
PASSWORD_ENV = "CVLAB_TEACHER_PASSWORD"
PASSWORD_SECRET = "teacher_password"
MAX_TRIES = 5                     # wrong teacher passwords per session before the box locks
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
OWNER_STATE = "_owner_key"        # session keys (never widget keys: not sent to the browser)
COOKIE_SENT = "_owner_cookie_sent"
_TEACHER = "_teacher_view"
_TRIES = "_teacher_tries"


def owner_key(token: str) -> str:
    """The owner a run records for a browser id: sha256 hex of the id, 32 digits."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (bare mode)
        return None
    return value if isinstance(value, str) and _TOKEN.match(value) else None


def _set_cookie(token: str) -> None:
    # SameSite=Strict: sent only by pages of this site; Secure where the page is https.
    script = (
        "<script>(function(){var s=location.protocol==='https:'?';Secure':'';"
        f"document.cookie={json.dumps(COOKIE + '=' + token)}+"
        f"';Path=/;Max-Age={COOKIE_DAYS * 86400};SameSite=Strict'+s;}})();</script>")
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True, width="content")


def browser_owner() -> str:
    """The owner key of this browser: from its cookie, or a new private id (written to
    the browser's cookie) on its first visit. Call it before listing or making runs."""
    state = st.session_state
    if OWNER_STATE not in state:
        token = _cookie_token()
        if token is None:
            token = secrets.token_urlsafe(32)
            state[COOKIE_SENT] = token
        state[OWNER_STATE] = owner_key(token)
    pending = state.get(COOKIE_SENT)
    if pending:
        # sent again on every run until a reload brings the cookie: a page switch right
        # after the first run may have dropped the element before the browser ran it
        _set_cookie(pending)
    return state[OWNER_STATE]


def teacher_password() -> str | None:
    """The configured teacher password, or None (then there is no teacher view)."""
    value = os.environ.get(PASSWORD_ENV, "")
    if not value:
        try:
            value = st.secrets.get(PASSWORD_SECRET, "")
        except Exception:  # noqa: BLE001 - no secrets.toml: Streamlit raises its own error
            value = ""
    return value if isinstance(value, str) and value else None


def teacher_view() -> bool:
    """True while this session is in the teacher view (and a password is configured)."""
    return bool(st.session_state.get(_TEACHER)) and teacher_password() is not None


def run_store() -> RunStore:
    """The runs this session may see: its browser's own (and the shared ones), or every
    run in the teacher view. New runs record this browser as their owner either way."""
    return RunStore(owner=browser_owner(), all_owners=teacher_view())


def _check_password(key: str) -> None:
    state = st.session_state
    given = state.get(key) or ""
    state[key] = ""                      # the box never keeps the password
    expected = teacher_password()
    if not given or expected is None:
        return
    if state.get(_TRIES, 0) >= MAX_TRIES:
        return
    if hmac.compare_digest(given.encode(), expected.encode()):
        state[_TEACHER] = True
        state.pop(_TRIES, None)
        state["teacher_notice"] = ("success", t("teacher_on"))
    else:
        state[_TRIES] = state.get(_TRIES, 0) + 1
        state["teacher_notice"] = ("error", t("teacher_wrong"))


def _leave() -> None:
    st.session_state.pop(_TEACHER, None)
    st.session_state["teacher_notice"] = ("info", t("teacher_off"))


def teacher_panel(key: str = "teacher_pw") -> None:
    """The teacher view's switch: a password box, or "leave" while it is on; nothing at
    all when no password is configured."""
    if teacher_password() is None:
        return
    notice = st.session_state.pop("teacher_notice", None)
    with st.expander(t("teacher_title"), expanded=notice is not None or teacher_view(),
                     icon=":material/school:"):
        if notice:
            getattr(st, notice[0])(notice[1])
        if teacher_view():
            st.caption(t("teacher_note"))
            st.button(t("teacher_leave"), key=f"{key}_leave", on_click=_leave)
        elif st.session_state.get(_TRIES, 0) >= MAX_TRIES:
            st.caption(t("teacher_locked"))
        else:
            st.text_input(t("teacher_password"), type="password", key=key,
                          on_change=_check_password, args=(key,),
                          help=t("teacher_help"))


def owner_label(record) -> str:
    """A short name for a run's browser in the teacher view: 6 hex digits of its owner key
    (not the private id, which cannot be derived from it), or "shared" for a run without
    owner."""
    owner = getattr(record, "owner", None)
    return owner[:6] if owner else t("owner_shared")
