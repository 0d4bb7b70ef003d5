"""The algorithm behind everything else, in NumPy, with every number in the open.

Forward propagation, back-propagation and gradient descent on networks small enough to
print: a multi-layer perceptron (MLP) with explicit forward and backward passes (no
autodiff), a finite-difference gradient check, toy 2-D datasets and a playground that
trains on them, loss functions, optimizer steps written as Keras writes them, 2-D loss
surfaces, and an unrolled recurrent cell.

Everything here is float64 NumPy so that it agrees with TensorFlow (run in float64 too)
to about 1e-12. TensorFlow is imported only inside :func:`tf_gradients`, the one helper
that compares with it; ``import cvlib.learn`` stays cheap.

The maths, as the Learn page shows it:

- a layer: ``y = f(Wx + b)``;
- the chain rule: ``dL/dW = dL/dy · dy/dW``;
- mean squared error: ``L = 1/N Σ (y_i − ŷ_i)²``.

Example:
    >>> net = MLP.init([2, 3, 1], activation="sigmoid", output="linear", loss="mse", seed=0)
    >>> x, y = np.array([[1.0, 0.5]]), np.array([[1.0]])
    >>> loss, grads = net.gradients(x, y)
    >>> check = gradient_check(net, x, y)
    >>> check.max_fd_diff < 1e-6
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from cvlib.validation import check_choice, check_range

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


# --- the MLP ----------------------------------------------------------------------------

@dataclass
class Cache:
    """What the forward pass keeps for the backward pass.

    ``zs[l]`` is layer l's pre-activation [N, n_l]; ``activations[0]`` is the input and
    ``activations[l + 1]`` the output of layer l (after dropout, for hidden layers);
    ``masks[l]`` the dropout mask of hidden layer l (ones/keep or zeros), or None.
    """

    zs: list
    activations: list
    masks: list


@dataclass
class MLP:
    """A fully connected network with explicit forward and backward passes.

    Attributes:
        weights: W_l float64 [n_in, n_out] per layer (so a layer is ``a @ W + b``).
        biases: b_l float64 [n_out] per layer.
        activation: hidden activation, one of :data:`ACTIVATIONS`.
        output: output activation, "linear" or "sigmoid".
        loss: "mse" (mean squared error) or "bce" (binary cross-entropy; needs a
            sigmoid output, and is computed from the logits for stability).
        l1, l2: weight penalties ``l1·Σ|W| + l2·ΣW²`` as Keras's regularizers write them
            (weights only, not biases).
    """

    weights: list
    biases: list
    activation: str = "tanh"
    output: str = "sigmoid"
    loss: str = "bce"
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("output", self.output, OUTPUTS)
        check_choice("loss", self.loss, LOSSES)
        check_range("l1", self.l1, 0.0, 10.0)
        check_range("l2", self.l2, 0.0, 10.0)
        if self.loss == "bce" and self.output != "sigmoid":
            raise ValueError("loss='bce' needs output='sigmoid'; got output="
                             f"{self.output!r}. Use loss='mse' for a linear output.")
        self.weights = [np.array(w, dtype=np.float64, ndmin=2) for w in self.weights]
        self.biases = [np.array(b, dtype=np.float64, ndmin=1) for b in self.biases]
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("an MLP needs one bias per weight matrix and at least one layer.")
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.shape[1] != b.shape[0]:
                raise ValueError(f"layer {i}: W is {w.shape} but b has {b.shape[0]} entries.")
            if i and self.weights[i - 1].shape[1] != w.shape[0]:
                raise ValueError(f"layer {i}: W is {w.shape} but the previous layer has "
                                 f"{self.weights[i - 1].shape[1]} outputs.")

    @classmethod
    def init(cls, sizes, activation: str = "tanh", output: str = "sigmoid",
             loss: str = "bce", l1: float = 0.0, l2: float = 0.0, seed: int = 0) -> "MLP":
        """Glorot-uniform weights (as Keras's Dense) and zero biases for layer ``sizes``."""
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least an input and an output width, each "
                             f">= 1; got {sizes!r}.")
        rng = np.random.default_rng(seed)
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            limit = math.sqrt(6.0 / (n_in + n_out))
            weights.append(rng.uniform(-limit, limit, (n_in, n_out)))
            biases.append(np.zeros(n_out))
        return cls(weights, biases, activation, output, loss, l1, l2)

    @property
    def sizes(self) -> list[int]:
        return [self.weights[0].shape[0]] + [w.shape[1] for w in self.weights]

    @property
    def params(self) -> list:
        """[W1, b1, W2, b2, ...]: the arrays themselves (an optimizer updates them in place)."""
        out = []
        for w, b in zip(self.weights, self.biases):
            out += [w, b]
        return out

    def param_names(self) -> list[str]:
        out = []
        for i in range(len(self.weights)):
            out += [f"W{i + 1}", f"b{i + 1}"]
        return out

    def copy(self) -> "MLP":
        return replace(self, weights=[w.copy() for w in self.weights],
                       biases=[b.copy() for b in self.biases])

    def dropout_masks(self, n: int, rate: float, rng) -> list | None:
        """Inverted-dropout masks for the hidden layers (as Keras: kept units × 1/(1−rate))."""
        if rate <= 0:
            return None
        keep = 1.0 - rate
        return [(rng.random((n, w.shape[1])) < keep) / keep for w in self.weights[:-1]]

    # forward ------------------------------------------------------------------------
    def forward(self, x, masks=None) -> tuple[np.ndarray, Cache]:
        """Prediction [N, n_out] and the cache for :meth:`backward`."""
        a = np.asarray(x, dtype=np.float64)
        if a.ndim == 1:
            a = a[None, :]
        zs, acts = [], [a]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w + b
            zs.append(z)
            if i < last:
                a = activate(self.activation, z)
                if masks is not None:
                    a = a * masks[i]
            else:
                a = activate(self.output, z)
            acts.append(a)
        return a, Cache(zs, acts, list(masks) if masks is not None else [None] * last)

    def predict(self, x) -> np.ndarray:
        return self.forward(x)[0]

    def data_loss(self, out, y, z_out=None) -> float:
        """The loss without the weight penalty, averaged over every output entry."""
        y = np.asarray(y, dtype=np.float64).reshape(out.shape)
        if self.loss == "mse":
            return float(np.mean((out - y) ** 2))
        z = z_out if z_out is not None else _logit(out)
        # softplus(z) − y·z = −[y log σ(z) + (1 − y) log(1 − σ(z))], stable for any z
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def penalty(self) -> float:
        total = 0.0
        for w in self.weights:
            if self.l1:
                total += self.l1 * float(np.sum(np.abs(w)))
            if self.l2:
                total += self.l2 * float(np.sum(w * w))
        return total

    def loss_value(self, x, y, masks=None) -> float:
        out, cache = self.forward(x, masks)
        return self.data_loss(out, y, cache.zs[-1]) + self.penalty()

    # backward -----------------------------------------------------------------------
    def backward(self, cache: Cache, y) -> list:
        """Gradients of :meth:`loss_value` for [W1, b1, W2, b2, ...], by the chain rule.

        ``delta = dL/dz`` starts at the output and walks back one layer at a time:
        ``dL/dW = a_prevᵀ · delta``, ``dL/db = Σ delta``, and the previous layer's
        ``delta = (delta · Wᵀ) ⊙ mask ⊙ f'(z_prev)``.
        """
        out, z_out = cache.activations[-1], cache.zs[-1]
        y = np.asarray(y, dtype=np.float64).reshape(out.shape)
        count = out.size
        if self.loss == "bce":
            delta = (out - y) / count                  # σ and cross-entropy cancel
        else:
            delta = 2.0 * (out - y) / count * activate_grad(self.output, z_out)
        grads = [None] * (2 * len(self.weights))
        for i in range(len(self.weights) - 1, -1, -1):
            w = self.weights[i]
            dw = cache.activations[i].T @ delta
            if self.l1:
                dw = dw + self.l1 * np.sign(w)
            if self.l2:
                dw = dw + 2.0 * self.l2 * w
            grads[2 * i], grads[2 * i + 1] = dw, delta.sum(axis=0)
            if i:
                da = delta @ w.T
                if cache.masks[i - 1] is not None:
                    da = da * cache.masks[i - 1]
                delta = da * activate_grad(self.activation, cache.zs[i - 1])
        return grads

    def gradients(self, x, y, masks=None) -> tuple[float, list]:
        """(loss, [dL/dW1, dL/db1, ...]) on one batch."""
        out, cache = self.forward(x, masks)
        loss = self.data_loss(out, y, cache.zs[-1]) + self.penalty()
        return loss, self.backward(cache, y)


