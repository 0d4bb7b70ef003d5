"""Model files for download: every export goes through here (pages never call ``save``)."""

from __future__ import annotations

import os
import tempfile

FORMATS = ("weights.h5", "keras")


def model_bytes(model, fmt: str = "weights.h5") -> bytes:
    """The bytes of ``model`` saved as ``.weights.h5`` (weights only) or ``.keras``.

    Raises:
        ValueError: ``fmt`` is not one of FORMATS.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model." + fmt)
        if fmt == "keras":
            model.save(path)
        else:
            model.save_weights(path)
        with open(path, "rb") as f:
            return f.read()
