"""The CIFAR-10 recipe's parts: ResNet-9, mixed precision, label smoothing, warm-up."""

from __future__ import annotations

import numpy as np
import pytest

from cvlib.train import WARMUP_FRACTION, TrainConfig, _loss, _optimizer, build_model
from tests.conftest import skip_or_fail


def _cifar_config(**kw):
    return TrainConfig(dataset="cifar10", arch="resnet9", filters=(8, 16, 32), **kw)


def test_resnet9_mixed_precision_weights_load_into_the_float32_net():
    import keras
    keras.utils.set_random_seed(0)
    config = _cifar_config(precision="mixed_bfloat16")
    mixed = build_model(config, for_training=True)
    plain = build_model(config)                       # what the zoo and pages build
    assert mixed.get_layer("layer1_conv").compute_dtype == "bfloat16"
    assert mixed.get_layer("layer1_conv").variable_dtype == "float32"
    assert mixed.get_layer("probs").compute_dtype == "float32"
    assert all(lay.compute_dtype == "float32" for lay in plain.layers)
    assert mixed.count_params() == plain.count_params()
    plain.set_weights(mixed.get_weights())
    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("uint8")
    p_mixed = np.asarray(mixed(x, training=False))
    p_plain = np.asarray(plain(x, training=False))
    assert p_plain.dtype == np.float32 and np.allclose(p_plain.sum(1), 1, atol=1e-5)
    # bfloat16 keeps ~3 significant digits: the two agree closely, not exactly
    assert np.abs(p_mixed - p_plain).max() < 0.02


def test_resnet9_shape_and_size_of_the_shipped_widths():
    model = build_model(TrainConfig(dataset="cifar10", arch="resnet9", filters=(64, 128, 256)))
    assert model.output_shape == (None, 10)
    assert model.count_params() == 1_648_362          # 6.6 MB of float32 weights


def test_label_smoothing_loss_is_the_smoothed_cross_entropy():
    import keras
    y_true = np.array([2, 0])
    y_pred = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], dtype="float32")
    s = 0.3
    loss = _loss(TrainConfig(label_smoothing=s), num_classes=3)
    got = np.asarray(loss(keras.ops.convert_to_tensor(y_true),
                          keras.ops.convert_to_tensor(y_pred)))
    target = np.full((2, 3), s / 3)
    target[[0, 1], y_true] += 1 - s
    want = -(target * np.log(y_pred)).sum(1)
    assert np.allclose(got, want, atol=1e-5)
    assert _loss(TrainConfig(), 10) == "sparse_categorical_crossentropy"


def test_warmup_cosine_rises_to_the_rate_then_decays_to_zero():
    config = TrainConfig(optimizer="nesterov", lr_schedule="warmup_cosine", learning_rate=0.2)
    opt = _optimizer(config, total_steps=1000)
    assert opt.nesterov and opt.momentum == pytest.approx(0.9)
    sched = opt.learning_rate if callable(opt.learning_rate) else opt._learning_rate
    lr = [float(sched(step)) for step in (0, 75, int(1000 * WARMUP_FRACTION), 600, 1000)]
    assert lr[0] == pytest.approx(0.0, abs=1e-6)
    assert lr[1] == pytest.approx(0.1, rel=1e-3)     # halfway up the linear warm-up
    assert lr[2] == pytest.approx(0.2, rel=1e-3)     # the peak
    assert 0 < lr[3] < 0.2 and lr[4] == pytest.approx(0.0, abs=1e-6)


def test_fit_with_the_cifar_recipe_returns_a_float32_model():
    from cvlib.data import DatasetUnavailable
    from cvlib.train import fit
    config = _cifar_config(precision="mixed_bfloat16", train_size=400, epochs=2,
                           batch_size=64, optimizer="nesterov", learning_rate=0.05,
                           lr_schedule="warmup_cosine", label_smoothing=0.2, l2=2.5e-4,
                           augment=True)
    try:
        result = fit(config)
    except DatasetUnavailable as exc:
        skip_or_fail(f"CIFAR-10 is not available offline here: {exc}")
    assert all(lay.compute_dtype == "float32" for lay in result.model.layers)
    assert len(result.history["loss"]) == 2 and np.isfinite(result.history["loss"]).all()
    assert result.test_probs.shape == (10_000, 10)
    # the reported accuracy is the float32 model's, the one that is saved
    assert result.test_accuracy == pytest.approx(
        float((result.test_probs.argmax(1) == result.y_test).mean()))
