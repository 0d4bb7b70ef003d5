"""A compact residual CNN for 32x32 colour photos (CIFAR-10).

Stem conv -> three stages of one residual block each (widths w1, w2, w3; the last two
halve the resolution) -> global average pooling -> dense softmax. With widths
(32, 64, 128) it has about 310k parameters (1.3 MB of float32 weights). Like the MNIST CNN,
it takes uint8-range images [N, 32, 32, 3] in 0-255 and rescales them itself.
"""

from __future__ import annotations

import keras
from keras import layers, regularizers


def _block(x, filters: int, stride: int, reg, name: str):
    shortcut = x
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      kernel_regularizer=reg, name=f"{name}_conv1")(x)
    x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.ReLU(name=f"{name}_relu1")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_regularizer=reg,
                      name=f"{name}_conv2")(x)
    x = layers.BatchNormalization(name=f"{name}_bn2")(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 kernel_regularizer=reg, name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    x = layers.Add(name=f"{name}_add")([x, shortcut])
    return layers.ReLU(name=f"{name}_out")(x)


def build_resnet(widths=(32, 64, 128), num_classes: int = 10, input_shape=(32, 32, 3),
                 dropout: float = 0.0, l2: float = 0.0, name: str = "resnet") -> keras.Model:
    """Build the (uncompiled) compact residual CNN."""
    reg = regularizers.L2(l2) if l2 else None
    x_in = keras.Input(input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(x_in)
    x = layers.Conv2D(widths[0], 3, padding="same", use_bias=False, kernel_regularizer=reg,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for i, (w, stride) in enumerate(zip(widths, (1, 2, 2))):
        x = _block(x, w, stride, reg, name=f"stage{i + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    out = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(x_in, out, name=name)
