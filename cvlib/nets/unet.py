"""A compact U-Net for per-pixel classification (Ronneberger, Fischer & Brox, 2015,
"U-Net: Convolutional Networks for Biomedical Image Segmentation", arXiv:1505.04597).

The shape of the original, made small enough for CPUs: an encoder of ``len(filters)``
levels (two 3x3 conv + BatchNorm + ReLU each, 2x2 max-pooling between levels) and a
decoder that upsamples 2x, concatenates the encoder's feature map of the same resolution
(the skip connection that keeps edges sharp) and applies two convs, ending in a 1x1 conv
to ``num_classes`` softmax probabilities per pixel. "same" padding keeps the output the
size of the input (which must be a multiple of 2**(levels-1)).

The model takes uint8-range RGB [N, H, W, 3] in 0-255 (a ``Rescaling(1/255)`` layer comes
first) and returns float32 [N, H, W, num_classes] probabilities.

Example:
    >>> model = build_unet(UNetSpec())
    >>> model.output_shape
    (None, 128, 128, 11)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import keras
from keras import layers

from cvlib.validation import check_range


@dataclass(frozen=True)
class UNetSpec:
    """Knobs of the U-Net.

    Attributes:
        filters: channels per level, full resolution first (each level halves H and W).
        num_classes: output classes (11 for digit scenes: background + 10 digits).
        input_shape: (H, W, 3); H and W multiples of 2**(len(filters)-1), or None each.
    """

    filters: tuple[int, ...] = (16, 32, 48, 64, 96)
    num_classes: int = 11
    input_shape: tuple = (128, 128, 3)

    def __post_init__(self):
        if not 2 <= len(self.filters) <= 6:
            raise ValueError(f"filters must name 2-6 levels; got {self.filters!r}.")
        for f in self.filters:
            check_range("filters", f, 1, 1024, integer=True)
        check_range("num_classes", self.num_classes, 2, 1000, integer=True)

    def to_dict(self) -> dict:
        return asdict(self)


def conv_block(x, filters: int, name: str, convs: int = 2, dtype=None):
    """``convs`` x (3x3 conv, BatchNorm, ReLU), "same" padding."""
    for i in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                          name=f"{name}_conv{i}", dtype=dtype)(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}", dtype=dtype)(x)
        x = layers.ReLU(name=f"{name}_relu{i}", dtype=dtype)(x)
    return x


def encoder(x_in, filters, dtype=None, prefix="enc"):
    """Rescale 0-255 -> 0-1 and run the encoder. Returns the feature map of every level,
    full resolution first."""
    x = layers.Rescaling(1.0 / 255, name="rescale", dtype=dtype)(x_in)
    skips = []
    for i, f in enumerate(filters):
        if i:
            x = layers.MaxPooling2D(2, name=f"{prefix}{i}_pool", dtype=dtype)(x)
        x = conv_block(x, f, f"{prefix}{i}", dtype=dtype)
        skips.append(x)
    return skips


def build_unet(spec: UNetSpec | None = None, name: str = "unet", dtype=None) -> keras.Model:
    """Build the (uncompiled) U-Net described by ``spec``.

    Args:
        spec: a :class:`UNetSpec` (default: 5 levels, 16-96 channels, 11 classes).
        name: the model's name.
        dtype: None (float32) or "mixed_bfloat16" for training; the last layer stays
            float32 and the weights are the same either way.

    Returns:
        keras.Model: uint8-range [N, H, W, 3] -> float32 softmax [N, H, W, num_classes].
    """
    spec = spec or UNetSpec()
    x_in = keras.Input(spec.input_shape, name="image")
    skips = encoder(x_in, spec.filters, dtype)
    x = skips[-1]
    for i in range(len(spec.filters) - 2, -1, -1):
        x = layers.UpSampling2D(2, name=f"dec{i}_up", dtype=dtype)(x)
        x = layers.Concatenate(name=f"dec{i}_cat", dtype=dtype)([x, skips[i]])
        x = conv_block(x, spec.filters[i], f"dec{i}", dtype=dtype)
    x = layers.Conv2D(spec.num_classes, 1, name="logits", dtype="float32")(x)
    out = layers.Softmax(name="probs", dtype="float32")(x)
    return keras.Model(x_in, out, name=name)
