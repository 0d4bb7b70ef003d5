r"""User-controlled text shown as literal text, never as markup.

Streamlit renders Markdown (GitHub-flavoured, plus its own directives) in ``st.markdown``,
``st.write`` of a string, ``st.caption``, ``st.info/warning/error/success``, image
captions, widget labels and radio/pills options. A file name, a class name from a
manifest, a CSV cell or a model name from an upload put there unescaped becomes markup:
``[link](http://evil)`` a link, ``![x](http://evil/t.png)`` an image fetched from another
server, ``**bold**``, ``$x$`` maths, ``:red[...]`` colour, a line break a new block. Raw
HTML is not rendered (no page allows it with ``unsafe_allow_html``; tests/unit/
test_server_config.py checks), but an ``<img ...>`` would still be dropped or mangled.

:func:`md_escape` makes any string literal for those renderers, changing as little as
it can (so "mnist_cnn", "truth.png" or "--save" read as they are): a backslash goes before
each character that can start inline markup (CommonMark: "any ASCII punctuation character
may be backslash-escaped", and it is then plain text): ``\ ` * [ ] < > ~ $ & # @``, an
underscore that is not between two letters or digits (``_x_`` is emphasis, ``a_b`` is
not), the colon of ``://`` and the dot of ``www.`` (GFM turns bare URLs and e-mail
addresses into links); with ``[`` escaped no link, image, footnote or Streamlit directive
(``:red[...]``) can start, with ``<`` no HTML tag or autolink. Line breaks and other
control characters become spaces, so no block (heading, list, quote, table) can start
inside a name. Every page puts a user's string through it where Markdown renders, and
only there: plain-text places (``st.dataframe`` cells, ``st.selectbox`` options, download
file names, chart labels) show backslashes literally and take the raw string.

Example:
    >>> print(md_escape("[a](http://x) **b** mnist_cnn.png"))
    \[a\](http\://x) \*\*b\*\* mnist_cnn.png
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"[\\`*\[\]<>~$&#@]"            # inline markup, entities
                      r"|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])"  # emphasis, not a_b
                      r"|:(?=//)"                           # http:// autolinks
                      r"|(?<=[wW]{3})\.")                   # www. autolinks
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def md_escape(value) -> str:
    """``value`` as a string that Markdown shows literally (see the module docstring).

    Args:
        value: any object; ``str(value)`` is escaped (None gives "").

    Returns:
        The text with a backslash before each character that could start markup (see
        the module docstring) and every run of control characters (newlines, tabs ...)
        replaced by one space.
    """
    if value is None:
        return ""
    text = _CONTROL.sub(" ", str(value))
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def md_escape_params(params: dict) -> dict:
    """A copy of ``params`` (values for a catalog text's placeholders) with every string
    value escaped by :func:`md_escape`; numbers stay numbers for their format specs."""
    return {k: md_escape(v) if isinstance(v, str) else v for k, v in params.items()}
