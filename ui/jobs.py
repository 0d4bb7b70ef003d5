"""Tie a background job to the browser session that started it.

A :class:`cvlib.train.TrainingJob` runs in a daemon thread of the server. When the tab that
started it is closed, nobody will ever look at it again, so a small watcher thread stops it
(``reason="browser tab closed"``), which keeps the weights and marks the run "stopped" on
disk. Navigating between pages of the app keeps the session, and so the job.
"""

from __future__ import annotations

import threading
import time

# How long a session may be disconnected (a reload, a flaky network) before its job stops.
GRACE_SECONDS = 5.0


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except Exception:  # noqa: BLE001 - outside a server (AppTest, bare mode)
        return None


def _session_alive(session_id: str) -> bool | None:
    """True/False from the running server; None when there is no server to ask."""
    try:
        from streamlit import runtime
        if not runtime.exists():
            return None
        return runtime.get_instance().is_active_session(session_id)
    except Exception:  # noqa: BLE001
        return None


def watch_session(job, grace: float = GRACE_SECONDS, poll: float = 0.5) -> threading.Thread | None:
    """Stop ``job`` once the current browser session has been gone for ``grace`` seconds."""
    session_id = _session_id()
    if session_id is None or _session_alive(session_id) is None:
        return None

    def loop():
        gone_since = None
        while job.running:
            alive = _session_alive(session_id)
            if alive is False:
                gone_since = gone_since or time.monotonic()
                if time.monotonic() - gone_since >= grace:
                    job.stop(reason="browser tab closed")
                    return
            else:
                gone_since = None
            time.sleep(poll)

    thread = threading.Thread(target=loop, name="cvlab-session-watch", daemon=True)
    thread.start()
    return thread