def _logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


# --- gradient checks --------------------------------------------------------------------

def finite_difference_gradients(net: MLP, x, y, masks=None, eps: float = 1e-6) -> list:
    """Central differences ``(L(θ+ε) − L(θ−ε)) / 2ε`` for every parameter entry.

    Slow (two forward passes per entry) and exact to about ε²: a referee for backprop.
    """
    probe = net.copy()
    out = []
    for p in probe.params:
        g = np.zeros_like(p)
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for k in range(flat.size):
            keep = flat[k]
            flat[k] = keep + eps
            up = probe.loss_value(x, y, masks)
            flat[k] = keep - eps
            down = probe.loss_value(x, y, masks)
            flat[k] = keep
            gflat[k] = (up - down) / (2 * eps)
        out.append(g)
    return out


def tf_gradients(net: MLP, x, y, masks=None) -> list:
    """The same loss written in TensorFlow ops, differentiated by ``tf.GradientTape``.

    Runs in float64. Imports TensorFlow (seconds, the first time).
    """
    import tensorflow as tf

    variables = [tf.Variable(p, dtype=tf.float64) for p in net.params]
    a = tf.constant(np.atleast_2d(np.asarray(x, dtype=np.float64)))
    acts = {"linear": tf.identity, "sigmoid": tf.sigmoid, "tanh": tf.tanh,
            "relu": tf.nn.relu}
    last = len(net.weights) - 1
    with tf.GradientTape() as tape:
        h = a
        for i in range(len(net.weights)):
            z = tf.matmul(h, variables[2 * i]) + variables[2 * i + 1]
            if i < last:
                h = acts[net.activation](z)
                if masks is not None:
                    h = h * tf.constant(masks[i], dtype=tf.float64)
            else:
                h = z if net.loss == "bce" else acts[net.output](z)
        yt = tf.reshape(tf.constant(np.asarray(y, dtype=np.float64)), tf.shape(h))
        if net.loss == "bce":
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=yt, logits=h))
        else:
            loss = tf.reduce_mean(tf.square(h - yt))
        for w in variables[0::2]:
            if net.l1:
                loss += net.l1 * tf.reduce_sum(tf.abs(w))
            if net.l2:
                loss += net.l2 * tf.reduce_sum(tf.square(w))
    return [g.numpy() for g in tape.gradient(loss, variables)]


