"""A live camera for Streamlit: the browser's camera, its frames sent to Python one at a time.

Built on Streamlit's components v2 (``st.components.v2.component``) with a hand-written ES
module (``live_camera.js``) and its CSS, read from this folder and passed inline: no npm,
no build step. Chosen over components v1 (``declare_component(path=...)`` plus the
postMessage protocol) because v2 needs none of that protocol (no componentReady /
setFrameHeight), runs in the page itself rather than an iframe (no iframe ``allow=camera``
to rely on), and a trigger value sent from inside an ``st.fragment`` reruns only that
fragment.

The browser's side is described in ``live_camera.js``: after Start it sends a frame,
``{"seq", "t_client_ms", "w", "h", "jpeg_b64", "rtt_ms"}``, as the one-run trigger value
``frame``, and sends the next one only once Python mounts the component again with
``ack`` equal to that frame's ``seq`` (back-pressure). Answer a frame in ``on_frame``
(it runs before the script or fragment reruns, so the same run can already pass the new
``ack``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import streamlit.components.v2 as components_v2

HERE = Path(__file__).parent
NAME = "cvlab_live_camera"
# The strings the component shows, passed in the session's language by the caller.
STRINGS = ("start", "stop", "live", "stopped", "frame", "round_trip", "denied", "no_camera",
           "busy", "failed", "insecure", "ended")

_mount = components_v2.component(
    NAME, js=(HERE / "live_camera.js").read_text(encoding="utf-8"),
    css=(HERE / "live_camera.css").read_text(encoding="utf-8"))


def live_camera(*, key: str, ack: int, strings: dict[str, str], interval_ms: int = 250,
                max_side: int = 224, quality: float = 0.8,
                on_frame: Callable[[], None] | None = None) -> dict | None:
    """Mount the camera component.

    Args:
        key: the widget key; in ``on_frame``, ``st.session_state[key]["frame"]`` is the
            frame just sent.
        ack: the ``seq`` of the last frame Python has answered (0 for none).
        strings: the texts shown by the component, one per name in ``STRINGS``, in the
            session's language.
        interval_ms: at least this many milliseconds between two frames taken (0: as
            fast as Python answers).
        max_side: the longest side, in pixels, of the frames sent (downscaled in the
            browser; never upscaled).
        quality: JPEG quality in (0, 1].
        on_frame: called when a frame arrives, before the rerun.

    Returns:
        The frame payload sent in this run (a dict as above), or None.
    """
    missing = [k for k in STRINGS if k not in strings]
    if missing:
        raise KeyError(f"live_camera needs the strings {missing}")
    result = _mount(key=key, data={"ack": int(ack), "interval_ms": int(interval_ms),
                                   "max_side": int(max_side), "quality": float(quality),
                                   "strings": dict(strings)},
                    on_frame_change=on_frame or _ignore)
    return result.get("frame") if result is not None else None


def _ignore() -> None:
    """Default ``on_frame``: the frame is read from the return value instead."""
