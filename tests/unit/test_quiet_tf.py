"""ui/quiet_tf.py: the app process imports TensorFlow without its oneDNN start-up lines in
the log, oneDNN still on, and everything else written to stderr still shown.

Two fresh processes (run side by side): one imports TensorFlow as app.py lets it, one
plainly (the control: TensorFlow does print the line, so the filter is what removes it)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

SCRIPT = """
import sys
if sys.argv[1] == "app":
    from ui.quiet_tf import quiet_tensorflow_startup
    assert quiet_tensorflow_startup()
print("before the import", file=sys.stderr, flush=True)
import tensorflow
from tensorflow.python.util import _pywrap_util_port
print("onednn", _pywrap_util_port.IsMklEnabled())
print("after the import", file=sys.stderr)
"""


def test_the_app_imports_tensorflow_without_the_onednn_lines():
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    runs = {how: subprocess.Popen([sys.executable, "-c", SCRIPT, how], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for how in ("app", "plain")}
    out = {how: p.communicate(timeout=300) for how, p in runs.items()}
    for how, p in runs.items():
        assert p.returncode == 0, (how, out[how][1][-2000:])
        stdout, stderr = out[how]
        assert "onednn True" in stdout, (how, stdout)       # oneDNN stays on
        assert "before the import" in stderr and "after the import" in stderr, how
    assert "oneDNN custom operations are on" in out["plain"][1]
    quiet = out["app"][1]
    assert "oneDNN custom operations" not in quiet and "absl::InitializeLog" not in quiet
    # TF_CPP_MIN_LOG_LEVEL=1 (set unless the environment has one): no INFO lines either
    assert "This TensorFlow binary is optimized" not in quiet