@dataclass
class GradCheck:
    """Backprop's gradients beside two referees, and the largest disagreement."""

    names: list[str]
    backprop: list
    finite_diff: list
    tf: list | None = None

    @staticmethod
    def _max_diff(a, b) -> float:
        return max(float(np.max(np.abs(p - q))) if p.size else 0.0 for p, q in zip(a, b))

    @property
    def max_fd_diff(self) -> float:
        return self._max_diff(self.backprop, self.finite_diff)

    @property
    def max_tf_diff(self) -> float | None:
        return None if self.tf is None else self._max_diff(self.backprop, self.tf)

    @property
    def max_diff(self) -> float:
        return max(self.max_fd_diff, self.max_tf_diff or 0.0)

    def rows(self) -> list[dict]:
        """One row per parameter entry: name, backprop, finite difference, TF."""
        out = []
        for i, name in enumerate(self.names):
            bp = self.backprop[i]
            for idx in np.ndindex(bp.shape):
                label = name + "".join(f"[{j + 1}]" for j in idx)
                row = {"param": label, "backprop": float(bp[idx]),
                       "finite_diff": float(self.finite_diff[i][idx])}
                if self.tf is not None:
                    row["tf"] = float(self.tf[i][idx])
                out.append(row)
        return out


def gradient_check(net: MLP, x, y, masks=None, with_tf: bool = False) -> GradCheck:
    """Backprop against finite differences (and ``tf.GradientTape`` when ``with_tf``)."""
    _, grads = net.gradients(x, y, masks)
    fd = finite_difference_gradients(net, x, y, masks)
    tf_grads = tf_gradients(net, x, y, masks) if with_tf else None
    return GradCheck(net.param_names(), grads, fd, tf_grads)


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


