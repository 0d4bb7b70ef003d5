"""The "download the weights" button of a model that needs the Keras cache (ImageNet ...).

The app never downloads by itself: only this button, pressed by the user, calls
``cvlib.zoo.fetch(name)``. It first checks that the download server can be reached (one
short connection), so that offline it says at once why it cannot, and what to do instead.
Online, the download runs in a background thread while a progress bar follows the weights
file growing in the Keras cache (Keras writes it in place) against its known size.
"""

from __future__ import annotations

import socket
import threading
import time

import streamlit as st

from ui.i18n import t
from ui.models import user_message

HOST = ("storage.googleapis.com", 443)    # where keras.applications weights come from
# Approximate download sizes (MB), for the progress bar; a model not listed shows the MB
# downloaded so far.
SIZES_MB = {"mobilenet_v3_small": 10.4, "efficientnet_v2_b0": 29.5, "resnet50": 102.9,
            "deeplab_v3_plus_voc": 160.0}


REQUEST = "_fetch_requested"


def _request(name: str) -> None:
    st.session_state[REQUEST] = name


def online(timeout: float = 3.0) -> bool:
    """Whether the weights' download server can be reached now."""
    try:
        with socket.create_connection(HOST, timeout=timeout):
            return True
    except OSError:
        return False


def fetch_button(name: str, key: str) -> bool:
    """A button that downloads ``name``'s weights with a progress bar. Returns True once
    they are in the cache (the caller reruns)."""
    from cvlib import zoo
    # a callback, not the button's return value: a click survives a rerun of the script
    st.button(t("fetch_button", name=name), key=key, icon=":material/download:",
              help=t("fetch_help"), on_click=_request, args=(name,))
    if st.session_state.pop(REQUEST, None) != name:
        return False
    if not online():
        st.warning(t("fetch_offline", name=name, host=HOST[0]), icon=":material/cloud_off:")
        return False
    target = zoo.keras_models_dir() / zoo.get(name).cache_file
    outcome: dict = {}

    def work():
        try:
            outcome["path"] = zoo.fetch(name)
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            outcome["error"] = exc    # worded below, in the script's thread (its language)

    thread = threading.Thread(target=work, daemon=True, name=f"fetch-{name}")
    thread.start()
    bar = st.progress(0.0, text=t("fetch_starting", name=name))
    total = SIZES_MB.get(name)
    while thread.is_alive():
        mb = target.stat().st_size / 2**20 if target.exists() else 0.0
        frac = min(mb / total, 0.99) if total else 0.0
        bar.progress(frac, text=t("fetch_progress", name=name, mb=f"{mb:.1f}",
                                  total=f"{total:.0f}" if total else "?"))
        time.sleep(0.3)
    if "error" in outcome:
        bar.empty()
        exc = outcome["error"]
        err = user_message(exc).splitlines()[0] if str(exc) else type(exc).__name__
        st.error(t("fetch_failed", name=name, err=err))
        return False
    bar.progress(1.0, text=t("fetch_done", name=name))
    return True
