"""TensorFlow's start-up lines out of the server log (the app process only).

Importing TensorFlow 2.21 prints, from C++ and once per import::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. You may see slightly ...

(twice: two of its shared libraries each say it). ``TF_CPP_MIN_LOG_LEVEL`` hides
TensorFlow's other INFO lines ("This TensorFlow binary is optimized to use ...") but not
these: they are logged through absl before its logging is set up, where no environment
variable reaches, and the only switch, ``TF_ENABLE_ONEDNN_OPTS=0``, turns oneDNN off, which
makes training slower. So ``quiet_tensorflow_startup()`` sets ``TF_CPP_MIN_LOG_LEVEL=1``
(unless set) and, around the first ``import tensorflow`` of the process, lets file
descriptor 2 pass through a filter that drops those lines and passes every other line on
at once (a warning or a traceback still shows). tests/unit/test_quiet_tf.py checks it in a
fresh process, oneDNN still on. Pages and ui never import TensorFlow themselves
(tests/unit/test_layering.py): this only watches the import that a cvlib module does.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import sys
import threading

NOISE = (b"oneDNN custom operations are on",
         b"All log messages before absl::InitializeLog() is called")


@contextlib.contextmanager
def stderr_without(noise=NOISE):
    """Inside the block, lines written to file descriptor 2 (Python's and C's stderr)
    that contain one of ``noise`` (bytes) are dropped; the others pass on line by line."""
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        rest = b""
        with os.fdopen(read_end, "rb", buffering=0) as source:
            while chunk := source.read(65536):
                *lines, rest = (rest + chunk).split(b"\n")
                for line in lines:
                    if not any(n in line for n in noise):
                        os.write(saved, line + b"\n")
        if rest and not any(n in rest for n in noise):
            os.write(saved, rest)

    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)          # the pipe's last write end closes: the pump ends
        thread.join(5)
        if not thread.is_alive():
            os.close(saved)


class _QuietImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for ``tensorflow`` it takes the real spec and runs its loader
    inside :func:`stderr_without` (then leaves ``sys.meta_path``: once per process)."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, run = spec.loader, spec.loader.exec_module

        def exec_module(module):
            try:
                with stderr_without():
                    run(module)
            finally:
                with contextlib.suppress(AttributeError):
                    del loader.exec_module   # the loader's own method again
        loader.exec_module = exec_module
        return spec


def quiet_tensorflow_startup() -> bool:
    """Call before anything imports TensorFlow (app.py does). Idempotent; True when the
    next ``import tensorflow`` will be filtered (False once it is imported already)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    if "tensorflow" in sys.modules:
        return False
    if not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())
    return True