# --- optimizers, written as Keras 3 writes them ----------------------------------------

def _f32(v: float) -> float:
    """``v`` rounded to float32, as Keras holds it (see :class:`Optimizer`)."""
    return float(np.float32(v))


class Optimizer:
    """One update rule applied to a list of arrays, in place: ``step(params, grads)``.

    Arithmetic is float64, with the hyper-parameters rounded as Keras 3 rounds them even
    for float64 weights: the learning rate lives in a float32 variable, and momentum and
    Adam's β1, β2 pass through ``ops.cast`` of a Python float (a float32 tensor first).
    Without that, 100 momentum steps drift ~1e-5 from ``keras.optimizers.SGD``.
    """

    name = "optimizer"

    def __init__(self, learning_rate: float):
        check_range("learning_rate", learning_rate, 0.0, 1e6)
        self.learning_rate = float(learning_rate)
        self.iterations = 0
        self.slots: list | None = None

    def _init_slots(self, params) -> list:
        return []

    def step(self, params, grads) -> None:
        if self.slots is None:
            self.slots = self._init_slots(params)
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p, np.asarray(g, dtype=np.float64))
        self.iterations += 1

    def _update(self, i, p, g):
        raise NotImplementedError


class SGD(Optimizer):
    """``θ ← θ − η·g`` (keras.optimizers.SGD)."""

    name = "sgd"

    def _update(self, i, p, g):
        p -= _f32(self.learning_rate) * g


class Momentum(Optimizer):
    """``m ← μ·m − η·g``; ``θ ← θ + m`` (keras.optimizers.SGD(momentum=0.9))."""

    name = "momentum"

    def __init__(self, learning_rate: float, momentum: float = 0.9):
        super().__init__(learning_rate)
        self.momentum = float(momentum)

    def _init_slots(self, params):
        return [np.zeros_like(p) for p in params]

    def _update(self, i, p, g):
        m = self.slots[i]
        m *= _f32(self.momentum)
        m -= _f32(self.learning_rate) * g
        p += m


