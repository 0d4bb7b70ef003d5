"""The one image input every page uses: samples, upload (several files), camera, drawing.

Each function returns ``[(name, file bytes), ...]`` for what the user gave, and
:func:`decode_all` turns those into decoded pictures plus one plain message per file that
could not be read (in the UI language; never a traceback). A page picks the sources it
offers; widget keys are derived from its ``slot`` ("rec", "seg" ...), so two pages keep
their own files.

Uploads: the same content dropped twice counts once (sha256), "Clear all" starts a fresh
uploader, and more than ``per_page`` files are shown a page at a time, with a note.
"""

from __future__ import annotations

import hashlib
import math
from typing import Callable

import streamlit as st

from ui.i18n import t, translated
from ui.text import md_escape

PER_PAGE = 12


def _new_batch(slot: str) -> None:
    """A fresh (empty) uploader: its key changes, so the next batch starts alone."""
    st.session_state[f"{slot}_upload_batch"] = st.session_state.get(f"{slot}_upload_batch", 0) + 1
    st.session_state.pop(f"{slot}_page", None)


def uploads(slot: str, label: str, types, help: str | None = None,
            per_page: int = PER_PAGE) -> list[tuple[str, bytes]]:
    """Uploaded files, each content once, ``per_page`` at a time (the rest paged)."""
    batch = st.session_state.get(f"{slot}_upload_batch", 0)
    files = st.file_uploader(label, type=list(types), accept_multiple_files=True,
                             key=f"{slot}_files_{batch}", help=help) or []
    unique: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for f in files:      # a second drop of the same files adds nothing
        data = f.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in seen:
            seen.add(digest)
            unique.append((f.name, data))
    if files:
        a, b = st.columns([1, 3], vertical_alignment="center")
        a.button(t("in_clear_uploads"), key=f"{slot}_clear_uploads", on_click=_new_batch,
                 args=(slot,), icon=":material/delete_sweep:")
        if len(files) > len(unique):
            b.caption(t("in_duplicates", n=len(files) - len(unique)))
    if len(unique) <= per_page:
        return unique
    pages = math.ceil(len(unique) / per_page)
    key = f"{slot}_page"
    if st.session_state.get(key) not in range(pages):
        st.session_state[key] = 0
    a, b = st.columns([1, 2], vertical_alignment="bottom")
    page = a.selectbox(t("in_page"), range(pages), key=translated(key),
                       format_func=lambda p: t("in_page_label", first=p * per_page + 1,
                                               last=min((p + 1) * per_page, len(unique)),
                                               n=len(unique)))
    b.info(t("in_paged", n=len(unique), per=per_page, pages=pages),
           icon=":material/filter_none:")
    return unique[page * per_page:(page + 1) * per_page]


def camera(slot: str, label: str) -> list[tuple[str, bytes]]:
    """A photo from the browser's camera (one at a time)."""
    shot = st.camera_input(label, key=f"{slot}_camera")
    return [("camera.jpg", shot.getvalue())] if shot is not None else []


def drawing(slot: str, help: str | None = None) -> list[tuple[str, bytes]]:
    """A drawing canvas (black ink on white, 280x280); nothing until a stroke exists."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except ImportError:
        st.info(t("in_draw_missing"))
        return []
    left, right = st.columns([2, 3])
    left.write("")   # room for the canvas toolbar, which floats above the canvas
    with right:
        width = st.slider(t("in_stroke"), 6, 40, 18, key=f"{slot}_stroke")
        st.caption(help or t("in_draw_help"))
    with left:
        result = st_canvas(stroke_width=width, stroke_color="#000000",
                           background_color="#ffffff", height=280, width=280,
                           drawing_mode="freedraw", return_image_data=True,
                           key=f"{slot}_canvas")
    objects = (result.json_data or {}).get("objects") or []
    data = result.image_bytes if objects else None
    if not data:
        st.info(t("in_draw_empty"))
        return []
    return [("drawing.png", data)]


def samples(slot: str, options: list, label: str, label_of: Callable,
            default: str | None = None, help: str | None = None) -> list[tuple[str, bytes]]:
    """One of the page's sample pictures (objects with ``name`` and ``read() -> bytes``),
    chosen with pills labelled by ``label_of(sample)``."""
    by_name = {s.name: s for s in options}
    key = f"{slot}_sample"
    if default is not None and key not in st.session_state:
        st.session_state[key] = default
    choice = st.pills(label, list(by_name), key=translated(key),     # options are Markdown
                      format_func=lambda n: md_escape(label_of(by_name[n])))
    if help:
        st.caption(help)
    return [(f"{choice}.png", by_name[choice].read())] if choice in by_name else []


def decode_all(files: list[tuple[str, bytes]], decode: Callable) -> tuple[list, list[str]]:
    """``decode(data, name)`` for each file: (decoded pictures, one message per failure).

    A failure of :class:`cvlib.imageio.ImageDecodeError` is worded in the UI language
    (:func:`ui.models.decode_error`); the picture is left out, the others go on.
    """
    from cvlib.imageio import ImageDecodeError
    from ui.models import decode_error
    out, errors = [], []
    for name, data in files:
        try:
            out.append(decode(data, name))
        except ImageDecodeError as exc:
            errors.append(decode_error(exc))
    return out, errors
