"""Architectures as code. A shipped model is one of these builders + a weights file.

The functions here build a model from the plain ``config`` dict that
``models/manifest.json`` (or a Train-page run) records, so the registry
(:mod:`cvlib.zoo`) needs nothing but this package to rebuild any shipped architecture.
Importing ``cvlib.nets`` imports no Keras; each builder imports its family's module.
"""

from __future__ import annotations

from dataclasses import fields


def build_classifier(config: dict, input_shape=None, num_classes: int = 10,
                     name: str | None = None, dtype=None):
    """The classifier that a training ``config`` dict describes (random weights).

    Args:
        config: ``TrainConfig.to_dict()``-style dict: ``arch`` ("cnn", "resnet",
            "resnet9"; default "cnn"), ``filters``, ``dense``, ``dropout``,
            ``batchnorm``, ``l1``, ``l2``, ``dataset`` ... (unknown keys are ignored).
        input_shape: (H, W, C) of the uint8-range input; default from the data set
            (32x32x3 for cifar10, else 28x28x1).
        num_classes: size of the softmax output.
        name: the model's name (default "<dataset>_<arch>").
        dtype: a Keras dtype policy name for mixed precision (resnet9 only), or None.

    Returns:
        An uncompiled ``keras.Model`` taking uint8-range [N, H, W, C] 0-255 and giving
        float32 probabilities [N, num_classes].
    """
    arch = config.get("arch", "cnn")
    dataset = config.get("dataset", "mnist")
    filters = tuple(config.get("filters", (32, 64, 64)))
    dropout, l2 = float(config.get("dropout", 0.0)), float(config.get("l2", 0.0))
    if arch in ("resnet9", "resnet"):
        from cvlib.nets import resnet
        build = resnet.build_resnet9 if arch == "resnet9" else resnet.build_resnet
        kwargs = {"dtype": dtype} if arch == "resnet9" else {}
        return build(filters, num_classes, tuple(input_shape or (32, 32, 3)), dropout=dropout,
                     l2=l2, name=name or f"{dataset}_{arch}", **kwargs)
    from cvlib.nets.cnn import CNNSpec, build_cnn
    shape = tuple(input_shape or ((32, 32, 3) if dataset == "cifar10" else (28, 28, 1)))
    known = {f.name for f in fields(CNNSpec)} - {"input_shape", "num_classes", "filters"}
    spec = CNNSpec(filters=filters, input_shape=shape, num_classes=num_classes,
                   **{k: v for k, v in config.items() if k in known})
    return build_cnn(spec, name=name or f"{dataset}_cnn")


def build_cgan_generator(config: dict, num_classes: int = 10, name: str | None = None):
    """The conditional DCGAN generator that a GAN ``config`` dict describes
    (``latent_dim``, ``width``, ``dataset``); see :func:`cvlib.nets.gan.build_generator`."""
    from cvlib.nets.gan import build_generator
    return build_generator(int(config.get("latent_dim", 64)), num_classes,
                           int(config.get("width", 16)),
                           name=name or f"cgan_{config.get('dataset', 'mnist')}_generator")
