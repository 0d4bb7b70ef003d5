"""cvlib.learn against TensorFlow on the same numbers, and the playground's promises."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from cvlib import learn
from cvlib.learn_remedies import REMEDIES, load_remedies, remedy_config, train_command
from tests.conftest import ROOT

TOL = 1e-6

# (sizes, hidden activation, output, loss, l1, l2, dropout rate)
NETS = [
    ([2, 3, 1], "sigmoid", "sigmoid", "mse", 0.0, 0.0, 0.0),
    ([2, 3, 1], "tanh", "linear", "mse", 0.0, 0.0, 0.0),
    ([3, 5, 4, 2], "tanh", "sigmoid", "bce", 0.01, 0.02, 0.0),
    ([4, 6, 1], "relu", "sigmoid", "bce", 0.0, 0.001, 0.3),
    ([2, 8, 8, 8, 1], "sigmoid", "linear", "mse", 0.001, 0.0, 0.5),
    ([5, 1], "linear", "sigmoid", "bce", 0.0, 0.0, 0.0),
]


def _random_case(i, sizes, activation, output, loss, l1, l2, rate):
    rng = np.random.default_rng(100 + i)
    net = learn.MLP.init(sizes, activation=activation, output=output, loss=loss, l1=l1, l2=l2,
                         seed=i)
    for b in net.biases:                       # non-zero biases exercise db too
        b[:] = rng.normal(0, 0.3, b.shape)
    x = rng.normal(0, 1, (7, sizes[0]))
    if loss == "bce":
        y = (rng.random((7, sizes[-1])) > 0.5).astype(float)
    else:
        y = rng.normal(0, 1, (7, sizes[-1]))
    masks = net.dropout_masks(len(x), rate, rng)
    return net, x, y, masks


def test_import_is_cheap():
    code = ("import sys, cvlib.learn, cvlib.learn_remedies; "
            "bad = [m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("i,case", list(enumerate(NETS)))
def test_backprop_equals_gradient_tape_and_finite_differences(i, case):
    net, x, y, masks = _random_case(i, *case)
    check = learn.gradient_check(net, x, y, masks, with_tf=True)
    assert [g.shape for g in check.backprop] == [p.shape for p in net.params]
    assert check.max_tf_diff < TOL, check.max_tf_diff
    assert check.max_fd_diff < TOL, check.max_fd_diff
    # and the gradients are not trivially zero
    assert max(float(np.abs(g).max()) for g in check.backprop) > 1e-3


def test_loss_value_matches_tensorflow():
    import tensorflow as tf
    net, x, y, _ = _random_case(2, *NETS[2])
    logits = x @ net.weights[0] + net.biases[0]
    h = np.tanh(logits)
    h = np.tanh(h @ net.weights[1] + net.biases[1])
    z = h @ net.weights[2] + net.biases[2]
    ce = float(tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.constant(y), logits=tf.constant(z))))
    assert abs(net.loss_value(x, y) - net.penalty() - ce) < 1e-12


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
@pytest.mark.parametrize("hidden,output", [("sigmoid", "sigmoid"), ("tanh", "linear"),
                                           ("relu", "sigmoid")])
def test_stepper_trace_is_the_chain_rule(seed, hidden, output):
    net = learn.TinyNet(hidden=hidden, output=output) if seed is None else \
        learn.TinyNet.random(seed, hidden=hidden, output=output)
    tr = learn.trace(net)
    x, y = np.array([net.x]), np.array([[net.y]])
    loss, grads = net.mlp().gradients(x, y)
    assert abs(loss - tr.loss) < 1e-15
    for a, b in zip(tr.grads(), grads):
        np.testing.assert_allclose(a.reshape(b.shape), b, atol=1e-15)
    # each product is the product of its factors
    assert tr.delta2 == pytest.approx(tr.dL_dyhat * tr.dyhat_dz2)
    np.testing.assert_allclose(tr.delta1, tr.dL_da1 * tr.da1_dz1)
    tf_grads = learn.tf_gradients(net.mlp(), x, y)
    assert max(float(np.abs(a.reshape(b.shape) - b).max())
               for a, b in zip(tr.grads(), tf_grads)) < TOL
    # the update is w - lr * grad
    np.testing.assert_allclose(np.asarray(tr.new_net.w1),
                               np.asarray(net.w1) - net.learning_rate * tr.dw1)


def test_default_stepper_update_lowers_the_loss():
    tr = learn.trace(learn.TinyNet())
    assert tr.new_loss < tr.loss


def test_tiny_net_refuses_bad_numbers():
    with pytest.raises(ValueError):
        learn.TinyNet(x=(1.0, float("nan")))
    with pytest.raises(ValueError):
        learn.TinyNet(hidden="softmax")
    with pytest.raises(ValueError):
        learn.TinyNet(w1=((1, 2), (3, 4)))


# --- optimizers against Keras ------------------------------------------------------------

def _keras_optimizer(name, lr):
    import keras
    return {"sgd": lambda: keras.optimizers.SGD(lr),
            "momentum": lambda: keras.optimizers.SGD(lr, momentum=0.9),
            "rmsprop": lambda: keras.optimizers.RMSprop(lr),
            "adam": lambda: keras.optimizers.Adam(lr)}[name]()


@pytest.mark.parametrize("name", list(learn.OPTIMIZERS))
@pytest.mark.parametrize("lr", [0.01, 0.5])
def test_optimizer_steps_equal_keras(name, lr):
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(7)
    start = [rng.normal(size=(3, 2)), rng.normal(size=(2,))]
    grads_seq = [[rng.normal(scale=s, size=p.shape) for p in start]
                 for s in np.geomspace(1e-3, 10, 25)]
    ours = [p.copy() for p in start]
    opt = learn.make_optimizer(name, lr)
    theirs = [keras.Variable(p.copy(), dtype="float64") for p in start]
    kopt = _keras_optimizer(name, lr)
    for step, grads in enumerate(grads_seq):
        opt.step(ours, grads)
        kopt.apply_gradients(zip([tf.constant(g) for g in grads], theirs))
        diff = max(float(np.abs(a - np.asarray(b)).max()) for a, b in zip(ours, theirs))
        assert diff < TOL, (name, step, diff)
    assert opt.iterations == len(grads_seq)
    assert max(float(np.abs(a - b).max()) for a, b in zip(ours, start)) > 1e-3  # it moved


# --- playground ---------------------------------------------------------------------------

@pytest.mark.parametrize("dataset", ["xor", "circles"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_playground_fits_xor_and_circles_within_default_steps(dataset, seed):
    pg = learn.Playground(learn.PlaygroundConfig(dataset=dataset, seed=seed))
    pg.step(learn.DEFAULT_STEPS)
    assert pg.steps == learn.DEFAULT_STEPS
    assert pg.history["test_acc"][-1] > 0.95, pg.latest()


def test_playground_shows_overfitting_and_l2_helps():
    base = dict(dataset="circles", n_points=60, noise=0.3, hidden=(16, 16, 16))
    plain = learn.Playground(learn.PlaygroundConfig(**base))
    plain.step(1500, record_every=50)
    h = plain.history
    assert h["train_loss"][-1] < 0.05
    assert h["test_loss"][-1] > 1.5 * min(h["test_loss"])      # the test loss turned up
    reg = learn.Playground(learn.PlaygroundConfig(**base, l2=3e-3))
    reg.step(1500, record_every=50)
    assert reg.history["test_loss"][-1] < h["test_loss"][-1]


def test_playground_reconfigure_keeps_or_resets():
    pg = learn.Playground()
    pg.step(20)
    w = pg.net.weights[0].copy()
    c = pg.config
    assert not pg.reconfigure(learn.PlaygroundConfig(**{**c.__dict__, "learning_rate": 0.1}))
    assert pg.steps == 20 and np.array_equal(pg.net.weights[0], w)
    assert pg.optimizer.learning_rate == 0.1
    assert not pg.reconfigure(learn.PlaygroundConfig(**{**c.__dict__, "optimizer": "sgd"}))
    assert isinstance(pg.optimizer, learn.SGD)
    assert pg.reconfigure(learn.PlaygroundConfig(**{**c.__dict__, "dataset": "xor"}))
    assert pg.steps == 0 and len(pg.history["step"]) == 1


def test_playground_dropout_and_divergence_do_not_raise():
    pg = learn.Playground(learn.PlaygroundConfig(dropout=0.5, hidden=(8, 8)))
    pg.step(50)
    assert np.isfinite(pg.latest()["train_loss"])
    wild = learn.Playground(learn.PlaygroundConfig(learning_rate=100.0, optimizer="sgd",
                                                   activation="relu", hidden=(16, 16, 16)))
    wild.step(200)
    assert wild.diverged or all(np.isfinite(v) for v in wild.latest().values())
    xs, ys, probs = wild.boundary(20)
    assert probs.shape == (20, 20)


@pytest.mark.parametrize("bad", [dict(dataset="rings"), dict(noise=-1), dict(hidden=(0,)),
                                 dict(learning_rate=0), dict(dropout=0.95), dict(batch_size=0)])
def test_playground_config_refuses_bad_values(bad):
    with pytest.raises((ValueError, TypeError)):
        learn.PlaygroundConfig(**bad)


@pytest.mark.parametrize("name", learn.DATASETS)
def test_datasets(name):
    x, y = learn.make_dataset(name, 101, 0.1, seed=3)
    assert x.shape == (101, 2) and x.dtype == np.float64
    assert set(np.unique(y)) == {0, 1}
    assert abs(int(y.sum()) - 50) <= 15
    assert np.abs(x).max() < 3
    xt, yt, xs, ys = learn.split(x, y, 0.3)
    assert len(xt) + len(xs) == 101 and len(xs) == 30


# --- losses, surfaces, RNN ----------------------------------------------------------------

def test_cross_entropy_pushes_harder_when_confidently_wrong():
    c = learn.loss_curves(1.0)
    low = c["p"] < 0.2
    assert np.all(np.abs(c["ce_dz"][low]) > np.abs(c["mse_dz"][low]))
    np.testing.assert_allclose(c["ce_dz"], c["ce_dp"] * c["p"] * (1 - c["p"]))
    at = learn.loss_at(0.05)
    assert at["ce_dz"] == pytest.approx(-0.95) and abs(at["mse_dz"]) < 0.1
    mse, ce = learn.learn_from_mistake("mse", 0.01), learn.learn_from_mistake("ce", 0.01)
    assert ce[10] > 0.8 > 0.1 > mse[10]


@pytest.mark.parametrize("name", list(learn.SURFACES))
def test_surface_gradients(name):
    s = learn.get_surface(name)
    rng = np.random.default_rng(0)
    for _ in range(5):
        w = rng.uniform([s.xlim[0], s.ylim[0]], [s.xlim[1], s.ylim[1]])
        eps = 1e-6
        fd = [(s.f(w[0] + eps, w[1]) - s.f(w[0] - eps, w[1])) / (2 * eps),
              (s.f(w[0], w[1] + eps) - s.f(w[0], w[1] - eps)) / (2 * eps)]
        np.testing.assert_allclose(s.grad(*w), fd, rtol=1e-5, atol=1e-4)
    for m in s.minima:
        assert s.f(*m) == pytest.approx(s.f_min)


def test_too_small_crawls_too_large_diverges():
    assert learn.descend("bowl", "sgd", 1e-4, 100).status == "slow"
    assert learn.descend("bowl", "sgd", 0.3, 100).status == "converged"
    assert learn.descend("bowl", "sgd", 3.0, 100).status == "diverged"
    sweep = learn.lr_sweep("valley", rates=[1e-4, 0.1, 10.0], steps=100)
    for name in learn.OPTIMIZERS:
        assert sweep[name][0] > 0.1                   # crawls
    assert np.isinf(sweep["sgd"][-1])                 # diverges


def test_rnn_unroll():
    out = learn.rnn_unroll([1.0, 0.0, 0.0], w_x=1.5, w_h=0.8, b=0.1)
    h1 = np.tanh(1.5 + 0.1)
    assert out["h"][1] == pytest.approx(h1)
    assert out["h"][2] == pytest.approx(np.tanh(0.8 * h1 + 0.1))
    assert len(out["h"]) == 4 and len(out["z"]) == 3
    with pytest.raises(ValueError):
        learn.rnn_unroll([], 1, 1, 0)


# --- the remedies file --------------------------------------------------------------------

def test_remedy_configs_and_commands(monkeypatch):
    import cvlib.train
    from cvlib.__main__ import main

    class Captured(Exception):
        pass

    seen = {}

    def fake_fit(config, **kw):
        seen["config"] = config
        raise Captured

    monkeypatch.setattr(cvlib.train, "fit", fake_fit)
    for name in REMEDIES:
        config = remedy_config(name)
        argv = train_command(config).split()[4:]
        with pytest.raises(Captured):
            main(["train", *argv])
        assert seen["config"] == config, name
    with pytest.raises(ValueError):
        remedy_config("magic")


def test_shipped_remedies_file():
    data = load_remedies(ROOT / "models" / "remedies.json")
    assert data is not None, "run: python -m cvlib.learn_remedies"
    assert set(data["runs"]) == set(REMEDIES)
    for name, run in data["runs"].items():
        h = run["history"]
        assert len(h["loss"]) == len(h["val_loss"]) == run["epochs_run"] >= 3
        assert run["command"] == train_command(remedy_config(name))
        assert 0.5 < run["test_accuracy"] <= 1
    none = data["runs"]["none"]["history"]
    assert none["accuracy"][-1] - none["val_accuracy"][-1] > 0.03   # it overfits


def test_load_remedies_tolerates_a_broken_file(tmp_path):
    assert load_remedies(tmp_path / "missing.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert load_remedies(bad) is None
    bad.write_text(json.dumps({"runs": []}))
    assert load_remedies(bad) is None
