"""The CNN's layer table, computed without Keras, equals the built model's."""

from __future__ import annotations

import pytest

from cvlib.nets.cnn import CNNSpec, build_cnn, summary


@pytest.mark.parametrize("spec", [
    CNNSpec(),
    CNNSpec(filters=(8, 16, 32), dense=32, dropout=0.3, batchnorm=True),
    CNNSpec(filters=(32, 64, 128), dense=128, input_shape=(32, 32, 3), num_classes=10,
            batchnorm=True),
])
def test_summary_matches_the_built_model(spec):
    model = build_cnn(spec)
    rows = [(layer.name, type(layer).__name__, str(tuple(layer.output.shape[1:])),
             int(layer.count_params())) for layer in model.layers[1:]]
    assert summary(spec) == (rows, int(model.count_params()))


def test_the_worked_example_has_93322_parameters():
    assert summary()[1] == 93_322
