"""Optimizer steps written as Keras 3 writes them, and 2-D loss surfaces to descend."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cvlib.validation import check_choice, check_range

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
