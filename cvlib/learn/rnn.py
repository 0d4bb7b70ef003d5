"""A recurrent cell, unrolled over a sequence."""

from __future__ import annotations

import numpy as np

from cvlib.learn.core import ACTIVATIONS, activate
from cvlib.validation import check_choice

# --- a recurrent cell, unrolled ---------------------------------------------------------

def rnn_unroll(xs, w_x: float, w_h: float, b: float, h0: float = 0.0,
               activation: str = "tanh") -> dict:
    """``h_t = f(w_x·x_t + w_h·h_{t−1} + b)`` for each step of the sequence ``xs``.

    The same three weights at every step: that sharing is what makes it recurrent.
    Returns the inputs, pre-activations ``z`` and states ``h`` (``h[0] = h0``).
    """
    check_choice("activation", activation, ACTIVATIONS)
    xs = np.asarray(xs, dtype=np.float64).reshape(-1)
    if xs.size == 0 or xs.size > 50 or not np.all(np.isfinite(xs)):
        raise ValueError(f"the sequence must have 1-50 finite numbers; got {xs.size}.")
    hs, zs = [float(h0)], []
    for x in xs:
        z = w_x * x + w_h * hs[-1] + b
        zs.append(float(z))
        hs.append(float(activate(activation, z)))
    return {"x": xs, "z": np.array(zs), "h": np.array(hs)}

