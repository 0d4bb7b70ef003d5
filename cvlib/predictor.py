"""One predictor protocol for every task, and the plain-data results it returns.

A predictor does what a Hugging Face ``transformers`` pipeline does, in three steps:
``preprocess`` (user data -> model input), ``_forward`` (the Keras call) and
``postprocess`` (model output -> plain data: dataclasses of numpy arrays, labels,
scores). Classify, generate, segment, detect and the sequence model differ only in those
three steps, so a page never holds a ``keras.Model``; it calls the predictor and shows
the dataclass it gets back.

``cvlib.load(task, name)`` returns one, for a registry name or a Train-page run
(``"run:<id>"``). This module imports neither TensorFlow nor any task module.

Example:
    >>> from cvlib.predictor import Detection
    >>> Detection(box=(0.0, 0.0, 10.0, 5.0), label=3, score=0.9).area
    50.0
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cvlib import CVLibError

# task -> "module:PredictorClass". The class has ``from_name(name) -> Predictor``.
PREDICTORS = {
    "classify": "cvlib.recognize:Classifier",
    "generate": "cvlib.generate:Sampler",
    "segment": "cvlib.segment:Segmenter",
    "detect": "cvlib.detect:Detector",
    "sequence": "cvlib.video:SequenceModel",
}


class UnknownTask(CVLibError, ValueError):
    """``cvlib.load`` was asked for a task it does not know."""


class Predictor:
    """Base of every predictor: ``__call__`` = postprocess(_forward(preprocess(x))).

    Subclasses set ``task`` and implement the three steps; ``from_name`` builds one from
    a registry name (weights sha256-checked by :mod:`cvlib.zoo`) or ``"run:<id>"``.

    Attributes:
        name: registry name or ``"run:<id>"``.
        model: the Keras model (kept here so per-model compiled functions are cached on
            the predictor, not in a global dict that would keep models alive).
        class_names: class labels, index = class id.
    """

    task: str = ""

    def __init__(self, name: str, model: Any, class_names=None):
        self.name = name
        self.model = model
        self.class_names = list(class_names or [])

    @classmethod
    def from_name(cls, name: str) -> "Predictor":  # pragma: no cover - abstract
        raise NotImplementedError

    def preprocess(self, inputs, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def _forward(self, batch):  # pragma: no cover - abstract
        raise NotImplementedError

    def postprocess(self, outputs, prepared, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, inputs, **kwargs):
        prepared = self.preprocess(inputs, **kwargs)
        return self.postprocess(self._forward(prepared), prepared, **kwargs)

    def count_params(self) -> int:
        """Number of weights of the underlying model (for the UI)."""
        return int(self.model.count_params())

    def export(self, fmt: str = "weights.h5") -> bytes:
        """The model as a file's bytes: ``"weights.h5"`` or ``"keras"``.

        Raises:
            ValueError: unknown format.
        """
        from cvlib.export import model_bytes
        return model_bytes(self.model, fmt)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def load(task: str, name: str) -> Predictor:
    """The predictor of ``task`` for model ``name`` (registry name or ``"run:<id>"``).

    Args:
        task: one of ``PREDICTORS`` (classify, generate, segment, detect, sequence).
        name: a name from ``cvlib.zoo.list_models(task)`` or ``"run:<id>"`` of a Train-page run.

    Raises:
        UnknownTask: ``task`` is not one of the tasks above.
        cvlib.zoo.UnknownModel, cvlib.zoo.ModelUnavailable: see :func:`cvlib.zoo.load`.
    """
    try:
        target = PREDICTORS[task]
    except KeyError:
        raise UnknownTask(f"task must be one of {', '.join(PREDICTORS)}; got {task!r}.",
                          kind="task_unknown", task=str(task),
                          available=", ".join(PREDICTORS)) from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls).from_name(name)



def registry_predictor(name: str, task: str, needs: str, error: type, others: dict):
    """The registry check every task's ``from_name`` shares.

    Refuses a Train-page run (``"run:<id>"``) and a model of another task with ``error``
    (the message names the models of ``task``), and hands a name listed in ``others``
    (``{name: "module:Class"}``, a model with a predictor of its own) to that class.

    Args:
        name: the registry name asked for.
        task: the task of the caller ("detect", "segment" ...).
        needs: the task as a noun for the message ("detection", "segmentation").
        error: the caller's ``UnsupportedModel`` class.
        others: the caller's table of models with their own predictor.

    Returns:
        That other predictor, or None when the caller builds its own.
    """
    from cvlib import zoo
    available = ", ".join(zoo.list_models(task))
    if name.startswith("run:"):
        raise error(f"{name} is a Train-page classifier; {needs} needs one of {available}.",
                    kind="model_is_run", name=name, task=task, available=available)
    entry = zoo.get(name)
    if entry.task != task:
        raise error(f"{name} is a {entry.task} model; choose one of {available}.",
                    kind="model_wrong_task", name=name, task=entry.task, available=available)
    if name in others:
        module, cls = others[name].split(":")
        return getattr(importlib.import_module(module), cls).from_name(name)
    return None


# --- plain-data results -------------------------------------------------------------------

@dataclass(frozen=True)
class Detection:
    """One detected object.

    Attributes:
        box: (x0, y0, x1, y1) in input pixels, float, x0 < x1, y0 < y1.
        label: class index (into the detector's ``class_names``).
        score: confidence in [0, 1].
    """

    box: tuple[float, float, float, float]
    label: int
    score: float

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return float(max(0.0, x1 - x0) * max(0.0, y1 - y0))


@dataclass
class Segmentation:
    """A per-pixel answer.

    Attributes:
        mask: int32 [H, W], class index per pixel, in the input's pixels.
        probs: float32 [H, W, K] class probabilities (sum to 1 over K).
        class_names: K names, index 0 = background.
        objects, unfamiliar: how many objects a region classifier named, and how many of
            them it found unlike its training data (None: no region classifier ran; see
            :func:`cvlib.refine.classify_regions`).
        unlike_training: the picture as a whole looks unlike the segmenter's training
            data (:func:`cvlib.refine.unlike_digit_scene`): its regions are guesses.
    """

    mask: np.ndarray
    probs: np.ndarray
    class_names: list[str] = field(default_factory=list)
    objects: int | None = None
    unfamiliar: int | None = None
    unlike_training: bool = False


@dataclass
class SequencePrediction:
    """The sequence model's verdict on a clip (see DESIGN.md: directions 0 = +x, then
    counter-clockwise in 45° steps, image rows growing downwards).

    Attributes:
        direction: int 0-7; digit: int 0-9.
        direction_probs: float32 [8]; digit_probs: float32 [10].
        hidden_states: float32 [T, units], the recurrent state after each frame.
        direction_per_frame, digit_per_frame: float32 [T, 8] / [T, 10], the answer after
            each frame (what the model would say if the clip stopped there).
    """

    direction: int
    digit: int
    direction_probs: np.ndarray
    digit_probs: np.ndarray
    hidden_states: np.ndarray
    direction_per_frame: np.ndarray | None = None
    digit_per_frame: np.ndarray | None = None


@dataclass
class FrameRecord:
    """One analysed video frame: its index, its time in seconds, the model's answer."""

    index: int
    time: float
    result: Any
