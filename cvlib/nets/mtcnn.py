"""MTCNN (Zhang et al. 2016, "Joint face detection and alignment using multitask cascaded
convolutional networks"), the Keras implementation of the ``mtcnn`` package, whose weights
ship inside its wheel. The predictor around it is :mod:`cvlib.faces`."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def build_mtcnn():
    """The MTCNN cascade with the weights from the ``mtcnn`` wheel (once per process).

    Raises:
        cvlib.zoo.ModelUnavailable: the ``mtcnn`` package is not installed.
    """
    try:
        from mtcnn import MTCNN
    except ImportError as exc:
        from cvlib.zoo import ModelUnavailable
        raise ModelUnavailable("faces_mtcnn needs the mtcnn package: pip install "
                               "'mtcnn>=1.0,<1.1' (its weights ship inside the wheel).",
                               kind="model_needs_mtcnn") from exc
    return MTCNN(stages="face_and_landmarks_detection", device="CPU:0")
