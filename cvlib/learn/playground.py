"""Toy 2-D datasets and the playground that trains an MLP on them live."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cvlib.learn.core import ACTIVATIONS
from cvlib.learn.mlp import MLP
from cvlib.learn.optimizers import OPTIMIZERS, make_optimizer
from cvlib.validation import check_choice, check_range

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
