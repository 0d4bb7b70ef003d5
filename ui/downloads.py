"""Files the pages offer for download, in the form other programs open correctly.

CSV is written as UTF-8 with a byte-order mark: Excel reads a CSV without one in the
system's ANSI code page (GBK in Chinese locales), which garbles Chinese column names and
labels; with the BOM it reads UTF-8. pandas (``encoding="utf-8-sig"``), Python's ``csv``
and LibreOffice read it as well. Every CSV download goes through ``csv_bytes``
(tests/unit/test_downloads.py checks the pages).
"""

from __future__ import annotations

BOM = "\ufeff"
CSV_MIME = "text/csv"


def csv_bytes(table) -> bytes:
    """A pandas DataFrame (written without its index) or CSV text, as UTF-8 bytes that
    start with a byte-order mark."""
    text = table if isinstance(table, str) else table.to_csv(index=False)
    return (text if text.startswith(BOM) else BOM + text).encode("utf-8")
