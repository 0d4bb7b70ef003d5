"""The back-propagation stepper's tiny network, traced number by number."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from cvlib.learn.core import ACTIVATIONS, OUTPUTS, activate, activate_grad
from cvlib.learn.mlp import MLP
from cvlib.validation import check_choice, check_range

# --- the backprop stepper's tiny network ------------------------------------------------

@dataclass
class TinyNet:
    """The stepper's 2-3-1 network on one example, with every number named.

    Attributes:
        x: the 2 inputs; y: the target.
        w1: [2, 3] input→hidden weights (w1[i, j] from input i to hidden node j).
        b1: [3] hidden biases; w2: [3] hidden→output weights; b2: output bias.
        hidden, output: activations of the hidden layer and of the output node.
        learning_rate: η of the gradient-descent update.
    """

    x: tuple = (1.0, 0.5)
    y: float = 1.0
    w1: tuple = ((0.5, -0.3, 0.8), (0.2, 0.6, -0.4))
    b1: tuple = (0.1, -0.1, 0.0)
    w2: tuple = (0.7, -0.5, 0.3)
    b2: float = 0.1
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    learning_rate: float = 0.5

    def __post_init__(self):
        check_choice("hidden activation", self.hidden, ACTIVATIONS)
        check_choice("output activation", self.output, OUTPUTS)
        check_range("learning rate", self.learning_rate, 0.0, 100.0)
        for name, value in (("y", self.y), ("b2", self.b2)):
            check_range(name, float(value), -1e6, 1e6)
        for name, arr, shape in (("x", self.x, (2,)), ("w1", self.w1, (2, 3)),
                                 ("b1", self.b1, (3,)), ("w2", self.w2, (3,))):
            a = np.asarray(arr, dtype=np.float64)
            if a.shape != shape or not np.all(np.isfinite(a)):
                raise ValueError(f"{name} must be {shape} finite numbers; got {arr!r}.")

    def mlp(self) -> MLP:
        return MLP([np.asarray(self.w1, float), np.asarray(self.w2, float).reshape(3, 1)],
                   [np.asarray(self.b1, float), np.array([self.b2], float)],
                   activation=self.hidden, output=self.output, loss="mse")

    @classmethod
    def random(cls, seed: int, **kw) -> "TinyNet":
        rng = np.random.default_rng(seed)
        r = lambda *s: np.round(rng.uniform(-1, 1, s), 2)  # noqa: E731
        return cls(x=tuple(np.round(rng.uniform(-1, 1, 2), 2)),
                   y=float(np.round(rng.uniform(0, 1), 2)),
                   w1=tuple(map(tuple, r(2, 3))), b1=tuple(r(3)), w2=tuple(r(3)),
                   b2=float(r(1)[0]), **kw)


@dataclass
class Trace:
    """Every number of one forward pass, backward pass and update of :class:`TinyNet`.

    Forward: ``z1 = x·W1 + b1``, ``a1 = f(z1)``, ``z2 = a1·w2 + b2``, ``yhat = g(z2)``,
    ``loss = (yhat − y)²`` (MSE with N = 1).
    Backward, each chain-rule factor and its product:
    ``dL_dyhat = 2(yhat − y)``, ``dyhat_dz2 = g'(z2)``, ``delta2 = dL_dyhat · dyhat_dz2``;
    ``dw2 = delta2 · a1``, ``db2 = delta2``; ``dL_da1 = delta2 · w2``, ``da1_dz1 = f'(z1)``,
    ``delta1 = dL_da1 · da1_dz1``; ``dw1[i, j] = delta1[j] · x[i]``, ``db1 = delta1``.
    Update: ``new = old − η · grad``, and the loss after it.
    """

    net: TinyNet
    z1: np.ndarray
    a1: np.ndarray
    z2: float
    yhat: float
    loss: float
    dL_dyhat: float
    dyhat_dz2: float
    delta2: float
    dw2: np.ndarray
    db2: float
    dL_da1: np.ndarray
    da1_dz1: np.ndarray
    delta1: np.ndarray
    dw1: np.ndarray
    db1: np.ndarray
    new_net: TinyNet
    new_loss: float

    def grads(self) -> list:
        """In :class:`MLP` order: [W1, b1, W2 (3x1), b2 (1,)]."""
        return [self.dw1, self.db1, self.dw2.reshape(3, 1), np.array([self.db2])]


def trace(net: TinyNet) -> Trace:
    """Run :class:`TinyNet` forward, backward and one gradient-descent step."""
    x = np.asarray(net.x, float)
    w1, b1 = np.asarray(net.w1, float), np.asarray(net.b1, float)
    w2, b2 = np.asarray(net.w2, float), float(net.b2)
    z1 = x @ w1 + b1
    a1 = activate(net.hidden, z1)
    z2 = float(a1 @ w2 + b2)
    yhat = float(activate(net.output, z2))
    loss = (yhat - net.y) ** 2
    dL_dyhat = 2.0 * (yhat - net.y)
    dyhat_dz2 = float(activate_grad(net.output, z2))
    delta2 = dL_dyhat * dyhat_dz2
    dw2, db2 = delta2 * a1, delta2
    dL_da1 = delta2 * w2
    da1_dz1 = activate_grad(net.hidden, z1)
    delta1 = dL_da1 * da1_dz1
    dw1, db1 = np.outer(x, delta1), delta1
    lr = net.learning_rate
    new = replace(net, w1=tuple(map(tuple, w1 - lr * dw1)), b1=tuple(b1 - lr * db1),
                  w2=tuple(w2 - lr * dw2), b2=b2 - lr * db2)
    new_loss = new.mlp().loss_value(x, [[net.y]])
    return Trace(net, z1, a1, z2, yhat, loss, dL_dyhat, dyhat_dz2, delta2, dw2, db2,
                 dL_da1, da1_dz1, delta1, dw1, db1, new, new_loss)
