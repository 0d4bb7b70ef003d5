"""The sequence model (CNN + GRU) as a predictor: a clip in, the direction of motion and
the digit out, with the answer after every frame."""

from __future__ import annotations

import numpy as np

from cvlib import CVLibError
from cvlib.moving_digits import DIRECTION_NAMES  # "→", "↗", "↑" ... for directions 0-7
from cvlib.predictor import Predictor, SequencePrediction

DIRECTION_WORDS = ("right", "up-right", "up", "up-left", "left", "down-left", "down",
                   "down-right")


class UnsupportedModel(CVLibError, ValueError):
    """The chosen model cannot run on video frames (wrong task or input)."""


# --- the sequence model -------------------------------------------------------------------

def as_clip(frames, size: int = 64) -> np.ndarray:
    """Frames -> float32 [T, size, size, 1] in 0-255 for the sequence model.

    Accepts uint8 [T, H, W], [T, H, W, 1] or [T, H, W, 3] (RGB is averaged to grey);
    other sizes are resized (bilinear). Floats in [0, 1] are scaled to 0-255.

    Raises:
        ValueError: not a stack of at least one frame.
    """
    x = np.asarray(frames)
    if x.ndim == 4 and x.shape[-1] in (1, 3, 4):
        x = x[..., :3].mean(-1) if x.shape[-1] != 1 else x[..., 0]
    if x.ndim != 3 or x.shape[0] < 1 or min(x.shape[1:]) < 1:
        raise ValueError(f"frames must be uint8 [T, H, W] (or [T, H, W, 1|3]) with T >= 1; "
                         f"got shape {np.asarray(frames).shape}.")
    x = x.astype(np.float32)
    if x.size and x.max() <= 1.0 and np.asarray(frames).dtype.kind == "f":
        x = x * 255.0
    if x.shape[1:] != (size, size):
        from PIL import Image
        x = np.stack([np.asarray(Image.fromarray(f, "F").resize((size, size),
                                                                Image.BILINEAR)) for f in x])
    return np.clip(x, 0, 255)[..., None]


class SequenceModel(Predictor):
    """The recurrent sequence model (``cvlib.load("sequence", "digit_motion")``).

    ``__call__(frames)`` -> :class:`SequencePrediction` for one clip uint8 [T, 64, 64].
    """

    task = "sequence"

    def __init__(self, name: str, model, class_names=None, direction_names=DIRECTION_NAMES):
        super().__init__(name, model, class_names or [str(i) for i in range(10)])
        self.direction_names = list(direction_names)
        self._states = None
        self._fn = None

    @classmethod
    def from_name(cls, name: str) -> "SequenceModel":
        from cvlib import zoo
        entry = zoo.get(name)
        if entry.task != "sequence":
            raise UnsupportedModel(f"{name} is a {entry.task} model; choose one of "
                                   f"{', '.join(zoo.list_models('sequence'))}.",
                                   kind="model_wrong_task", name=name, task=entry.task,
                                   available=", ".join(zoo.list_models("sequence")))
        return cls(name, zoo.load(name), zoo.class_names(name) or None)

    @classmethod
    def from_model(cls, model, name: str = "digit_motion") -> "SequenceModel":
        """Wrap a ``keras.Model`` built by :func:`cvlib.nets.rnn.build` (tests, training)."""
        return cls(name, model)

    def _compiled(self):
        # One trace per input shape (B, T): a tf.function traced with an open time axis
        # (T = None) makes Keras's TimeDistributed return one step only (Keras 3.15), so
        # no input_signature here. A page uses a handful of shapes (1x20, Tx1, 64x20).
        if self._fn is None:
            import tensorflow as tf

            from cvlib.nets.rnn import with_states
            self._states = states = with_states(self.model)
            self._fn = tf.function(lambda x: states(x, training=False))
        return self._fn

    def preprocess(self, inputs, **kwargs) -> np.ndarray:
        return as_clip(inputs)[None]

    def _forward(self, batch):
        h, d, g = self._compiled()(np.asarray(batch, np.float32))
        return h.numpy(), d.numpy(), g.numpy()

    def postprocess(self, outputs, prepared, **kwargs) -> SequencePrediction:
        h, d, g = (o[0] for o in outputs)
        return SequencePrediction(
            direction=int(d[-1].argmax()), digit=int(g[-1].argmax()),
            direction_probs=d[-1].astype(np.float32), digit_probs=g[-1].astype(np.float32),
            hidden_states=h.astype(np.float32), direction_per_frame=d.astype(np.float32),
            digit_per_frame=g.astype(np.float32))

    def single_frames(self, frames) -> tuple[np.ndarray, np.ndarray]:
        """Each frame shown *alone* (a 1-frame clip): direction float32 [T, 8] and digit
        float32 [T, 10] probabilities. One frame holds no motion, so the direction answer
        stays a guess: the page compares it with the answer after each frame of the clip."""
        x = as_clip(frames)[:, None]            # [T, 1, 64, 64, 1]: T clips of one frame
        _, d, g = self._forward(x)
        return d[:, 0], g[:, 0]

    def predict_batch(self, clips, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """Last-frame answers for many clips uint8 [N, T, 64, 64]: (direction int [N],
        digit int [N])."""
        dirs, digs = [], []
        for i in range(0, len(clips), batch_size):
            x = np.asarray(clips[i:i + batch_size], np.float32)[..., None]
            _, d, g = self._forward(x)
            dirs.append(d[:, -1].argmax(-1))
            digs.append(g[:, -1].argmax(-1))
        return np.concatenate(dirs), np.concatenate(digs)


def _sequence_model(model) -> SequenceModel:
    if isinstance(model, SequenceModel):
        return model
    return _cached_sequence_model(str(model))


_SEQ_CACHE: dict[str, SequenceModel] = {}


def _cached_sequence_model(name: str) -> SequenceModel:
    if name not in _SEQ_CACHE:
        _SEQ_CACHE[name] = SequenceModel.from_name(name)
    return _SEQ_CACHE[name]


def predict_sequence(frames, model="digit_motion") -> SequencePrediction:
    """The sequence model's verdict on one clip.

    Args:
        frames: uint8 [T, 64, 64] (white digit on black, as MNIST), T >= 1; [T, H, W(, 3)]
            is converted (grey, resized).
        model: a registry name (``cvlib.zoo.list_models("sequence")``) or a SequenceModel.

    Returns:
        :class:`SequencePrediction`: ``direction`` int 0-7 (0 = +x, counter-clockwise in
        45° steps, rows grow down), ``digit`` int 0-9, ``direction_probs`` float32 [8],
        ``digit_probs`` float32 [10], ``hidden_states`` float32 [T, units] (GRU state after
        each frame), ``direction_per_frame`` / ``digit_per_frame`` float32 [T, 8] / [T, 10].

    Raises:
        ValueError: frames of the wrong shape.
        cvlib.zoo.UnknownModel / ModelUnavailable / ModelIntegrityError, UnsupportedModel.

    Example:
        >>> from cvlib.data import moving_digits
        >>> md = moving_digits(1, seed=3, split="test")
        >>> p = predict_sequence(md.clips[0])
        >>> (p.direction, p.digit) == (md.direction[0], md.digit[0])
        True
    """
    return _sequence_model(model)(frames)