class RMSprop(Optimizer):
    """``v ← ρ·v + (1 − ρ)·g²``; ``θ ← θ − η·g / √(v + ε)`` (keras.optimizers.RMSprop).

    Keras puts ε inside the square root, and its defaults are ρ = 0.9, ε = 1e-7.
    """

    name = "rmsprop"

    def __init__(self, learning_rate: float, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def _init_slots(self, params):
        return [np.zeros_like(p) for p in params]

    def _update(self, i, p, g):
        v = self.slots[i]
        v[...] = self.rho * v + (1 - self.rho) * g * g
        p -= _f32(self.learning_rate) * g / np.sqrt(v + self.epsilon)


class Adam(Optimizer):
    """Adam as keras.optimizers.Adam writes it (β1 = 0.9, β2 = 0.999, ε = 1e-7).

    ``m ← m + (g − m)(1 − β1)``, ``v ← v + (g² − v)(1 − β2)``,
    ``α = η·√(1 − β2ᵗ)/(1 − β1ᵗ)``, ``θ ← θ − α·m / (√v + ε)``: the bias correction is
    folded into α, so ε sits outside the root and is not bias-corrected.

    Keras computes β1ᵗ and β2ᵗ from β1, β2 rounded to float32 even for float64 weights;
    so does this class, else the first steps differ by ~7e-6 relative (√(1 − β2ᵗ) is
    sensitive to the last digits of β2).
    """

    name = "adam"

    def __init__(self, learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _init_slots(self, params):
        return [(np.zeros_like(p), np.zeros_like(p)) for p in params]

    def step(self, params, grads) -> None:
        t = self.iterations + 1
        b1, b2 = _f32(self.beta_1), _f32(self.beta_2)
        self._alpha = _f32(self.learning_rate) * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        super().step(params, grads)

    def _update(self, i, p, g):
        m, v = self.slots[i]
        m += (g - m) * (1 - self.beta_1)
        v += (g * g - v) * (1 - self.beta_2)
        p -= self._alpha * m / (np.sqrt(v) + self.epsilon)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSprop, "adam": Adam}


def make_optimizer(name: str, learning_rate: float) -> Optimizer:
    """An optimizer by name ("sgd", "momentum", "rmsprop", "adam") with Keras defaults."""
    check_choice("optimizer", name, OPTIMIZERS)
    return OPTIMIZERS[name](learning_rate)


# --- 2-D loss surfaces ------------------------------------------------------------------

@dataclass(frozen=True)
class Surface:
    """A loss ``f(x, y)`` over two weights, its gradient, a start and a view."""

    name: str
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    f_min: float

    def f(self, x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        if self.name == "bowl":
            return 0.5 * (x ** 2 + y ** 2)
        if self.name == "valley":
            return 0.05 * x ** 2 + 2.0 * y ** 2
        if self.name == "rosenbrock":
            return (1 - x) ** 2 + 100.0 * (y - x ** 2) ** 2
        if self.name == "saddle":
            return x ** 2 - y ** 2 + 0.25 * y ** 4
        raise ValueError(f"surface must be one of {', '.join(SURFACES)}; got {self.name!r}.")

    def grad(self, x: float, y: float) -> np.ndarray:
        if self.name == "bowl":
            return np.array([x, y])
        if self.name == "valley":
            return np.array([0.1 * x, 4.0 * y])
        if self.name == "rosenbrock":
            return np.array([-2 * (1 - x) - 400.0 * x * (y - x ** 2), 200.0 * (y - x ** 2)])
        if self.name == "saddle":
            return np.array([2 * x, -2 * y + y ** 3])
        raise ValueError(f"surface must be one of {', '.join(SURFACES)}; got {self.name!r}.")


SURFACES = {
    "bowl": Surface("bowl", (-4.0, 3.0), (-5, 5), (-5, 5), ((0.0, 0.0),), 0.0),
    "valley": Surface("valley", (-4.5, 1.5), (-5, 5), (-2.5, 2.5), ((0.0, 0.0),), 0.0),
    "rosenbrock": Surface("rosenbrock", (-1.5, 2.0), (-2, 2), (-1, 3), ((1.0, 1.0),), 0.0),
    # x² − y² + y⁴/4: a saddle at the origin between two minima at (0, ±√2), f = −1.
    "saddle": Surface("saddle", (-4.0, 0.01), (-5, 5), (-2.5, 2.5),
                      ((0.0, math.sqrt(2)), (0.0, -math.sqrt(2))), -1.0),
}


def get_surface(name: str) -> Surface:
    check_choice("surface", name, SURFACES)
    return SURFACES[name]


@dataclass
class Path:
    """Where an optimizer went: points [k, 2], losses [k], and a verdict.

    ``status`` is "converged" (within 1e-3 of the minimum's loss), "diverged" (left
    any sane range or overflowed) or "slow" (neither, after all its steps).
    """

    optimizer: str
    points: np.ndarray
    losses: np.ndarray
    status: str

    @property
    def gap(self) -> float:
        return float(self.losses[-1])


DIVERGE_AT = 1e6


def descend(surface: Surface | str, optimizer: str, learning_rate: float, steps: int = 100,
            start=None, tol: float = 1e-3) -> Path:
    """Follow one optimizer on ``surface`` from ``start`` for ``steps`` steps."""
    s = get_surface(surface) if isinstance(surface, str) else surface
    check_range("steps", steps, 1, 100_000, integer=True)
    opt = make_optimizer(optimizer, learning_rate)
    w = np.array(start if start is not None else s.start, dtype=np.float64)
    points, losses = [w.copy()], [float(s.f(*w))]
    status = "slow"
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            opt.step([w], [s.grad(*w)])
            loss = float(s.f(*w))
            if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > DIVERGE_AT or \
                    not math.isfinite(loss):
                status = "diverged"
                break
            points.append(w.copy())
            losses.append(loss)
    if status != "diverged" and losses[-1] - s.f_min < tol:
        status = "converged"
    return Path(optimizer, np.array(points), np.array(losses) - s.f_min, status)


def lr_sweep(surface: Surface | str, optimizers=tuple(OPTIMIZERS), rates=None,
             steps: int = 100) -> dict:
    """Loss gap to the minimum after ``steps`` steps, per optimizer and learning rate.

    A diverged run's gap is ``inf``. Shows both failure modes in one picture: too small
    a rate crawls (the gap stays high on the left), too large diverges (on the right).
    """
    rates = np.asarray(rates if rates is not None else np.logspace(-4, 1, 21), float)
    out = {"rates": rates}
    for name in optimizers:
        gaps = []
        for lr in rates:
            p = descend(surface, name, float(lr), steps)
            gaps.append(math.inf if p.status == "diverged" else p.gap)
        out[name] = np.array(gaps)
    return out


def surface_grid(surface: Surface | str, n: int = 120) -> tuple:
    """xs [n], ys [n], f [n, n] (rows = y) over the surface's view, for a contour plot."""
    s = get_surface(surface) if isinstance(surface, str) else surface
    xs = np.linspace(*s.xlim, n)
    ys = np.linspace(*s.ylim, n)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, s.f(gx, gy)


# --- toy 2-D datasets -------------------------------------------------------------------

DATASETS = ("circles", "xor", "moons", "spirals", "blobs")


def make_dataset(name: str, n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple:
    """Two-class points in about [-1.5, 1.5]²: X float64 [n, 2], y int64 [n] (0/1, balanced).

    ``noise`` is the standard deviation of Gaussian jitter added to every point.
    """
    check_choice("dataset", name, DATASETS)
    check_range("n", n, 4, 100_000, integer=True)
    check_range("noise", noise, 0.0, 2.0)
    rng = np.random.default_rng(seed)
    n1 = n // 2
    n0 = n - n1
    y = np.r_[np.zeros(n0, np.int64), np.ones(n1, np.int64)]
    if name == "circles":
        r = np.r_[rng.uniform(0.9, 1.3, n0), 0.65 * np.sqrt(rng.uniform(0, 1, n1))]
        a = rng.uniform(0, 2 * np.pi, n)
        x = np.c_[r * np.cos(a), r * np.sin(a)]
    elif name == "xor":
        x = rng.uniform(-1.2, 1.2, (n, 2))
        x += np.sign(x) * 0.1                   # a margin around the axes
        y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    elif name == "moons":
        t = rng.uniform(0, np.pi, n)
        outer = np.c_[np.cos(t[:n0]), np.sin(t[:n0])]
        inner = np.c_[1 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])]
        x = (np.r_[outer, inner] - [0.5, 0.25]) * 0.9
    elif name == "spirals":
        t = np.sqrt(rng.uniform(0, 1, n)) * 2.5 * np.pi
        arm = np.where(y == 1, np.pi, 0.0)
        r = t / (2.5 * np.pi) * 1.3
        x = np.c_[r * np.cos(t + arm), r * np.sin(t + arm)]
    else:  # blobs
        centres = np.where(y[:, None] == 1, [0.6, 0.6], [-0.6, -0.6])
        x = centres + rng.normal(0, 0.35, (n, 2))
    x = x + rng.normal(0, noise, x.shape) if noise else x
    order = rng.permutation(n)
    return x[order].astype(np.float64), y[order]


def split(x, y, test_fraction: float = 0.5, seed: int = 0) -> tuple:
    """(x_train, y_train, x_test, y_test), shuffled, at least one point on each side."""
    check_range("test_fraction", test_fraction, 0.05, 0.95)
    n = len(x)
    n_test = min(n - 1, max(1, int(round(n * test_fraction))))
    order = np.random.default_rng(seed + 1).permutation(n)
    te, tr = order[:n_test], order[n_test:]
    return x[tr], y[tr], x[te], y[te]


# --- the playground ---------------------------------------------------------------------

# Mini-batch steps that the default playground needs to fit XOR and circles (> 95% test
# accuracy; checked in tests/unit/test_learn.py).
DEFAULT_STEPS = 300


@dataclass(frozen=True)
class PlaygroundConfig:
    """A TensorFlow-Playground-like run. Invalid values raise ``ValueError``.

    Attributes:
        dataset: one of :data:`DATASETS`; n_points: points in all; noise: jitter std;
        test_fraction: share of points held out for testing.
        hidden: widths of the hidden layers (empty = logistic regression).
        activation: hidden activation; learning_rate; batch_size; optimizer (by name).
        l1, l2: weight penalties; dropout: rate on every hidden layer while training.
        seed: data, initial weights and batches.
    """

    dataset: str = "circles"
    n_points: int = 200
    noise: float = 0.05
    test_fraction: float = 0.5
    hidden: tuple = (8, 8)
    activation: str = "tanh"
    learning_rate: float = 0.03
    batch_size: int = 10
    optimizer: str = "adam"
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def __post_init__(self):
        check_choice("dataset", self.dataset, DATASETS)
        check_range("n_points", self.n_points, 10, 5000, integer=True)
        check_range("noise", self.noise, 0.0, 2.0)
        check_range("test_fraction", self.test_fraction, 0.05, 0.95)
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if len(self.hidden) > 6:
            raise ValueError(f"hidden must have at most 6 layers; got {len(self.hidden)}.")
        for h in self.hidden:
            check_range("hidden width", h, 1, 64, integer=True)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_range("learning_rate", self.learning_rate, 1e-6, 100.0, hint="Try 0.03.")
        check_range("batch_size", self.batch_size, 1, 5000, integer=True)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("l1", self.l1, 0.0, 1.0)
        check_range("l2", self.l2, 0.0, 1.0)
        check_range("dropout", self.dropout, 0.0, 0.9, hint="Try 0.1-0.5.")
        check_range("seed", self.seed, 0, 2**31 - 1, integer=True)


# Changing one of these rebuilds the data or the network; the rest apply on the fly.
_RESET_FIELDS = ("dataset", "n_points", "noise", "test_fraction", "hidden", "activation",
                 "seed")


class Playground:
    """Train a small MLP on a toy dataset a few steps at a time.

    ``history`` holds, per evaluation: step, train/test loss (cross-entropy, without
    the penalty) and train/test accuracy.

    Example:
        >>> pg = Playground(PlaygroundConfig(dataset="xor"))
        >>> _ = pg.step(DEFAULT_STEPS)
        >>> pg.history["test_acc"][-1] > 0.95
        True
    """

    def __init__(self, config: PlaygroundConfig | None = None):
        self.config = config or PlaygroundConfig()
        self.reset()

    def reset(self) -> None:
        c = self.config
        x, y = make_dataset(c.dataset, c.n_points, c.noise, c.seed)
        self.x_train, self.y_train, self.x_test, self.y_test = split(x, y, c.test_fraction,
                                                                     c.seed)
        self.net = MLP.init([2, *c.hidden, 1], activation=c.activation, output="sigmoid",
                            loss="bce", l1=c.l1, l2=c.l2, seed=c.seed)
        self.optimizer = make_optimizer(c.optimizer, c.learning_rate)
        self.rng = np.random.default_rng(c.seed + 2)
        self.steps = 0
        self._order = np.empty(0, np.int64)
        self.diverged = False
        self.history = {k: [] for k in ("step", "train_loss", "test_loss", "train_acc",
                                        "test_acc")}
        self._record()

    def reconfigure(self, config: PlaygroundConfig) -> bool:
        """Take new settings; True when they needed a fresh network (data or shape)."""
        old, self.config = self.config, config
        if any(getattr(old, f) != getattr(config, f) for f in _RESET_FIELDS):
            self.reset()
            return True
        self.net.l1, self.net.l2 = config.l1, config.l2
        if (old.optimizer, old.learning_rate) != (config.optimizer, config.learning_rate):
            if old.optimizer == config.optimizer:
                self.optimizer.learning_rate = config.learning_rate   # keep its state
            else:
                self.optimizer = make_optimizer(config.optimizer, config.learning_rate)
        return False

    def _batch(self) -> np.ndarray:
        b = min(self.config.batch_size, len(self.x_train))
        if len(self._order) < b:
            self._order = np.r_[self._order, self.rng.permutation(len(self.x_train))]
        idx, self._order = self._order[:b], self._order[b:]
        return idx

    def step(self, n: int = 1, record_every: int = 1) -> dict:
        """Take ``n`` mini-batch steps; returns the latest history record."""
        if self.diverged:
            return self.latest()
        c = self.config
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(n):
                idx = self._batch()
                xb, yb = self.x_train[idx], self.y_train[idx, None]
                masks = self.net.dropout_masks(len(idx), c.dropout, self.rng)
                _, grads = self.net.gradients(xb, yb, masks)
                self.optimizer.step(self.net.params, grads)
                self.steps += 1
                if not all(np.all(np.isfinite(p)) for p in self.net.params):
                    self.diverged = True
                    break
                if (k + 1) % record_every == 0 or k == n - 1:
                    self._record()
        return self.latest()

    def _record(self) -> None:
        h = self.history
        if h["step"] and h["step"][-1] == self.steps:
            return
        tr_loss, tr_acc = self._evaluate(self.x_train, self.y_train)
        te_loss, te_acc = self._evaluate(self.x_test, self.y_test)
        for k, v in (("step", self.steps), ("train_loss", tr_loss), ("test_loss", te_loss),
                     ("train_acc", tr_acc), ("test_acc", te_acc)):
            h[k].append(v)

    def _evaluate(self, x, y) -> tuple[float, float]:
        out, cache = self.net.forward(x)
        loss = self.net.data_loss(out, y[:, None], cache.zs[-1])
        acc = float(np.mean((out[:, 0] > 0.5) == (y == 1)))
        return loss, acc

    def latest(self) -> dict:
        return {k: v[-1] for k, v in self.history.items()}

    def boundary(self, resolution: int = 60, lim: float = 1.6) -> tuple:
        """xs [r], ys [r], P(class 1) [r, r] (rows = y) over [-lim, lim]²."""
        xs = np.linspace(-lim, lim, resolution)
        gx, gy = np.meshgrid(xs, xs)
        p = self.net.predict(np.c_[gx.ravel(), gy.ravel()])[:, 0]
        return xs, xs, p.reshape(resolution, resolution)


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


__all__ = [
    "ACTIVATIONS", "DATASETS", "DEFAULT_STEPS", "OPTIMIZERS", "SURFACES", "Adam", "GradCheck",
    "MLP", "Momentum", "Optimizer", "Path", "Playground", "PlaygroundConfig", "RMSprop",
    "SGD", "Surface", "TinyNet", "Trace", "activate", "activate_grad", "cross_entropy",
    "descend", "finite_difference_gradients", "get_surface", "gradient_check",
    "learn_from_mistake", "loss_at", "loss_curves", "lr_sweep", "make_dataset",
    "make_optimizer", "mse", "neuron",
    "rnn_unroll", "sigmoid", "split", "surface_grid", "tf_gradients", "trace",
]
