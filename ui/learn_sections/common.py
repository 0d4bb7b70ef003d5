"""Constants and number formatting shared by the Learn page's sections."""

from __future__ import annotations

SECTIONS = ("neuron", "backprop", "playground", "losses", "optimizers", "remedies", "rnn")

# Playground timing: one tick of the fragment advances STEPS_PER_TICK mini-batches.
TICK_SECONDS = 0.25
STEPS_PER_TICK = 10
RUN_STEPS = 5000           # a Run pauses by itself after this many steps
PG_POINTS = [20, 40, 60, 100, 200, 400, 1000]
PG_WIDTHS = [1, 2, 3, 4, 6, 8, 12, 16]
PG_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0]
PG_BATCHES = [1, 2, 5, 10, 20, 50, 100]
PG_PENALTIES = [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
OPT_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0]
BP_STEPS = 10              # stepper: 0 example ... 10 update
REMEDY_POLL = 0.5
PLOT_CONFIG = {"displayModeBar": False}


def _g(v: float) -> str:
    return "0" if v == 0 else f"{v:g}"


def _num(v: float, digits: int = 4) -> str:
    """A number for LaTeX: fixed digits, parentheses around negatives."""
    s = f"{v:.{digits}f}"
    return f"({s})" if v < 0 else s



ACT_LATEX = {"linear": r"f(z) = z", "sigmoid": r"\sigma(z) = \frac{1}{1 + e^{-z}}",
             "tanh": r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
             "relu": r"\mathrm{ReLU}(z) = \max(0, z)"}
ACT_SYMBOL = {"linear": "f", "sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}"}
ACT_GRAD_LATEX = {"linear": r"f'(z) = 1", "sigmoid": r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
                  "tanh": r"\tanh'(z) = 1 - \tanh^2(z)",
                  "relu": r"\mathrm{ReLU}'(z) = 1 \text{ if } z > 0 \text{ else } 0"}
