"""The serving configuration (.streamlit/config.toml) as Streamlit itself reads it, and the
rule that user-controlled text is never rendered as HTML or Markdown (ui/text.py).

The pages themselves are driven with a file named with markup in
tests/app/test_recognize_user_model.py."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import tomllib

import pytest
from markdown_it import MarkdownIt

from tests.conftest import ROOT
from ui.text import md_escape, md_escape_params

CONFIG = ROOT / ".streamlit" / "config.toml"
HOSTILE = "<img src=x onerror=alert(1)>**bold**[link](http://evil).png"


def test_config_sets_the_serving_options():
    cfg = tomllib.loads(CONFIG.read_text())
    server = cfg["server"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True      # XSRF on with CORS off: Streamlit warns
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False
    assert cfg["browser"]["gatherUsageStats"] is False
    # one upload limit for every uploader, the one the video decoder enforces too
    from cvlib.videoio import MAX_BYTES
    assert server["maxUploadSize"] == MAX_BYTES // 2**20 == 20


def test_streamlit_reads_the_options_under_these_names():
    # In a fresh interpreter in the checkout: Streamlit parses .streamlit/config.toml
    # itself, so a misspelt option (which it would ignore) fails here.
    names = ["server.maxUploadSize", "server.enableXsrfProtection", "server.enableCORS",
             "server.fileWatcherType", "server.runOnSave", "server.headless",
             "browser.gatherUsageStats"]
    code = ("import json, sys; from streamlit import config; "
            "config.get_config_options(force_reparse=True); "
            "print(json.dumps({n: config.get_option(n) for n in sys.argv[1:]}))")
    out = subprocess.run([sys.executable, "-c", code, *names], cwd=ROOT, text=True,
                         capture_output=True, timeout=120, check=True).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got == {"server.maxUploadSize": 20, "server.enableXsrfProtection": True,
                   "server.enableCORS": True, "server.fileWatcherType": "none",
                   "server.runOnSave": False, "server.headless": True,
                   "browser.gatherUsageStats": False}


# Reviewed uses of raw HTML, none of which holds a user's text.
REVIEWED_HTML = {
    "ui/owner.py: st.html(": "the script that sets the owner cookie from a token the "
                             "server made (secrets), quoted with json.dumps",
}


def test_no_page_renders_raw_html():
    """No page or ui module lets Streamlit render HTML (where a user's string could
    become a tag): no unsafe_allow_html, st.html or components.html beyond the reviewed
    ones."""
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
             *sorted((ROOT / "ui").rglob("*.py"))]
    assert len(files) > 20
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in files
             for m in re.finditer(r"unsafe_allow_html\s*=\s*True|\bst\.html\(|"
                                  r"components\.v1\.html\(|components\.html\(",
                                  p.read_text())]
    assert not [f for f in found if f not in REVIEWED_HTML], found


def _render(text: str) -> str:
    """Markdown -> HTML as CommonMark + GFM tables and strikethrough (what Streamlit's
    react-markdown does, without raw HTML)."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)


def _visible(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


@pytest.mark.parametrize("name", [
    HOSTILE,
    "![pixel](http://tracker.example/p.gif) photo.jpg",
    "<a href='javascript:alert(1)'>x</a>.png",
    "`code` $x^2$ ~~gone~~ &lt;b&gt; __init__.png",
    "# heading\n\n- list\n> quote | a | b |\n|---|---|",
    "[^note] <http://auto.example> :red[colour]",
    "back\\slash\\*.png",
])
def test_escaped_text_renders_as_itself(name):
    shown = md_escape(name)
    rendered = _render(shown)
    for tag in ("<a", "<img", "<strong", "<em", "<code", "<h1", "<ul", "<li", "<blockquote",
                "<table", "<del", "<s>"):
        assert tag not in rendered, (tag, rendered)
    assert rendered.count("<p>") == 1                          # one line, one paragraph
    assert _visible(rendered) == re.sub(r"\s+", " ", name).strip()
    # and unescaped it would have been markup (the test would catch a no-op escape)
    assert _visible(_render(name)) != _visible(rendered) or "<p>" not in _render(name)


def test_ordinary_names_stay_readable():
    for plain in ("mnist_cnn", "truth.png", "--save mnist_cnn", "20260101-000000-abcd",
                  "猫 的 照片.jpg", "a_b_c 1.5 (2).png"):
        assert md_escape(plain) == plain
    assert md_escape(None) == "" and md_escape(7) == "7"
    params = md_escape_params({"name": "**x**", "n": 3, "mb": 1.5})
    assert params == {"name": "\\*\\*x\\*\\*", "n": 3, "mb": 1.5}
