"""A small anchor-free detector: centre points (Zhou, Wang & Krähenbühl, 2019, "Objects
as Points", arXiv:1904.07850), on the encoder of :mod:`cvlib.nets.unet`.

Every object is one peak in a per-class heat map at stride ``STRIDE`` (4: a 128x128 image
gives a 32x32 map); at the peak the net also regresses the object's width and height (in
output cells) and the sub-cell offset of its exact centre. The encoder goes down to stride
16 (so a cell sees a whole digit) and a small decoder comes back up to stride 4 with skip
connections, as in CenterNet's DLA/ResNet variants.

Output: float32 [N, H/4, W/4, num_classes + 4] = sigmoid heat maps (num_classes), then
width, height (cells, >= 0) and offset x, y (cells, 0-1). Decoding (peaks, boxes, NMS)
lives in :mod:`cvlib.detect`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import keras
from keras import layers

from cvlib.nets.unet import conv_block, encoder
from cvlib.validation import check_range

STRIDE = 4


@dataclass(frozen=True)
class CenterNetSpec:
    """Knobs of the detector.

    Attributes:
        filters: encoder channels per level (full resolution first; 5 levels = stride 16).
        head: channels of the heads' hidden 3x3 conv.
        num_classes: object classes (10 digits).
        input_shape: (H, W, 3), multiples of 16, or None each.
    """

    filters: tuple[int, ...] = (16, 32, 48, 64, 96)
    head: int = 48
    num_classes: int = 10
    input_shape: tuple = (128, 128, 3)

    def __post_init__(self):
        if len(self.filters) < 3:
            raise ValueError(f"filters must name at least 3 levels; got {self.filters!r}.")
        for f in self.filters:
            check_range("filters", f, 1, 1024, integer=True)
        check_range("head", self.head, 1, 1024, integer=True)
        check_range("num_classes", self.num_classes, 1, 1000, integer=True)

    def to_dict(self) -> dict:
        return asdict(self)


def build_centernet(spec: CenterNetSpec | None = None, name: str = "centernet",
                    dtype=None) -> keras.Model:
    """Build the (uncompiled) centre-point detector described by ``spec``.

    Returns:
        keras.Model: uint8-range [N, H, W, 3] 0-255 -> float32 [N, H/4, W/4, C + 4].
    """
    spec = spec or CenterNetSpec()
    x_in = keras.Input(spec.input_shape, name="image")
    skips = encoder(x_in, spec.filters, dtype)
    x = skips[-1]
    out_level = int(math.log2(STRIDE))      # level 2 = stride 4
    for i in range(len(spec.filters) - 2, out_level - 1, -1):
        x = layers.UpSampling2D(2, name=f"dec{i}_up", dtype=dtype)(x)
        x = layers.Concatenate(name=f"dec{i}_cat", dtype=dtype)([x, skips[i]])
        x = conv_block(x, spec.filters[i], f"dec{i}", dtype=dtype)

    def head(n, act, bias, label):
        h = layers.Conv2D(spec.head, 3, padding="same", activation="relu",
                          name=f"{label}_hidden", dtype=dtype)(x)
        return layers.Conv2D(n, 1, activation=act, name=label, dtype="float32",
                             bias_initializer=keras.initializers.Constant(bias))(h)

    # Heat-map bias -2.19 = sigmoid^-1(0.1): the paper's start for a focal loss.
    heat = head(spec.num_classes, "sigmoid", -2.19, "heatmap")
    size = head(2, "relu", 2.0, "size")
    offset = head(2, "sigmoid", 0.0, "offset")
    out = layers.Concatenate(name="outputs", dtype="float32")([heat, size, offset])
    return keras.Model(x_in, out, name=name)
