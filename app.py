"""CV Lab: `streamlit run app.py`.

Router only: page config, language, navigation, and the home page. The home page imports
neither TensorFlow nor Keras, so it renders in about a second.
"""

from __future__ import annotations

import streamlit as st

from cvlib.shutdown import stop_jobs_at_exit
from ui.handoff import deliver, pending_target
from ui.i18n import LANGS, resend_translated_choices, t
from ui.quiet_tf import quiet_tensorflow_startup
from ui.streamlit_fix import keep_keras_session, require_router

quiet_tensorflow_startup()   # TensorFlow's start-up lines out of the server log; oneDNN on
stop_jobs_at_exit()   # SIGTERM/Ctrl-C: running jobs end "stopped" with their runs kept

keep_keras_session()   # before any page can import Keras; see ui/streamlit_fix.py
# On a fresh server the first run (of "/" too) is in Streamlit's legacy pages/ mode; the
# widgets it draws get other ids than in the next run, so the first change of the language
# radio was dropped. Leave that mode before drawing any widget (tests/e2e: language switch).
require_router()

# a Material icon, not an emoji: an emoji makes Streamlit compile its emoji table on the
# first run of every server (0.13 s of the home page's first visit, bench/first_answer.py)
st.set_page_config(page_title="CV Lab", page_icon=":material/biotech:", layout="wide")


def home() -> None:
    from cvlib import data, zoo

    st.title(t("app_title"))
    st.write(t("tagline"))

    st.header(t("pages_title"))
    # The link holds the page name only; the description beside it wraps (a page_link
    # label is one line, cut without an ellipsis).
    for key, page in PAGE_OBJECTS.items():
        name, about = st.columns([1, 5], vertical_alignment="center")
        with name:
            st.page_link(page, label=f"**{t('nav_' + key)}**", icon=page.icon)
        about.markdown(_sentence(t("page_" + key + "_desc")))

    st.header(t("map_title"))
    left, right = st.columns(2)
    with left:
        for key in ("background", "concepts", "algorithm", "example"):
            with st.container(border=True):
                st.subheader(t(f"map_{key}"))
                st.markdown(t(f"map_{key}_text"))
    with right:
        for key in ("applications", "tools", "trends"):
            with st.container(border=True):
                st.subheader(t(f"map_{key}"))
                st.markdown(t(f"map_{key}_text"))
        with st.container(border=True):
            st.subheader(t("map_faq"))
            for q in ("arch", "overfit", "lr"):
                with st.expander(t(f"faq_{q}_q")):
                    st.markdown(t(f"faq_{q}_a"))

    st.header(t("models_title"))
    # Markdown tables, not st.dataframe: the home page stays free of pandas/Arrow imports,
    # which saved ~0.3 s of the first render (bench/startup.py).
    manifest = zoo.read_manifest().get("models", {})
    badge = {"shipped": "green", "cached": "blue", "missing": "red", "full": "green",
             "subset": "orange"}
    lines = [_row(t("col_model"), t("col_task"), t("col_status"), t("col_quality"),
                  t("col_about")), _row(*["---"] * 5)]
    missing = []
    for name in zoo.list_models():
        e = zoo.get(name)
        state = zoo.status(name)
        if state == "missing" and e.source == "keras-cache":
            missing.append(name)
        lines.append(_row(f"`{name}`", _text("task_" + e.task, e.task),
                          f":{badge[state]}-badge[{t('status_' + state)}]",
                          quality(manifest.get(name, {}).get("metrics", {})) or "–",
                          _text("model_desc_" + name, e.description)))
    st.markdown("\n".join(lines))
    st.caption(t("models_quality_note"))
    if missing:
        st.caption(t("models_missing_hint", names=" ".join(missing)))

    st.subheader(t("data_title"))
    lines = [_row(t("dataset"), t("col_status")), _row("---", "---")]
    for name in data.DATASETS:
        state = data.availability(name)
        lines.append(_row(f"`{name}`", f":{badge.get(state, 'red')}-badge[{t('data_' + state)}]"))
    st.markdown("\n".join(lines))


