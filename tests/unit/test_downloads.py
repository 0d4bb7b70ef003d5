"""CSV downloads: UTF-8 with a byte-order mark (Excel in Chinese locales), everywhere."""

from __future__ import annotations

import io
import re

import pandas as pd

from tests.conftest import ROOT
from ui.downloads import BOM, csv_bytes


def test_csv_bytes_start_with_a_bom_and_read_back():
    df = pd.DataFrame({"文件": ["猫.png", "b.png"], "score": [0.5, 0.25]})
    data = csv_bytes(df)
    assert data.startswith(b"\xef\xbb\xbf") and data.count(BOM.encode()) == 1
    assert pd.read_csv(io.BytesIO(data), encoding="utf-8-sig").equals(df)
    text = "epoch,loss\n1,0.5\n"
    assert csv_bytes(text) == BOM.encode() + text.encode()
    assert csv_bytes(csv_bytes(text).decode()) == csv_bytes(text)      # one BOM, not two


def test_cells_a_spreadsheet_would_run_as_formulas_are_written_as_text():
    """An uploaded file named =HYPERLINK(...).png, or a class name typed into a box CSV,
    must not become a live formula when the download is opened in a spreadsheet (OWASP
    "CSV injection"); numbers keep their sign."""
    evil = '=HYPERLINK("http://evil.example","x").png'
    df = pd.DataFrame({"file": [evil, "@SUM(A1)", "+cmd", "cat.png"],
                       "score": [-0.5, 0.25, 1.0, -3.0]})
    back = pd.read_csv(io.BytesIO(csv_bytes(df)), encoding="utf-8-sig")
    assert back["file"].tolist() == ["'" + evil, "'@SUM(A1)", "'+cmd", "cat.png"]
    assert back["score"].tolist() == [-0.5, 0.25, 1.0, -3.0]
    text = "name,delta\n-x,-1\n\tTAB,+2\n"
    assert csv_bytes(text).decode("utf-8-sig") == "name,delta\n'-x,-1\n'\tTAB,+2\n"


def test_every_csv_download_goes_through_csv_bytes():
    found = 0
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        for call in re.findall(r"download_button\((.*?)\)\s*$", source, flags=re.S | re.M):
            if ".csv" in call or "text/csv" in call or "CSV_MIME" in call:
                found += 1
                assert "csv_bytes(" in call, f"{path.name}: a CSV download without csv_bytes"
    assert found >= 2
