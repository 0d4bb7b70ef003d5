"""Loss functions (MSE, cross-entropy) and how one mistake teaches."""

from __future__ import annotations

import math

import numpy as np

from cvlib.learn.core import sigmoid
from cvlib.validation import check_choice, check_range

# --- loss functions ---------------------------------------------------------------------

def mse(p, y):
    """Squared error of one prediction ``p`` against target ``y``: ``(y − p)²``."""
    return (np.asarray(y, float) - np.asarray(p, float)) ** 2


def cross_entropy(p, y):
    """Binary cross-entropy ``−[y log p + (1 − y) log(1 − p)]``."""
    p = np.clip(np.asarray(p, float), 1e-12, 1 - 1e-12)
    y = np.asarray(y, float)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def loss_curves(y: float = 1.0, n: int = 199) -> dict:
    """Both losses and their gradients against the predicted probability p ∈ (0, 1).

    The model's last layer is ``p = σ(z)``; what learning feels is ``dL/dz``:
    MSE gives ``2(p − y)·p(1 − p)``, which vanishes when p is confidently wrong (p → 0
    for y = 1), cross-entropy gives ``p − y``, which stays large exactly then.
    """
    p = np.linspace(0.005, 0.995, n)
    s = p * (1 - p)
    return {"p": p, "mse": mse(p, y), "ce": cross_entropy(p, y),
            "mse_dp": 2 * (p - y), "ce_dp": (p - y) / s,
            "mse_dz": 2 * (p - y) * s, "ce_dz": p - y}


def loss_at(p: float, y: float = 1.0) -> dict:
    """Both losses and their gradients (with respect to p and to the logit z) at one p."""
    p = float(p)
    s = p * (1 - p)
    return {"mse": float(mse(p, y)), "ce": float(cross_entropy(p, y)),
            "mse_dp": 2 * (p - y), "ce_dp": (p - y) / s if s else math.inf,
            "mse_dz": 2 * (p - y) * s, "ce_dz": p - y}


def learn_from_mistake(loss: str, p0: float = 0.01, y: float = 1.0,
                       learning_rate: float = 1.0, steps: int = 40) -> np.ndarray:
    """Gradient descent on one logit ``z`` with ``p = σ(z)``, starting from ``p = p0``.

    Returns p after each step (``steps + 1`` values). With "mse" the step is
    ``2(p − y)·p(1 − p)``, tiny while p ≈ 0, so p hardly moves at first; with "ce" it is
    ``p − y`` and p rises at once.
    """
    check_choice("loss", loss, ("mse", "ce"))
    check_range("steps", steps, 1, 10_000, integer=True)
    check_range("p0", p0, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    z = math.log(p0 / (1 - p0))
    out = [float(sigmoid(z))]
    for _ in range(steps):
        p = out[-1]
        g = 2 * (p - y) * p * (1 - p) if loss == "mse" else p - y
        z -= learning_rate * g
        out.append(float(sigmoid(z)))
    return np.array(out)
