"""cvlib.generate: seeded sampling, latent tools, pictures, quality figures, the GAN job
(every batch reported, stop within a second, one heavy job), the CLI's --task gan, and the
shipped generators' class consistency (skipped with a reason when they are not shipped)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from cvlib import zoo
from cvlib.generate import (
    GanConfig,
    GanJob,
    class_morph,
    fit_gan,
    fixed_noise,
    frechet_distance,
    gan_hint,
    grid,
    interpolate,
    mean_pairwise_distance,
    move_along,
    principal_directions,
    sample,
    sample_labels,
    to_gif,
    to_png,
)
from cvlib.jobs import current_job, job_queue
from tests.conftest import ROOT

TINY = GanConfig(latent_dim=8, width=4, train_size=1000, batch_size=100, epochs=1)


@pytest.fixture(scope="module")
def gen():
    """A tiny random-weight generator: (z [N, 8], one-hot [N, 10]) -> [N, 28, 28, 1]."""
    from cvlib.generate import build_generator
    return build_generator(TINY)


def shipped(name):
    return pytest.mark.needs(
        zoo.status(name) == "shipped",
        reason=f"{name} is not shipped in models/: train it with `python -m cvlib train "
               f"--task gan ... --save {name}` (command in models/manifest.json / RESULTS.md)")


# --- config -----------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,word", [
    ({"dataset": "cifar10"}, "dataset"), ({"latent_dim": 1}, "latent_dim"),
    ({"g_learning_rate": 1.0}, "g_learning_rate"), ({"label_smoothing": 0.5}, "label_smoothing"),
    ({"train_size": 200, "batch_size": 256}, "batch_size"), ({"epochs": 0}, "epochs"),
])
def test_config_refuses_bad_values_with_a_message(kwargs, word):
    with pytest.raises((ValueError, TypeError)) as err:
        GanConfig(**kwargs)
    assert word in str(err.value)


def test_config_round_trips():
    assert GanConfig.from_dict({**TINY.to_dict(), "unknown": 1}) == TINY


# --- sampling ---------------------------------------------------------------------------

def test_same_seed_gives_the_same_images(gen):
    a = sample(gen, 16, None, seed=3)
    b = sample(gen, 16, None, seed=3)
    c = sample(gen, 16, None, seed=4)
    assert a.shape == (16, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(sample_labels(gen, 16, None, 3), sample_labels(gen, 16, None, 3))


def test_labels_and_bad_input(gen):
    assert sample(gen, 4, 7, seed=0).shape == (4, 28, 28)
    assert np.array_equal(sample_labels(gen, 3, [1, 2, 3], 0), [1, 2, 3])
    for bad in ({"labels": 10}, {"labels": [1, 2]}, {"n": 0}, {"temperature": 5.0},
                {"labels": [0.5] * 4}):
        kwargs = {"n": 4, **bad}
        with pytest.raises((ValueError, TypeError)):
            sample(gen, **kwargs)
    with pytest.raises(zoo.UnknownModel):
        sample("cgan_mnst", 2)
    with pytest.raises(ValueError, match="classify"):
        sample("mnist_cnn", 2)


def test_interpolate_and_morph_end_on_the_plain_samples(gen):
    frames = interpolate(gen, seed_a=1, seed_b=2, steps=5, label=4)
    assert frames.shape == (5, 28, 28)
    assert np.array_equal(frames[0], sample(gen, 1, 4, seed=1)[0])
    assert np.array_equal(frames[-1], sample(gen, 1, 4, seed=2)[0])
    morph = class_morph(gen, 1, 7, steps=6, seed=9)
    assert morph.shape == (6, 28, 28)
    assert np.array_equal(morph[0], sample(gen, 1, 1, seed=9)[0])
    assert np.array_equal(morph[-1], sample(gen, 1, 7, seed=9)[0])


def test_principal_directions_are_orthonormal_and_move_the_image(gen):
    d = principal_directions(gen, k=3, label=2, n=8)
    assert d.shape == (3, 8)
    np.testing.assert_allclose(d @ d.T, np.eye(3), atol=1e-4)
    still = move_along(gen, d, [0, 0, 0], label=2, seed=0)
    assert np.array_equal(still, sample(gen, 1, 2, seed=0)[0])
    moved = move_along(gen, d, [3, 0, 0], label=2, seed=0)
    assert moved.shape == (28, 28) and not np.array_equal(still, moved)


def test_pictures():
    import io

    from PIL import Image
    images = np.full((10, 28, 28), 255, np.uint8)
    g = grid(images, cols=4, pad=2)
    assert g.shape == (3 * 30 + 2, 4 * 30 + 2)
    assert grid(images, cols=4, scale=2).shape == (2 * g.shape[0], 2 * g.shape[1])
    assert Image.open(io.BytesIO(to_png(g))).size == (g.shape[1], g.shape[0])
    frames = np.stack([np.full((28, 28), v, np.uint8) for v in (0, 80, 160, 240)])
    gif = Image.open(io.BytesIO(to_gif(frames, scale=2)))
    assert gif.format == "GIF" and gif.n_frames == 6      # forward and back


def test_quality_figures():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, a + 2.0) == pytest.approx(16.0, rel=0.05)
    same = np.full((5, 28, 28), 200, np.uint8)
    assert mean_pairwise_distance(same) == pytest.approx(0.0, abs=1e-4)
    varied = rng.integers(0, 256, (5, 28, 28)).astype(np.uint8)
    assert mean_pairwise_distance(varied) > 5


def test_hint_reads_the_curves():
    assert gan_hint({}, []) is None
    wins = [(i, 6.0, 0.1, 0.95, 0.01) for i in range(20)]
    assert gan_hint({}, wins) == "d_wins"
    balanced = [(i, 1.0, 1.3, 0.6, 0.4) for i in range(20)]
    assert gan_hint({}, balanced) is None


# --- training ---------------------------------------------------------------------------

def test_fit_gan_reports_epoch_means_and_a_grid():
    r = fit_gan(TINY)
    assert set(r.history) >= {"g_loss", "d_loss", "d_real", "d_fake"}
    assert len(r.history["g_loss"]) == 1 and r.epochs_completed == 1
    assert len(r.grids) == 1 and r.grids[0].shape == (20, 28, 28)
    assert 0 <= r.history["d_real"][0] <= 1 and np.isfinite(r.history["g_loss"][0])
    assert sample(r.generator, 4, 1, seed=0).shape == (4, 28, 28)
    z, k = fixed_noise(8)
    assert z.shape == (20, 8) and list(k[:4]) == [0, 0, 1, 1]


def test_gan_job_reports_every_batch_and_stops_within_a_second():
    config = GanConfig(latent_dim=16, width=8, train_size=1000, batch_size=50, epochs=50)
    queue = job_queue()
    workers = queue.workers
    queue.set_workers(1)                        # as on a 2-core server
    job = GanJob(config).start()
    try:
        second = GanJob(config).start()         # waits its turn; leaving the queue is at once
        assert second.snapshot().status == "queued" and second.stop() is True
        assert second.snapshot().status == "cancelled" and second.result is None
        assert current_job() is job
        deadline = time.time() + 120
        while time.time() < deadline:
            s = job.snapshot()
            if s.epoch >= 2 and s.batch >= 3:
                break
            assert not s.done, (s.status, s.error)
            time.sleep(0.05)
        s = job.snapshot()
        assert s.steps_per_epoch == 20
        steps = [b[0] for b in s.batches]
        assert steps == list(range(1, len(steps) + 1))         # every batch, in order
        assert all(np.isfinite(b[1]) and np.isfinite(b[2]) for b in s.batches)
        assert len(s.grids) >= 1 and len(s.history["g_loss"]) >= 1
        assert job.stop() is True
        assert job.join(30)
    finally:
        job.stop()
        job.join(30)
        queue.set_workers(workers)
    s = job.snapshot()
    assert s.status == "stopped" and s.reason == "stopped by the user"
    r = job.result
    assert r.stopped and r.epochs_completed < 50
    assert sample(r.generator, 2, 0, seed=0).shape == (2, 28, 28)     # weights kept
    assert current_job() is None
    GanJob(GanConfig(latent_dim=8, width=4, train_size=200, batch_size=100)).start().stop()


def test_cli_trains_a_gan_and_saves_it_with_its_quality(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(zoo.models_dir(), models)
    env = {**__import__("os").environ, "CVLIB_MODELS_DIR": str(models)}
    out = subprocess.run([sys.executable, "-m", "cvlib", "train", "--task", "gan",
                          "--train-size", "500", "--epochs", "1", "--batch-size", "100",
                          "--latent-dim", "8", "--width", "4", "--verbose", "0",
                          # without ../shared only the offline subset exists: save anyway
                          # (into the temporary models folder)
                          "--save", "cgan_mnist", "--allow-subset"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["task"] == "gan" and "saved" in line
    m = json.loads((models / "manifest.json").read_text())["models"]["cgan_mnist"]
    assert m["task"] == "generate" and m["command"].startswith("python -m cvlib train --task gan")
    for key in ("class_consistency", "diversity_ratio", "frechet_distance"):
        assert key in m["metrics"], key
    assert zoo.sha256_file(models / m["file"]) == m["sha256"]
    monkeypatch.setenv("CVLIB_MODELS_DIR", str(models))
    model = zoo.build("cgan_mnist")                 # architecture from the manifest config
    assert model.count_params() == zoo.load("cgan_mnist").count_params()
    bad = subprocess.run([sys.executable, "-m", "cvlib", "train", "--task", "gan",
                          "--label-smoothing", "0.9"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("error: label_smoothing")


# --- the shipped generators ---------------------------------------------------------------

def test_registry_lists_the_generators():
    assert zoo.list_models("generate")[:2] == ["cgan_fashion", "cgan_mnist"]


@shipped("cgan_mnist")
def test_shipped_mnist_generator_is_seeded_and_honours_the_class():
    from cvlib.generate import class_consistency
    a = sample("cgan_mnist", 8, 3, seed=11)
    assert np.array_equal(a, sample("cgan_mnist", 8, 3, seed=11))
    # white ink on black, like MNIST: dark corners, some bright pixels
    assert a[:, :3, :3].mean() < 40 and a.max() > 200
    assert class_consistency("cgan_mnist", "mnist_cnn", per_class=20, seed=5) >= 0.9
    m = zoo.manifest_entry("cgan_mnist")
    assert (zoo.models_dir() / m["file"]).stat().st_size < 10 * 1024 * 1024
    assert m["command"].startswith("python -m cvlib train --task gan")


@shipped("cgan_fashion")
def test_shipped_fashion_generator_honours_the_class():
    from cvlib.generate import class_consistency
    assert class_consistency("cgan_fashion", "fashion_cnn", per_class=20, seed=5) >= 0.8
