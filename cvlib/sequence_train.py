"""Training and evaluation of the sequence model ``digit_motion`` on moving digits.

``python -m cvlib train --task sequence --save digit_motion`` calls :func:`fit_sequence`.
Clips are generated on the fly (:func:`cvlib.moving_digits.generate` from the MNIST
*train* digits, new clips every epoch, so the model never sees a clip twice); the
held-out figures come from 1,000 clips made from the MNIST *test* digits.

The loss is sparse categorical cross-entropy on **every frame** of both heads (the target
is the same at every frame: the direction at the first frame and the digit), so the
answer after frame t is a real prediction from the first t+1 frames.

Example:
    >>> from cvlib.sequence_train import SequenceConfig, fit_sequence
    >>> result = fit_sequence(SequenceConfig(epochs=1, clips_per_epoch=256))  # doctest: +SKIP
    >>> result.metrics["direction_accuracy"]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from cvlib.moving_digits import FRAMES, generate
from cvlib.validation import check_range

HELD_OUT_SEED = 2026   # the 1,000 held-out clips of the manifest: generate(1000, 2026, "test")


@dataclass(frozen=True)
class SequenceConfig:
    """How to train the sequence model.

    Attributes:
        epochs: passes; each sees ``clips_per_epoch`` new clips.
        clips_per_epoch: clips generated per epoch.
        batch_size: clips per batch.
        learning_rate: Adam's initial rate, decayed to 0 by a cosine schedule.
        units: GRU units; features: per-frame feature width; arch: "cnn_gru" | "convlstm".
        seed: seed of weights and clips.
        eval_clips: held-out clips measured after training (the manifest's 1,000).
    """

    epochs: int = 6
    clips_per_epoch: int = 20000
    batch_size: int = 64
    learning_rate: float = 2e-3
    units: int = 96
    features: int = 128
    arch: str = "cnn_gru"
    seed: int = 0
    eval_clips: int = 1000

    def __post_init__(self):
        check_range("epochs", self.epochs, 1, 1000, integer=True)
        check_range("clips_per_epoch", self.clips_per_epoch, 16, 10_000_000, integer=True)
        check_range("batch_size", self.batch_size, 1, 4096, integer=True)
        check_range("learning_rate", self.learning_rate, 0, 1, low_inclusive=False)
        check_range("units", self.units, 4, 1024, integer=True)
        check_range("features", self.features, 8, 4096, integer=True)

    def spec(self):
        from cvlib.nets.rnn import SequenceSpec
        return SequenceSpec(arch=self.arch, units=self.units, features=self.features)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SequenceResult:
    model: object
    config: SequenceConfig
    history: dict
    metrics: dict
    seconds: float
    clips_per_second: float
    data_info: object = None
    extra: dict = field(default_factory=dict)


def inference_copy(model, config: SequenceConfig):
    """A fresh, uncompiled model of ``config`` with ``model``'s weights: its
    ``save_weights`` file holds the weights only (a compiled model's also holds Adam's
    two moment estimates, three times the size)."""
    from cvlib.nets.rnn import build
    clean = build(config.spec(), name=model.name)
    clean.set_weights(model.get_weights())
    return clean


def targets(md, frames: int = FRAMES) -> dict:
    """Per-frame targets int64 [n, T] of both heads (the same label at every frame)."""
    return {"direction": np.repeat(md.direction[:, None], frames, 1),
            "digit": np.repeat(md.digit[:, None], frames, 1)}


def _clip_batches(images, labels, config: SequenceConfig):
    import keras

    class Clips(keras.utils.PyDataset):
        """New moving-digit clips each epoch: uint8 [B, T, 64, 64, 1] and per-frame labels."""

        def __init__(self):
            super().__init__()
            self.epoch = 0

        def __len__(self):
            return config.clips_per_epoch // config.batch_size

        def __getitem__(self, idx):
            md = generate(config.batch_size, seed=config.seed * 1_000_003 + self.epoch *
                          10_007 + idx + 1, images=images, labels=labels)
            return md.clips[..., None].astype(np.float32), targets(md)

        def on_epoch_end(self):
            self.epoch += 1

    return Clips()


def evaluate(model, n: int = 1000, seed: int = HELD_OUT_SEED, split: str = "test",
             batch_size: int = 100) -> dict:
    """Accuracy of ``model``'s last-frame answers on ``n`` generated clips.

    Returns:
        ``{"direction_accuracy", "digit_accuracy", "direction_accuracy_first_frame",
        "clips", "split", "seed"}`` (floats in [0, 1]).
    """
    md = generate(n, seed=seed, split=split)
    out = model.predict(md.clips[..., None], batch_size=batch_size, verbose=0)
    d, g = np.asarray(out["direction"]), np.asarray(out["digit"])
    return {"direction_accuracy": round(float(np.mean(d[:, -1].argmax(-1) == md.direction)), 4),
            "digit_accuracy": round(float(np.mean(g[:, -1].argmax(-1) == md.digit)), 4),
            "direction_accuracy_first_frame":
                round(float(np.mean(d[:, 0].argmax(-1) == md.direction)), 4),
            "clips": int(n), "split": split, "seed": int(seed)}


def fit_sequence(config: SequenceConfig = SequenceConfig(), callbacks=(), verbose: int = 0
                 ) -> SequenceResult:
    """Train the sequence model of ``config`` in the calling thread, then evaluate it on
    the 1,000 held-out clips.

    Raises:
        cvlib.data.DatasetUnavailable: no MNIST source.
    """
    import keras

    from cvlib.data import load_dataset
    from cvlib.nets.rnn import build

    keras.utils.set_random_seed(config.seed)
    images, labels, info = load_dataset("mnist", "train")
    model = build(config.spec())
    steps = config.clips_per_epoch // config.batch_size
    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate,
                                                      steps * config.epochs)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss={"direction": "sparse_categorical_crossentropy",
                        "digit": "sparse_categorical_crossentropy"},
                  metrics={"direction": "accuracy", "digit": "accuracy"})
    val = generate(min(500, config.eval_clips), seed=config.seed + 777, split="train",
                   images=images, labels=labels)
    t0 = time.perf_counter()
    hist = model.fit(_clip_batches(images, labels, config), epochs=config.epochs,
                     validation_data=(val.clips[..., None], targets(val)),
                     callbacks=list(callbacks), verbose=verbose)
    seconds = time.perf_counter() - t0
    metrics = evaluate(model, n=config.eval_clips)
    metrics["train_seconds"] = round(seconds, 1)
    history = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
    return SequenceResult(model, config, history, metrics, seconds,
                          steps * config.batch_size * config.epochs / seconds, info)
