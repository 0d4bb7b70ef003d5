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

import numpy as np  # noqa: F401 (the docstring example uses np)

from cvlib.learn.core import (
    ACTIVATIONS,
    LOSSES,
    OUTPUTS,
    activate,
    activate_grad,
    neuron,
    sigmoid,
)
from cvlib.learn.losses import (
    cross_entropy,
    learn_from_mistake,
    loss_at,
    loss_curves,
    mse,
)
from cvlib.learn.mlp import (
    MLP,
    Cache,
    GradCheck,
    finite_difference_gradients,
    gradient_check,
    tf_gradients,
)
from cvlib.learn.optimizers import (
    DIVERGE_AT,
    OPTIMIZERS,
    SGD,
    SURFACES,
    Adam,
    Momentum,
    Optimizer,
    Path,
    RMSprop,
    Surface,
    descend,
    get_surface,
    lr_sweep,
    make_optimizer,
    surface_grid,
)
from cvlib.learn.playground import (
    DATASETS,
    DEFAULT_STEPS,
    Playground,
    PlaygroundConfig,
    make_dataset,
    split,
)
from cvlib.learn.rnn import rnn_unroll
from cvlib.learn.stepper import TinyNet, Trace, trace

__all__ = [
    "ACTIVATIONS", "DATASETS", "DEFAULT_STEPS", "OPTIMIZERS", "SURFACES", "Adam", "GradCheck",
    "MLP", "Momentum", "Optimizer", "Path", "Playground", "PlaygroundConfig", "RMSprop",
    "SGD", "Surface", "TinyNet", "Trace", "activate", "activate_grad", "cross_entropy",
    "descend", "finite_difference_gradients", "get_surface", "gradient_check",
    "learn_from_mistake", "loss_at", "loss_curves", "lr_sweep", "make_dataset",
    "make_optimizer", "mse", "neuron", "LOSSES", "OUTPUTS", "Cache", "DIVERGE_AT",
    "rnn_unroll", "sigmoid", "split", "surface_grid", "tf_gradients", "trace",
]
