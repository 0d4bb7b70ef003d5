"""TrainConfig refuses impossible settings with a ValueError/TypeError that says why."""

from __future__ import annotations

import pytest

from cvlib.train import TrainConfig


@pytest.mark.parametrize("kwargs,match", [
    ({"dataset": "cifar100"}, "dataset must be one of"),
    ({"epochs": 0}, "epochs must be in"),
    ({"batch_size": 0}, "batch_size must be in"),
    ({"learning_rate": 0.0}, "learning_rate must be in"),
    ({"learning_rate": float("nan")}, "finite"),
    ({"learning_rate": 5.0}, "learning_rate must be in"),
    ({"optimizer": "adagrad"}, "optimizer must be one of"),
    ({"dropout": 0.95}, "dropout must be in"),
    ({"validation_split": 0.9}, "validation_split must be in"),
    ({"train_size": 10}, "train_size must be in"),
    ({"filters": (32, 64)}, "filters must give 3"),
    ({"filters": (32, 0, 64)}, "filters must be in"),
    ({"l2": -1e-4}, "l2 must be in"),
    ({"lr_schedule": "step"}, "lr_schedule must be one of"),
    ({"label_smoothing": 0.6}, "label_smoothing must be in"),
    ({"precision": "float16"}, "precision must be one of"),
    ({"precision": "mixed_bfloat16"}, "needs arch='resnet9'"),
    ({"arch": "vgg"}, "arch must be one of"),
    ({"early_stopping": True, "validation_split": 0.0}, "early_stopping needs a validation"),
    ({"train_size": 500, "validation_split": 0.2, "batch_size": 512}, "batch_size must be at most"),
])
def test_invalid_values_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("kwargs", [{"epochs": 2.5}, {"batch_size": "64"}, {"dense": True}])
def test_wrong_types_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        TrainConfig(**kwargs)


def test_defaults_are_the_seed_settings_and_round_trip():
    c = TrainConfig()
    assert (c.dataset, c.epochs, c.batch_size, c.learning_rate, c.optimizer) == (
        "mnist", 5, 64, 1e-3, "adam")
    assert c.filters == (32, 64, 64) and c.dense == 64
    assert TrainConfig.from_dict(c.to_dict()) == c
    # unknown keys (from a newer version's run) are ignored, not fatal
    assert TrainConfig.from_dict({**c.to_dict(), "future_knob": 1}) == c


def test_message_says_what_to_try():
    with pytest.raises(ValueError) as err:
        TrainConfig(learning_rate=10.0)
    assert "got 10.0" in str(err.value) and "Try" in str(err.value)