# The headline quality figures of a model, from its manifest metrics, in this order; a
# model shows the first two it has (classify: accuracy; generate: class consistency and
# FID; segment: mIoU and Dice; detect: mAP; sequence: direction and digit accuracy).
# (metric key, label key, format); "%" = a fraction shown as a percentage.
QUALITY = (("test_accuracy", "q_accuracy", "%"), ("top1_accuracy", "q_top1", "%"),
           ("class_consistency", "q_consistency", "%"), ("frechet_distance", "q_fid", ".1f"),
           ("miou", "q_miou", "%"), ("mdice", "q_dice", "%"), ("map50", "q_map50", "%"),
           ("map50_95", "q_map", "%"), ("direction_accuracy", "q_direction", "%"),
           ("digit_accuracy", "q_digit", "%"), ("pixel_accuracy", "q_pixel", "%"))
# Any other metric whose name says what it measures, for models registered later.
QUALITY_WORDS = ("accuracy", "iou", "dice", "map", "ap50", "f1", "precision", "recall",
                 "consistency", "psnr", "ssim")


def quality(metrics: dict, most: int = 2) -> str:
    """The model's headline metrics as text, e.g. "accuracy 99.3%" ("" when none)."""
    parts = []
    for key, label, fmt in QUALITY:
        value = metrics.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{t(label)} {_fmt_metric(value, fmt)}")
    if not parts:   # a model whose metrics this list does not know yet: its own names
        for key, value in metrics.items():
            if (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and any(w in key.lower() for w in QUALITY_WORDS)):
                parts.append(f"{key} {_fmt_metric(value, '%' if 0 <= value <= 1 else '.3g')}")
    return " · ".join(parts[:most])


def _fmt_metric(value: float, fmt: str) -> str:
    return f"{value:.1%}" if fmt == "%" else format(value, fmt)


def _text(key: str, default: str) -> str:
    """The catalog text for ``key`` (English when the language lacks it), else ``default``
    (a model registered without a translation yet shows its registry description)."""
    from ui.i18n import catalog, lang
    return catalog(lang()).get(key) or catalog("en").get(key) or default


def _sentence(text: str) -> str:
    """One style for every page description: a capital first letter and a full stop
    (。 in Chinese), whichever page's catalog it comes from."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    if text[-1] in ".。!！?？":
        return text
    return text + ("。" if any("\u4e00" <= c <= "\u9fff" for c in text) else ".")


def _row(*cells: str) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


# The language lives in a plain session key ("lang"), which survives page switches; the
# radio only edits it (a widget's own state is dropped on pages that do not render it).
# It is mirrored in the URL (?lang=zh; English leaves the URL clean), so a reload, which
# starts a new session, or a shared link keeps it.
if "lang" not in st.session_state and st.query_params.get("lang") in LANGS:
    st.session_state["lang"] = st.query_params["lang"]
_langs = list(LANGS)
_choice = st.sidebar.radio(t("language"), options=_langs, format_func=LANGS.get,
                           index=_langs.index(st.session_state.get("lang", "en")),
                           horizontal=True, key="lang_choice")
if _choice != st.session_state.get("lang", "en"):
    st.session_state["lang"] = _choice
    st.session_state["_lang_switched"] = True
    st.rerun()
if st.session_state.pop("_lang_switched", False):
    resend_translated_choices(st.session_state)
if st.session_state.get("lang", "en") == "en":
    if "lang" in st.query_params:
        del st.query_params["lang"]
elif st.query_params.get("lang") != st.session_state["lang"]:
    st.query_params["lang"] = st.session_state["lang"]   # again after each page switch

# One line per page: (script, key, icon). The key names the url path and the texts
# nav_<key> and page_<key>_desc in ui/i18n.py. A page is listed once its issue has landed.
PAGES = [
    ("pages/train.py", "train", ":material/model_training:"),
    ("pages/learn.py", "learn", ":material/school:"),
    ("pages/recognize.py", "recognize", ":material/image_search:"),
    ("pages/generate.py", "generate", ":material/auto_awesome:"),
    ("pages/segment.py", "segment", ":material/select_all:"),
    ("pages/video.py", "video", ":material/movie:"),
]

# Pages are built after the language is known, so the sidebar shows translated titles.
HOME = st.Page(home, title=t("nav_home"), icon=":material/home:", default=True, url_path="home")
PAGE_OBJECTS = {key: st.Page(script, title=t(f"nav_{key}"), icon=icon, url_path=key)
                for script, key, icon in PAGES}
_page = st.navigation([HOME, *PAGE_OBJECTS.values()])
# A page handed something over to another page (ui/handoff.py): go there, then put the
# values into the session just before that page draws its widgets.
_target = pending_target()
if _target in PAGE_OBJECTS and _target != _page.url_path:
    st.switch_page(PAGE_OBJECTS[_target])
deliver(_page.url_path)
_page.run()
