"""Recurrent sequence models: a per-frame CNN feeding a GRU (and a ConvLSTM variant).

``build_cnn_gru`` is the architecture of the shipped ``digit_motion`` model: a small
strided CNN runs on every frame (``TimeDistributed``, the same weights for every frame),
its feature vector goes into a GRU (Cho et al., 2014, "Learning Phrase Representations
using RNN Encoder-Decoder"), and two heads read the GRU's state **after every frame**:
the direction of motion (8 classes) and the digit (10 classes). Training puts the loss on
every frame, so the answer after frame t is what the model would say had the clip stopped
there; after frame 0 it cannot know the direction (one frame has no motion), which the
Video page shows.

``build_convlstm`` is the alternative (Shi et al., 2015, "Convolutional LSTM Network"),
built for the comparison in bench/RESULTS.md: the recurrence keeps a spatial state.

Input: uint8-range float [B, T, 64, 64, 1] in 0-255 (a ``Rescaling`` layer divides by 255).
Outputs: ``{"direction": [B, T, 8], "digit": [B, T, 10]}`` softmax probabilities; the layer
named ``"gru"`` (or ``"convlstm"``) holds the recurrent state (see :func:`with_states`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers


@dataclass(frozen=True)
class SequenceSpec:
    """Knobs of the sequence model; the defaults are the shipped ``digit_motion``.

    Attributes:
        arch: "cnn_gru" or "convlstm".
        frames: clip length T (None = any length at inference).
        size: frame height = width in pixels.
        filters: conv filters of the per-frame CNN (each conv has stride 2).
        features: width of the per-frame feature vector fed to the GRU.
        units: GRU units (the hidden state plotted on the Video page).
        dropout: dropout on the per-frame features during training.
        directions, classes: sizes of the two heads.
    """

    arch: str = "cnn_gru"
    frames: int | None = None
    size: int = 64
    filters: tuple[int, ...] = (16, 32, 64)
    features: int = 128
    units: int = 96
    dropout: float = 0.1
    directions: int = 8
    classes: int = 10

    def to_dict(self) -> dict:
        d = asdict(self)
        d["filters"] = list(self.filters)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SequenceSpec":
        d = dict(d)
        d["filters"] = tuple(d.get("filters", cls.filters))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def build(spec: SequenceSpec = SequenceSpec(), name: str = "digit_motion") -> keras.Model:
    """The model of ``spec`` with random weights (see the module docstring)."""
    if spec.arch == "convlstm":
        return build_convlstm(spec, name)
    if spec.arch != "cnn_gru":
        raise ValueError(f"arch must be 'cnn_gru' or 'convlstm'; got {spec.arch!r}.")
    return build_cnn_gru(spec, name)


def _frame_cnn(spec: SequenceSpec) -> keras.Model:
    """One frame uint8-range [64, 64, 1] -> feature vector [features] (shared over time)."""
    inp = keras.Input((spec.size, spec.size, 1))
    x = layers.Rescaling(1 / 255.0)(inp)
    for i, f in enumerate(spec.filters):
        x = layers.Conv2D(f, 5 if i == 0 else 3, strides=2, padding="same",
                          activation="relu")(x)
    # Flatten (not global pooling): the features keep *where* the digit is, which the GRU
    # compares over time to find the motion.
    x = layers.Flatten()(x)
    x = layers.Dense(spec.features, activation="relu")(x)
    return keras.Model(inp, x, name="frame_cnn")


def _heads(x, spec: SequenceSpec) -> dict:
    return {"direction": layers.Dense(spec.directions, activation="softmax",
                                      name="direction")(x),
            "digit": layers.Dense(spec.classes, activation="softmax", name="digit")(x)}


def build_cnn_gru(spec: SequenceSpec = SequenceSpec(), name: str = "digit_motion"
                  ) -> keras.Model:
    """TimeDistributed(CNN) -> GRU(return_sequences) -> per-frame direction/digit heads."""
    inp = keras.Input((spec.frames, spec.size, spec.size, 1), name="frames")
    x = layers.TimeDistributed(_frame_cnn(spec), name="per_frame_cnn")(inp)
    x = layers.Dropout(spec.dropout)(x)
    x = layers.GRU(spec.units, return_sequences=True, name="gru")(x)
    return keras.Model(inp, _heads(x, spec), name=name)


def build_convlstm(spec: SequenceSpec = SequenceSpec(arch="convlstm"),
                   name: str = "digit_motion_convlstm") -> keras.Model:
    """Strided CNN per frame -> ConvLSTM2D on the 16x16 maps -> pooled per-frame heads."""
    inp = keras.Input((spec.frames, spec.size, spec.size, 1), name="frames")
    x = layers.Rescaling(1 / 255.0)(inp)
    for i, f in enumerate(spec.filters[:2]):
        x = layers.TimeDistributed(layers.Conv2D(f, 5 if i == 0 else 3, strides=2,
                                                 padding="same", activation="relu"))(x)
    x = layers.ConvLSTM2D(spec.filters[-1] // 2, 3, strides=2, padding="same",
                          return_sequences=True, name="convlstm")(x)
    x = layers.TimeDistributed(layers.Flatten())(x)
    x = layers.TimeDistributed(layers.Dense(spec.features, activation="relu"),
                               name="state_features")(x)
    return keras.Model(inp, _heads(x, spec), name=name)


def with_states(model: keras.Model) -> keras.Model:
    """Same weights, outputs ``[states [B, T, units], direction, digit]`` (for plotting
    the recurrent state frame by frame)."""
    for layer_name in ("gru", "state_features"):
        try:
            states = model.get_layer(layer_name).output
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"{model.name} has no recurrent layer named 'gru'.")
    out = model.output
    return keras.Model(model.input, [states, out["direction"], out["digit"]],
                       name=model.name + "_states")
