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


def run_model_bytes(record, fmt: str = "weights.h5") -> bytes:
    """A Train-page run (:class:`cvlib.runs.RunRecord`) as a file: its own weights file
    for ``"weights.h5"``, or a full ``.keras`` model rebuilt from its config + weights.

    Raises:
        ValueError: unknown format. OSError: the run's weights file is gone.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    if fmt == "weights.h5":
        return record.weights_path.read_bytes()
    from cvlib.train import model_from_run
    return model_bytes(model_from_run(record), fmt)
