"""Checks at the boundary, with messages of the form "X must be ...; got .... Try ...".

They raise ``ValueError`` (or ``TypeError`` for a wrong type) so that a config dataclass
refuses an impossible combination at creation time, and a page can show the message as is.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any


def number_array(value: Any, name: str = "image",
                 expected: str = "a picture: a PIL image or an array of numbers [H, W(, C)]"):
    """``value`` as a numpy array of numbers (bool, integer or float), else ``TypeError``.

    For functions that take a picture (or a mask ...) as an array: ``None``, text, objects,
    complex numbers or ragged nested lists get a message naming what was ``expected``
    instead of numpy's.
    """
    import numpy as np
    try:
        a = np.asarray(value)
    except (ValueError, TypeError):      # ragged nested lists
        a = None
    if a is None or a.dtype.kind not in "biuf":
        what = type(value).__name__ if a is None else f"{type(value).__name__} of {a.dtype}"
        raise TypeError(f"{name} must be {expected}; got {what}.")
    return a


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    choices = list(choices)
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}.")
    return value


def check_range(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    integer: bool = False,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    hint: str = "",
) -> Any:
    """Return ``value`` if it is a finite number inside [low, high], else raise.

    Args:
        name: the parameter's name, as the user knows it.
        value: the value to check.
        low, high: bounds; ``None`` means unbounded.
        integer: require an ``int`` (``bool`` is refused).
        low_inclusive, high_inclusive: whether the bounds themselves are allowed.
        hint: appended to the message, e.g. "Try 1e-3.".

    Raises:
        TypeError: not a number (or not an int when ``integer``).
        ValueError: out of range, NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "an integer" if integer else "a number"
        raise TypeError(f"{name} must be {kind}; got {value!r} ({type(value).__name__}).")
    if integer and not isinstance(value, int):
        if float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer; got {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        lb = "[" if low_inclusive else "("
        rb = "]" if high_inclusive else ")"
        msg = f"{name} must be in {lb}{lo}, {hi}{rb}; got {value!r}."
        if hint:
            msg += " " + hint
        raise ValueError(msg)
    return value
