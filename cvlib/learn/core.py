"""Activations and one neuron: y = f(wx + b)."""

from __future__ import annotations

import numpy as np

from cvlib.validation import check_choice

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu")
OUTPUTS = ("linear", "sigmoid")
LOSSES = ("mse", "bce")


# --- activations ------------------------------------------------------------------------

def sigmoid(z):
    """1 / (1 + e^-z), computed without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def activate(name: str, z):
    """f(z) for one of :data:`ACTIVATIONS`."""
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return z.copy()
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}.")


def activate_grad(name: str, z):
    """f'(z), the local factor that back-propagation multiplies by at each node."""
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return np.ones_like(z)
    if name == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(np.float64)
    raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}.")


def neuron(x, w: float, b: float, activation: str = "sigmoid"):
    """One neuron, ``y = f(w·x + b)``, over an array of inputs ``x``."""
    check_choice("activation", activation, ACTIVATIONS)
    return activate(activation, w * np.asarray(x, dtype=np.float64) + b)
