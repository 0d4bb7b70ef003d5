"""UI text in every language: ``t("key", **fmt)`` picks the session's language.

The text lives in catalogs, one JSON file per language and page:
``ui/locales/<lang>/<page>.json`` (a flat ``{"key": "text"}`` map; ``str.format``
placeholders such as ``{n}``). JSON rather than gettext ``.po``: the keys are short ids,
not English sentences, a page's catalog is read and written by any editor or script
without tools, and ``json`` ships with Python. English is the fallback for a key a
language lacks, so a third language is a folder of files and no code.
``tests/unit/test_i18n.py`` checks that every catalog has the same keys and placeholders
and that every key the code uses exists.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
LANGS = {"en": "English", "zh": "中文"}
FALLBACK = "en"


@functools.lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    """All keys of ``language``: its catalogs of every page merged (keys are unique)."""
    out: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.json")):
        out.update(json.loads(path.read_text(encoding="utf-8")))
    return out


def page_catalogs(language: str) -> dict[str, dict[str, str]]:
    """``{page: {key: text}}`` for one language (for the consistency tests)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((LOCALES / language).glob("*.json"))}


# Selectboxes whose options are shown translated (their format_func calls t()). After a
# language switch the browser keeps showing the selected option's old-language text,
# because Streamlit re-sends the option list but not an unchanged value; setting the value
# through session_state makes it send the value again, and the browser shows it in the new
# language (tests/e2e/test_train_browser.py checks the dataset box). Each page declares
# its own such widgets with ``key=translated("...")``.
_TRANSLATED: set[str] = set()


def translated(key: str) -> str:
    """Declare the widget ``key`` as one whose options are shown translated; returns it."""
    _TRANSLATED.add(key)
    return key


def resend_translated_choices(state) -> None:
    """Make the next run send the values of the declared translated widgets again."""
    for key in sorted(_TRANSLATED):
        if key in state:
            state[key] = state[key]


def lang() -> str:
    import streamlit as st
    value = st.session_state.get("lang", "en")
    return value if value in LANGS else "en"


def t(key: str, **fmt) -> str:
    """The text for ``key`` in the session's language (English when that language lacks
    it), formatted with ``fmt``.

    Raises:
        KeyError: no catalog has ``key`` (a bug: tests/unit/test_i18n.py looks for it).
    """
    text = catalog(lang()).get(key)
    if text is None:
        text = catalog(FALLBACK)[key]
    return text.format(**fmt) if fmt else text
