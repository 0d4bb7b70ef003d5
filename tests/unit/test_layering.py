"""The layers stay apart: pages and ui/ hold no Keras (they call cvlib), cvlib holds no
Streamlit. A scan of the source, so a regression fails here the day it is written."""

from __future__ import annotations

import re

from tests.conftest import ROOT

# What a page must leave to cvlib: importing Keras/TensorFlow, counting or saving a
# model's weights, building or loading a model.
FORBIDDEN_IN_UI = {
    "imports keras or tensorflow": re.compile(
        r"^\s*(import|from)\s+(keras|tensorflow|tf_keras)\b", re.M),
    "counts parameters": re.compile(r"\.count_params\("),
    "saves a model": re.compile(r"\.save(_weights)?\("),
    "loads a model": re.compile(r"load_model\(|\.load_weights\("),
    "builds a model": re.compile(
        r"keras\.(Model|Sequential|Input)\(|keras\.layers\.|\bbuild_\w+\("),
}


def _ui_files():
    return [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]


def test_pages_and_ui_hold_no_keras():
    found = []
    for path in _ui_files():
        text = path.read_text()
        for what, pattern in FORBIDDEN_IN_UI.items():
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line} {what}: {m.group(0).strip()}")
    assert len(_ui_files()) > 10          # the scan sees the pages at all
    assert not found, "\n".join(found)


def test_cvlib_never_imports_streamlit():
    pattern = re.compile(r"^\s*(import|from)\s+streamlit\b", re.M)
    bad = [str(p.relative_to(ROOT)) for p in (ROOT / "cvlib").rglob("*.py")
           if pattern.search(p.read_text())]
    assert not bad, bad
