"""Feature-space out-of-distribution scores (issue 11, case 9): the Mahalanobis distance
with class means and a tied covariance (Lee et al. 2018), the k-th nearest-neighbour
distance (Sun et al. 2022), their stored statistics, and the Classifier's fallback to the
energy score when the statistics are missing or damaged. Synthetic features with answers
that can be worked out by hand; a tiny random-weight ResNet-9 for the Classifier path."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cvlib import calibration as cal
from cvlib import zoo


def two_classes(n: int, seed: int, sd=(2.0, 1.0), centre=(10.0, 0.0)):
    """Two Gaussian classes in 2-D, centred at (0, 0) and ``centre``, standard deviations
    ``sd`` along x and y: (features float [2n, 2], labels int [2n])."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (2 * n, 2)) * np.asarray(sd)
    y = np.repeat([0, 1], n)
    x[y == 1] += np.asarray(centre)
    return x, y


def apart(n: int, seed: int):
    """Two unit-variance classes at (10, 0) and (0, 10): apart in direction as well, as
    the k-NN score on L2-normalised features needs."""
    x, y = two_classes(n, seed, sd=(1.0, 1.0), centre=(-10.0, 10.0))
    return x + np.array([10.0, 0.0]), y


def test_mahalanobis_uses_the_class_means_and_the_shared_covariance():
    x, y = two_classes(20000, seed=0)
    means, precision = cal.class_gaussians(x, y)
    np.testing.assert_allclose(means, [[0, 0], [10, 0]], atol=0.05)
    # covariance diag(4, 1): precision diag(1/4, 1) (Ledoit-Wolf shrinks a little)
    np.testing.assert_allclose(np.diag(precision), [0.25, 1.0], rtol=0.05)
    d = cal.mahalanobis_distance(np.array([[0, 0], [2, 0], [0, 2], [5, 0], [5, 30.0]]),
                                 means, precision)
    # 2 along x is one sd (distance 1), 2 along y is two sds (4); (5, 0) lies 2.5 sds from
    # both means (6.25); (5, 30) is far from both (6.25 + 900)
    np.testing.assert_allclose(d, [0, 1, 4, 6.25, 906.25], rtol=0.06, atol=0.01)
    assert d[4] > 100 * d[1]


def test_knn_distance_is_the_kth_chord_on_the_unit_sphere():
    bank = cal.l2_normalise(np.array([[1.0, 0], [0, 1], [-1, 0]]))
    q = np.array([[2.0, 0.0]])                        # normalised: (1, 0), on the bank
    got = [cal.knn_distance(q, bank, k)[0] for k in (1, 2, 3)]
    np.testing.assert_allclose(got, [0.0, np.sqrt(2.0), 2.0], atol=1e-6)


@pytest.mark.parametrize("kind", cal.FEATURE_SCORES)
def test_feature_stats_threshold_passes_99_percent_and_flags_far_points(kind, tmp_path):
    x, y = apart(2000, seed=1)
    xh, _ = apart(2000, seed=2)                       # held out, same distribution
    xn, _ = apart(5000, seed=3)                       # fresh in-distribution data
    layers = [x, np.c_[x, x[:, :1] * 0.5]]            # two "layers" of features
    held = [xh, np.c_[xh, xh[:, :1] * 0.5]]
    new = [xn, np.c_[xn, xn[:, :1] * 0.5]]
    stats = cal.FeatureStats.fit(kind, ["a", "b"], layers, y, held, bank_size=1000, k=5)
    threshold = cal.ood_threshold(stats.score(held))
    passed = np.mean(stats.score(new) >= threshold)
    assert 0.97 <= passed <= 1.0, passed             # 99% by construction, up to sampling
    far = np.array([[-10.0, -10.0], [-10.0, 3.0], [3.0, -10.0]])   # away in direction too
    far_f = [far, np.c_[far, far[:, :1] * 0.5]]
    assert np.all(stats.score(far_f) < threshold), stats.score(far_f)
    near = np.array([[10.0, 0.0], [0.0, 10.0]])      # the class means themselves
    assert np.all(stats.score([near, np.c_[near, near[:, :1] * 0.5]]) > threshold)
    stats.save(tmp_path / "s.ood.npz")
    back = cal.FeatureStats.load(tmp_path / "s.ood.npz")
    assert back.kind == kind and back.layers == ["a", "b"] and back.bank.dtype == np.float16
    np.testing.assert_allclose(back.score(far_f), stats.score(far_f), rtol=1e-3)


def test_feature_stats_reject_a_wrong_kind():
    x, y = two_classes(50, seed=0)
    with pytest.raises(ValueError, match="kind must be one of"):
        cal.FeatureStats.fit("cosine", ["a"], [x], y, [x])


@pytest.fixture(scope="module")
def tiny_photo_model():
    from cvlib.recognize import classifier_from_model
    from cvlib.train import TrainConfig, build_model
    model = build_model(TrainConfig(dataset="cifar10", arch="resnet9", filters=(8, 16, 32)))
    return classifier_from_model(model, "tiny_resnet9", dataset="cifar10")


