"""A multi-layer perceptron with explicit forward and backward passes, and gradient checks
(finite differences; TensorFlow's GradientTape)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from cvlib.learn.core import ACTIVATIONS, LOSSES, OUTPUTS, activate, activate_grad
from cvlib.validation import check_choice, check_range

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
