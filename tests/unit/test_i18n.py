"""Every UI string exists in English and 中文, with the same placeholders."""

from __future__ import annotations

import re
import string

from tests.conftest import ROOT
from ui.i18n import LANGS, catalog, page_catalogs

TEXT = {k: (v, catalog("zh").get(k, "")) for k, v in catalog("en").items()}


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_every_catalog_has_the_same_pages_keys_and_placeholders():
    en = page_catalogs("en")
    for language in LANGS:
        other = page_catalogs(language)
        assert set(other) == set(en), language
        for page, texts in en.items():
            assert set(other[page]) == set(texts), (language, page)
            for key, text in texts.items():
                assert other[page][key].strip(), (language, page, key)
                assert _fields(other[page][key]) == _fields(text), (language, key)


def test_every_key_has_both_languages():
    for key, pair in TEXT.items():
        assert len(pair) == 2, key
        en, zh = pair
        assert en.strip() and zh.strip(), key
        assert _fields(en) == _fields(zh), key


def test_keys_used_in_pages_exist():
    used = set()
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    for path in files:
        if path.name != "i18n.py":
            used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""",
                                   path.read_text()))
    assert "train_title" in used          # the scan finds keys at all
    missing = sorted(k for k in used if k not in TEXT)
    assert not missing, missing


def test_every_listed_page_has_its_texts():
    text = (ROOT / "app.py").read_text()
    keys = re.findall(r'\("pages/\w+\.py", "(\w+)"', text)
    assert "train" in keys
    for key in keys:
        assert f"nav_{key}" in TEXT and f"page_{key}_desc" in TEXT, key