def _calibration(clf, tmp_path, rng):
    """Fit feature statistics on random 32x32 images for the tiny model, write them like
    bench/calibrate.py does, and return its manifest-style calibration entry."""
    layers = ["res1_add", "layer2_relu", "head_scale"]
    x = rng.integers(0, 256, (200, 32, 32, 3)).astype(np.uint8)
    y = np.arange(200) % 10
    f = clf.features(x, layers)
    stats = cal.FeatureStats.fit("mahalanobis+knn", layers, f, y, f, bank_size=100, k=3)
    threshold = cal.ood_threshold(stats.score(f))
    path = tmp_path / "tiny.ood.npz"
    stats.save(path)
    return {"temperature": 1.5, "ood_score": "mahalanobis+knn", "ood_threshold": threshold,
            "energy_threshold": -123.0,
            "ood_stats": {"file": path.name, "sha256": zoo.sha256_file(path)}}


def test_classifier_scores_the_answering_view_with_its_feature_statistics(
        tiny_photo_model, tmp_path):
    from dataclasses import replace

    from cvlib.recognize import apply_calibration
    clf = replace(tiny_photo_model, _feat_fns={})
    entry = _calibration(clf, tmp_path, np.random.default_rng(0))
    apply_calibration(clf, entry, tmp_path)
    assert clf.ood_kind == "mahalanobis+knn" and clf.ood_note == ""
    assert isinstance(clf.ood_stats, cal.FeatureStats) and clf.temperature == 1.5
    photo = Image.fromarray(np.random.default_rng(1).integers(0, 256, (96, 128, 3),
                                                              dtype=np.uint8))
    res = clf(photo, top_k=3)
    views = clf.views(photo)
    expect = clf.ood_stats.score(clf.features(views[res.view].x[None], clf.ood_stats.layers))
    assert res.views == 10 and res.familiarity == pytest.approx(float(expect[0]))
    assert res.unfamiliar == (res.familiarity < entry["ood_threshold"])
    flat = clf(np.full((32, 32, 3), 128, np.uint8), top_k=1)   # far from the noise it saw
    assert flat.unfamiliar, flat.familiarity
    with pytest.raises(ValueError, match="pass the model inputs"):
        clf.familiarity(np.zeros((1, 10)))


@pytest.mark.parametrize("damage", ["missing", "damaged"])
def test_classifier_falls_back_to_energy_without_its_statistics(tiny_photo_model, tmp_path,
                                                                damage):
    from dataclasses import replace

    from cvlib.recognize import apply_calibration
    clf = replace(tiny_photo_model, _feat_fns={})
    entry = _calibration(clf, tmp_path, np.random.default_rng(0))
    path = tmp_path / entry["ood_stats"]["file"]
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:-10])
    apply_calibration(clf, entry, tmp_path)
    assert clf.ood_stats is None and clf.ood_note == f"ood_stats_{damage}"
    assert clf.ood_kind == "energy" and clf.ood_threshold == -123.0
    res = clf(np.full((32, 32, 3), 128, np.uint8), top_k=1)
    z = clf.predict_logits(np.full((1, 32, 32, 3), 128, np.uint8))
    assert res.familiarity == pytest.approx(float(cal.ood_score(z, "energy")[0]), rel=1e-5)
    assert not res.unfamiliar          # energy of anything is far above -123


# --- the Recognize page: the verdict, and the caption when the statistics are missing ------

@pytest.mark.needs(zoo.status("cifar_cnn") == "shipped",
                   reason="cifar_cnn is not shipped (models/manifest.json)")
@pytest.mark.parametrize("stats", ["shipped", "missing"])
def test_recognize_page_says_a_photo_is_unlike_cifar(stats, tmp_path, monkeypatch):
    import io

    import skimage.data
    import streamlit as st

    from cvlib.recognize import get_classifier
    from tests.app.helpers import GeneratedPicture, open_page, texts
    if stats == "missing":              # the models folder without cifar_cnn.ood.npz
        for f in zoo.models_dir().iterdir():
            if f.is_file() and f.name != "cifar_cnn.ood.npz":
                (tmp_path / f.name).symlink_to(f)
        monkeypatch.setenv("CVLIB_MODELS_DIR", str(tmp_path))
    buf = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(buf, "PNG")
    get_classifier.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()             # the page caches its analyses by picture and model
    try:
        photo = GeneratedPicture(buf.getvalue(), "astronaut", "cifar_cnn")
        at = open_page("pages/recognize.py", "en", timeout=180, rec_model="cifar_cnn",
                       rec_generated=photo, rec_sample="generated")
    finally:
        get_classifier.cache_clear()
        st.cache_resource.clear()
        st.cache_data.clear()
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    body = texts(at)
    if stats == "shipped":              # flagged by the feature score, explained in the expander
        assert "does not look like anything I was trained on" in warnings
        assert "Mahalanobis distance" in body and "statistics file" not in body
    else:                               # energy stands in (it does not flag the astronaut)
        assert "does not look like anything" not in warnings
        assert "statistics file of this model's unlike-my-training-data check" in body
        assert "energy score (Liu et al. 2020)" in body
