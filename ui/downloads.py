"""Files the pages offer for download, in the form other programs open correctly.

CSV is written as UTF-8 with a byte-order mark: Excel reads a CSV without one in the
system's ANSI code page (GBK in Chinese locales), which garbles Chinese column names and
labels; with the BOM it reads UTF-8. pandas (``encoding="utf-8-sig"``), Python's ``csv``
and LibreOffice read it as well. Every CSV download goes through ``csv_bytes``
(tests/unit/test_downloads.py checks the pages).

Cells can hold what users typed or uploaded (file names, class names from a box CSV). A
spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula ("CSV injection", OWASP), so such a text cell is written with a
leading apostrophe, which spreadsheets show as text; numbers (``-0.5``, ``+3``) stay as
they are.
"""

from __future__ import annotations

import csv
import io

BOM = "\ufeff"
CSV_MIME = "text/csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_bytes(table) -> bytes:
    """A pandas DataFrame (written without its index) or CSV text, as UTF-8 bytes that
    start with a byte-order mark, with every text cell that a spreadsheet would run as a
    formula prefixed by an apostrophe (:func:`defuse_cell`)."""
    text = table if isinstance(table, str) else table.to_csv(index=False)
    text = _defuse(text[len(BOM):] if text.startswith(BOM) else text)
    return (BOM + text).encode("utf-8")


def defuse_cell(cell: str) -> str:
    """``cell`` with a leading apostrophe when a spreadsheet would read it as a formula
    (it starts with = + - @, a tab or a carriage return and is not a number).

    >>> defuse_cell("=SUM(A1)"), defuse_cell("-0.5"), defuse_cell("cat.png")
    ("'=SUM(A1)", '-0.5', 'cat.png')
    """
    if not cell or not cell.startswith(FORMULA_START):
        return cell
    try:
        float(cell)
        return cell
    except ValueError:
        return "'" + cell


def _defuse(text: str) -> str:
    """CSV text with :func:`defuse_cell` applied to every cell; unchanged when no cell
    needs it (so the writer's own quoting and line ends are kept)."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not any(defuse_cell(c) != c for row in rows for c in row):
        return text
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(
        [[defuse_cell(c) for c in row] for row in rows])
    return out.getvalue()
