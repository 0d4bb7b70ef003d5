"""The worked-example CNN and its knobs.

The seed architecture (all defaults) is exactly the one of the subject's worked example:

    Conv2D(32,3x3,relu) -> MaxPool(2) -> Conv2D(64,3x3,relu) -> MaxPool(2)
    -> Conv2D(64,3x3,relu) -> Flatten -> Dense(64,relu) -> Dense(10,softmax)

with 93,322 parameters on 28x28x1 input. A ``Rescaling(1/255)`` layer (no parameters) is
its first layer, so the model takes uint8-range images [N, 28, 28, 1] in 0-255 directly,
and a saved model needs no outside preprocessing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cvlib.validation import check_range


@dataclass(frozen=True)
class CNNSpec:
    """Knobs of the CNN. The defaults give the seed architecture.

    Attributes:
        filters: number of filters of the three conv layers.
        dense: width of the hidden dense layer.
        dropout: dropout rate before the last layer (0 = none).
        batchnorm: add BatchNormalization after each conv layer.
        l1, l2: weight regularisation of conv and dense kernels (0 = none).
        input_shape: H, W, C of the input.
        num_classes: number of output classes.
    """

    filters: tuple[int, int, int] = (32, 64, 64)
    dense: int = 64
    dropout: float = 0.0
    batchnorm: bool = False
    l1: float = 0.0
    l2: float = 0.0
    input_shape: tuple[int, int, int] = (28, 28, 1)
    num_classes: int = 10

    def __post_init__(self):
        if len(self.filters) != 3:
            raise ValueError(f"filters must name 3 conv layers; got {self.filters!r}.")
        for f in self.filters:
            check_range("filters", f, 1, 512, integer=True)
        check_range("dense", self.dense, 1, 4096, integer=True)
        check_range("dropout", self.dropout, 0.0, 1.0, high_inclusive=False,
                    hint="Try 0.2-0.5.")
        check_range("l1", self.l1, 0.0, 1.0)
        check_range("l2", self.l2, 0.0, 1.0)
        check_range("num_classes", self.num_classes, 2, 10_000, integer=True)
        h, w, _ = self.input_shape
        if min(h, w) < 28:
            raise ValueError(f"input_shape must be at least 28x28; got {self.input_shape!r}.")

    def to_dict(self) -> dict:
        return asdict(self)


def build_cnn(spec: CNNSpec | None = None, name: str = "cnn"):
    """Build the (uncompiled) CNN described by ``spec``.

    Example:
        >>> build_cnn().count_params()
        93322
    """
    import keras
    from keras import layers, regularizers

    spec = spec or CNNSpec()
    reg = None
    if spec.l1 or spec.l2:
        reg = regularizers.L1L2(l1=spec.l1, l2=spec.l2)

    x_in = keras.Input(spec.input_shape, name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(x_in)
    for i, f in enumerate(spec.filters):
        x = layers.Conv2D(f, 3, activation=None if spec.batchnorm else "relu",
                          kernel_regularizer=reg, name=f"conv{i + 1}")(x)
        if spec.batchnorm:
            x = layers.BatchNormalization(name=f"bn{i + 1}")(x)
            x = layers.Activation("relu", name=f"relu{i + 1}")(x)
        if i < 2:
            x = layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(spec.dense, activation="relu", kernel_regularizer=reg, name="dense")(x)
    if spec.dropout:
        x = layers.Dropout(spec.dropout, name="dropout")(x)
    out = layers.Dense(spec.num_classes, activation="softmax", name="probs")(x)
    return keras.Model(x_in, out, name=name)


def summary(spec: CNNSpec | None = None) -> tuple[list[tuple[str, str, str, int]], int]:
    """The layer table of :func:`build_cnn` (spec): rows of (name, type, output shape,
    parameters) without the input layer, and the total number of parameters.

    Computed from the architecture's arithmetic (3x3 "valid" convolutions, 2x2 pooling,
    batch norm's 4 weights per channel), without building the model, so that the Train
    page draws its layer table before TensorFlow has loaded;
    ``tests/unit/test_nets.py`` checks it against the built Keras model.

    Example:
        >>> rows, total = summary()
        >>> total, rows[0][:2], rows[1]
        (93322, ('rescale', 'Rescaling'), ('conv1', 'Conv2D', '(26, 26, 32)', 320))
    """
    spec = spec or CNNSpec()
    h, w, c = spec.input_shape
    rows = [("rescale", "Rescaling", str((h, w, c)), 0)]
    for i, f in enumerate(spec.filters):
        h, w = h - 2, w - 2
        rows.append((f"conv{i + 1}", "Conv2D", str((h, w, f)), 9 * c * f + f))
        if spec.batchnorm:
            rows.append((f"bn{i + 1}", "BatchNormalization", str((h, w, f)), 4 * f))
            rows.append((f"relu{i + 1}", "Activation", str((h, w, f)), 0))
        c = f
        if i < 2:
            h, w = h // 2, w // 2
            rows.append((f"pool{i + 1}", "MaxPooling2D", str((h, w, c)), 0))
    flat = h * w * c
    rows.append(("flatten", "Flatten", str((flat,)), 0))
    rows.append(("dense", "Dense", str((spec.dense,)), flat * spec.dense + spec.dense))
    if spec.dropout:
        rows.append(("dropout", "Dropout", str((spec.dense,)), 0))
    k = spec.num_classes
    rows.append(("probs", "Dense", str((k,)), spec.dense * k + k))
    return rows, sum(r[3] for r in rows)
