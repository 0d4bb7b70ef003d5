"""`import cvlib` (and its light modules) imports neither streamlit nor tensorflow."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_import_cvlib_is_light():
    code = ("import sys, cvlib, cvlib.data, cvlib.zoo, cvlib.runs, cvlib.validation, "
            "cvlib.train, cvlib.codegen\n"
            "cvlib.zoo.list_models(); cvlib.zoo.status('mnist_cnn')\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules]\n"
            "print(heavy); sys.exit(1 if heavy else 0)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_cvlib_never_imports_streamlit():
    for path in (ROOT / "cvlib").rglob("*.py"):
        text = path.read_text()
        assert "import streamlit" not in text and "from streamlit" not in text, path
