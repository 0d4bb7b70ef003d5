"""Residual CNNs for 32x32 colour photos (CIFAR-10).

``build_resnet``: stem conv -> three stages of one residual block each (widths w1, w2, w3;
the last two halve the resolution) -> global average pooling -> dense softmax. With widths
(32, 64, 128) it has about 310k parameters; trained 30 epochs with Adam (55 min here) it
reached 83.6% and underfitted.

``build_resnet9``: the DAWNBench ResNet-9 at half width, the shipped ``cifar_cnn`` (widths
64, 128, 256: 1.65M parameters, 6.6 MB). It pools right after the convs that widen, so
most convs run at 16x16 and 4x4 and it learns more per CPU second.

Like the MNIST CNN, both take uint8-range images [N, 32, 32, 3] in 0-255 and rescale them
themselves.
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


def _conv_bn(x, filters: int, reg, name: str, pool: bool = False, dtype=None):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_regularizer=reg,
                      name=f"{name}_conv", dtype=dtype)(x)
    if pool:
        x = layers.MaxPooling2D(2, name=f"{name}_pool", dtype=dtype)(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn", dtype=dtype)(x)
    return layers.ReLU(name=f"{name}_relu", dtype=dtype)(x)


def build_resnet9(widths=(64, 128, 256), num_classes: int = 10, input_shape=(32, 32, 3),
                  dropout: float = 0.0, l2: float = 0.0, name: str = "resnet9",
                  dtype: str | None = None) -> keras.Model:
    """Build the (uncompiled) ResNet-9 of the DAWNBench CIFAR-10 entries, narrowed.

    prep conv (w1/2) -> [conv w1, max-pool, residual of two convs] -> [conv w2, max-pool]
    -> [conv w3, max-pool, residual of two convs] -> global max-pool -> x 1/8 -> dense softmax.
    Each conv is conv -> batch norm -> ReLU; pooling right after a conv keeps the
    expensive convs at low resolution, which is what makes it fast per accuracy point.

    ``dtype="mixed_bfloat16"`` computes the body in bfloat16 with float32 weights (1.4x
    faster training on a CPU with AVX512-BF16, bench/RESULTS.md); the head stays float32.
    The weights are the same either way, so they load into the float32 net.
    """
    reg = regularizers.L2(l2) if l2 else None
    w1, w2, w3 = widths
    x_in = keras.Input(input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale", dtype=dtype)(x_in)
    x = _conv_bn(x, max(8, w1 // 2), reg, "prep", dtype=dtype)
    x = _conv_bn(x, w1, reg, "layer1", pool=True, dtype=dtype)
    r = _conv_bn(_conv_bn(x, w1, reg, "res1a", dtype=dtype), w1, reg, "res1b", dtype=dtype)
    x = layers.Add(name="res1_add", dtype=dtype)([x, r])
    x = _conv_bn(x, w2, reg, "layer2", pool=True, dtype=dtype)
    x = _conv_bn(x, w3, reg, "layer3", pool=True, dtype=dtype)
    r = _conv_bn(_conv_bn(x, w3, reg, "res3a", dtype=dtype), w3, reg, "res3b", dtype=dtype)
    x = layers.Add(name="res3_add", dtype=dtype)([x, r])
    x = layers.GlobalMaxPooling2D(name="gmp", dtype=dtype)(x)
    # Scaling the head's input by 1/8 keeps the first logits small (as the original
    # multiplies its logits by 0.125): large-rate SGD then starts without blowing up.
    x = layers.Rescaling(0.125, name="head_scale", dtype="float32")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    out = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(x_in, out, name=name)
