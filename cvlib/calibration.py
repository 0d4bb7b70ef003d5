"""Calibrated confidence and "this is not like my training data", for every classifier.

Two questions a softmax score does not answer by itself:

- *How often is a "90%" answer right?* A network trained with cross-entropy is often
  over-confident. **Temperature scaling** (Guo et al. 2017, "On calibration of modern
  neural networks") divides the logits by one number T > 0 fitted on held-out data by
  minimising the negative log-likelihood; the top class never changes, only the
  confidence. Measured by the **expected calibration error** (ECE: the mean gap between
  confidence and accuracy over equal-width confidence bins, weighted by bin size) and
  drawn as a **reliability diagram**.
- *Is this input like anything I was trained on?* An elephant fed to a clothes model
  still gets a softmax that sums to 1. The **energy score** (Liu et al. 2020,
  "Energy-based out-of-distribution detection"), ``logsumexp(logits)``, is higher for
  inputs like the training data; the **maximum softmax probability** (Hendrycks & Gimpel
  2017, "A baseline for detecting misclassified and out-of-distribution examples") is the
  simpler baseline. A threshold is set on held-out in-distribution data so that 99% of
  it passes; below it the page says "this does not look like anything I was trained on".
  The separation is measured by the AUROC (scikit-learn's ``roc_auc_score``).

- *Feature-space scores*, for a model whose logits do not separate (``cifar_cnn``, trained
  with label smoothing, gives a coffee cup as much energy as a CIFAR-10 image): the
  **Mahalanobis distance** to the nearest class mean with a tied covariance, on the
  (spatially averaged) features of several layers, each layer's distance standardised on
  held-out data and summed (Lee et al. 2018, "A simple unified framework for detecting
  out-of-distribution samples and adversarial attacks"; covariance by scikit-learn's
  ``LedoitWolf``), and the **k-th nearest-neighbour distance** of the L2-normalised
  penultimate features to a bank of training features (Sun et al. 2022,
  "Out-of-distribution detection with deep nearest neighbors"; scikit-learn
  ``NearestNeighbors``). :class:`FeatureStats` holds what they need (class means,
  precision matrices, the feature bank) and is stored next to the model.

All functions take plain numpy arrays. ``bench/calibrate.py`` fits T, the statistics and
the threshold for every shipped classifier and writes them into ``models/manifest.json``
(``"calibration"``) and ``models/<name>.ood.npz``; :class:`cvlib.recognize.Classifier`
applies them.

Example:
    >>> import numpy as np
    >>> from cvlib.calibration import softmax, expected_calibration_error
    >>> p = softmax(np.array([[2.0, 0.0], [0.0, 2.0]]))
    >>> round(expected_calibration_error(p, np.array([0, 1])), 3)
    0.119
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

OOD_TPR = 0.99        # the threshold lets this fraction of held-out in-distribution data pass
SCORES = ("energy", "msp")
FEATURE_SCORES = ("mahalanobis", "knn", "mahalanobis+knn")
# The data each model's test set is told apart from (bench/calibrate.py, the manifest's
# "auroc"): the other data sets, photos of faces, real photos (for cifar_cnn only photos
# of subjects outside CIFAR-10's classes).
OOD_SETS = ("mnist", "fashion_mnist", "cifar10", "faces", "photos", "photos_not_cifar")


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """float [N, K] logits -> float64 probabilities [N, K] of ``softmax(logits / T)``."""
    z = np.asarray(logits, np.float64) / float(temperature)
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def logits_of(probs: np.ndarray) -> np.ndarray:
    """Logits (up to a constant per row) of probabilities: ``log p``, clipped at 1e-12."""
    return np.log(np.clip(np.asarray(probs, np.float64), 1e-12, 1.0))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T that minimises the negative log-likelihood of ``labels`` under
    ``softmax(logits / T)`` (Guo et al. 2017), searched over T in [0.05, 20] (bounded
    Brent search on log T, scipy).

    Args:
        logits: float [N, K] held-out logits. labels: int [N].

    Returns:
        T > 0 (1.0 = already calibrated; > 1 softens an over-confident model).
    """
    from scipy.optimize import minimize_scalar
    z = np.asarray(logits, np.float64)
    y = np.asarray(labels, np.int64)

    def nll(log_t: float) -> float:
        s = z / np.exp(log_t)
        s = s - s.max(1, keepdims=True)
        return float(np.mean(np.log(np.exp(s).sum(1)) - s[np.arange(len(y)), y]))
    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> dict:
    """Reliability diagram data: per equal-width confidence bin, the mean confidence,
    the accuracy and the number of samples.

    Returns:
        {"edges": [bins + 1], "confidence": [bins], "accuracy": [bins], "count": [bins]}
        (lists of floats/ints; confidence and accuracy are None for an empty bin).
    """
    p = np.asarray(probs, np.float64)
    conf, pred = p.max(1), p.argmax(1)
    right = pred == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    out = {"edges": edges.round(4).tolist(), "confidence": [], "accuracy": [], "count": []}
    for b in range(bins):
        m = which == b
        out["count"].append(int(m.sum()))
        out["confidence"].append(round(float(conf[m].mean()), 4) if m.any() else None)
        out["accuracy"].append(round(float(right[m].mean()), 4) if m.any() else None)
    return out


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE (Naeini et al. 2015; Guo et al. 2017): sum over equal-width confidence bins of
    (bin size / N) * |accuracy - mean confidence|. In [0, 1]; 0 = perfectly calibrated."""
    r = reliability(probs, labels, bins)
    n = max(sum(r["count"]), 1)
    return float(sum(c / n * abs(a - f) for c, a, f in
                     zip(r["count"], r["accuracy"], r["confidence"]) if c))


def ood_score(logits: np.ndarray, kind: str = "energy", temperature: float = 1.0
              ) -> np.ndarray:
    """Familiarity score per input, float64 [N]: higher = more like the training data.

    Args:
        logits: float [N, K].
        kind: "energy" (``T * logsumexp(logits / T)``, the negative free energy of Liu et
            al. 2020, computed with T = 1 as they recommend) or "msp" (the maximum
            softmax probability at ``temperature``, Hendrycks & Gimpel 2017).
    """
    z = np.asarray(logits, np.float64)
    if kind == "energy":
        m = z.max(1, keepdims=True)
        return (m + np.log(np.exp(z - m).sum(1, keepdims=True)))[:, 0]
    if kind == "msp":
        return softmax(z, temperature).max(1)
    raise ValueError(f"kind must be one of {', '.join(SCORES)}; got {kind!r}.")


def ood_threshold(scores_in: np.ndarray, tpr: float = OOD_TPR) -> float:
    """The score below which an input is called unfamiliar: the (1 - tpr) quantile of
    held-out in-distribution scores, so that ``tpr`` of them pass."""
    return float(np.quantile(np.asarray(scores_in, np.float64), 1.0 - float(tpr)))


def auroc(scores_in: np.ndarray, scores_out: np.ndarray) -> float:
    """Area under the ROC curve of telling in-distribution (positive, higher score) from
    out-of-distribution inputs by the score (scikit-learn ``roc_auc_score``); 0.5 =
    chance, 1 = perfect."""
    from sklearn.metrics import roc_auc_score
    s_in, s_out = np.asarray(scores_in, np.float64), np.asarray(scores_out, np.float64)
    y = np.r_[np.ones(len(s_in)), np.zeros(len(s_out))]
    return float(roc_auc_score(y, np.r_[s_in, s_out]))


# --- feature-space scores ----------------------------------------------------------------

def class_gaussians(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class-conditional Gaussians with one shared ("tied") covariance (Lee et al. 2018).

    Args:
        features: float [N, D] features of in-distribution inputs. labels: int [N] in
            0..K-1 (every class present).

    Returns:
        (means float32 [K, D], precision float32 [D, D]): the per-class means and the
        inverse of the covariance of the class-centred features, estimated with
        Ledoit-Wolf shrinkage (scikit-learn ``LedoitWolf``), which keeps it invertible
        when D is large for N.
    """
    from sklearn.covariance import LedoitWolf
    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.int64)
    means = np.stack([x[y == c].mean(0) for c in range(int(y.max()) + 1)])
    precision = LedoitWolf(assume_centered=True).fit(x - means[y]).precision_
    return means.astype(np.float32), precision.astype(np.float32)


def mahalanobis_distance(features: np.ndarray, means: np.ndarray, precision: np.ndarray
                         ) -> np.ndarray:
    """float64 [N]: the squared Mahalanobis distance of each row of ``features`` [N, D]
    to its nearest class mean (``means`` [K, D], shared ``precision`` [D, D]); 0 at a
    class mean, larger = less like the training data."""
    x = np.asarray(features, np.float64)
    p = np.asarray(precision, np.float64)
    d = [np.einsum("ij,jk,ik->i", x - m, p, x - m) for m in np.asarray(means, np.float64)]
    return np.min(np.stack(d, 1), 1)


def l2_normalise(features: np.ndarray) -> np.ndarray:
    """float32 [N, D]: each row divided by its Euclidean norm (a zero row stays zero)."""
    x = np.asarray(features, np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_distance(features: np.ndarray, bank: np.ndarray, k: int) -> np.ndarray:
    """float64 [N]: the Euclidean distance from each L2-normalised row of ``features``
    [N, D] to its ``k``-th nearest row of ``bank`` [B, D] (already L2-normalised), in
    [0, 2] (Sun et al. 2022; scikit-learn ``NearestNeighbors``, exact brute force)."""
    from sklearn.neighbors import NearestNeighbors
    nn = NearestNeighbors(n_neighbors=int(k), algorithm="brute").fit(
        np.asarray(bank, np.float32))
    return _kth(nn, features, int(k))


def _kth(nn, features: np.ndarray, k: int) -> np.ndarray:
    # one thread: scikit-learn's OpenMP pool took ~100 ms for a single query on a busy
    # 2-core machine (waking its threads), 2 ms without it
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="openmp"):
        return nn.kneighbors(l2_normalise(features))[0][:, k - 1].astype(np.float64)


@dataclass
class FeatureStats:
    """What a feature-space familiarity score needs, fitted once, stored next to the model.

    The score (higher = more like the training data, as :func:`ood_score`):

    - "mahalanobis": minus the sum over ``layers`` of each layer's standardised
      Mahalanobis distance (Lee et al. 2018's feature ensemble, equal weights), then
      standardised again;
    - "knn": minus the standardised ``k``-th nearest-neighbour distance of the last
      layer's L2-normalised features to ``bank`` (Sun et al. 2022);
    - "mahalanobis+knn": the sum of the two.

    Standardisation uses the mean and standard deviation of each distance on held-out
    in-distribution data, so the parts weigh alike.

    Attributes:
        kind: one of :data:`FEATURE_SCORES`.
        layers: names of the model layers whose outputs are the features (4-D outputs
            averaged over height and width); the last one is the penultimate layer.
        means, precisions: per layer, float32 [K, D] and [D, D] (:func:`class_gaussians`).
        layer_center, layer_scale: float64 [L], per layer the held-out distance's mean, sd.
        maha_center, maha_scale: the same for the summed Mahalanobis part.
        bank: float16 [B, D] L2-normalised penultimate features of training images.
        k: which neighbour. knn_center, knn_scale: held-out k-NN distance mean and sd.
    """

    kind: str
    layers: list[str]
    means: list[np.ndarray]
    precisions: list[np.ndarray]
    layer_center: np.ndarray
    layer_scale: np.ndarray
    maha_center: float
    maha_scale: float
    bank: np.ndarray
    k: int
    knn_center: float
    knn_scale: float
    _nn: object = field(default=None, repr=False)

    @classmethod
    def fit(cls, kind: str, layers: list[str], train: list[np.ndarray], labels: np.ndarray,
            held_out: list[np.ndarray], bank_size: int = 5000, k: int = 5, seed: int = 0
            ) -> "FeatureStats":
        """Fit the statistics.

        Args:
            kind: one of :data:`FEATURE_SCORES`.
            layers: the layer names, one per entry of ``train`` / ``held_out``.
            train: per layer float [N, D_l] features of training images; labels int [N].
                Class means, covariances and the k-NN bank (``bank_size`` random rows)
                come from here.
            held_out: per layer float [M, D_l] features of in-distribution images the
                model never trained on: the standardisation comes from here.
            k: the neighbour of the k-NN distance (Sun et al. use k = 50 with all 50,000
                CIFAR-10 training images; k scales with the bank's share of them).

        Raises:
            ValueError: an unknown ``kind``, or the per-layer lists differ in length.
        """
        if kind not in FEATURE_SCORES:
            raise ValueError(f"kind must be one of {', '.join(FEATURE_SCORES)}; got {kind!r}.")
        if not (len(layers) == len(train) == len(held_out)) or not layers:
            raise ValueError(f"layers, train and held_out must have one entry per layer; got "
                             f"{len(layers)}, {len(train)} and {len(held_out)}.")
        gauss = [class_gaussians(f, labels) for f in train]
        rng = np.random.default_rng(seed)
        last = np.asarray(train[-1], np.float32)
        pick = rng.choice(len(last), min(int(bank_size), len(last)), replace=False)
        stats = cls(kind, list(layers), [m for m, _ in gauss], [p for _, p in gauss],
                    np.zeros(len(layers)), np.ones(len(layers)), 0.0, 1.0,
                    l2_normalise(last[np.sort(pick)]).astype(np.float16), int(k), 0.0, 1.0)
        d = stats.layer_distances(held_out)
        stats.layer_center, stats.layer_scale = d.mean(0), d.std(0) + 1e-12
        maha = ((d - stats.layer_center) / stats.layer_scale).sum(1)
        stats.maha_center, stats.maha_scale = float(maha.mean()), float(maha.std()) + 1e-12
        knn = stats.knn(held_out[-1])
        stats.knn_center, stats.knn_scale = float(knn.mean()), float(knn.std()) + 1e-12
        return stats

    def layer_distances(self, features: list[np.ndarray]) -> np.ndarray:
        """float64 [N, L]: each layer's Mahalanobis distance (:func:`mahalanobis_distance`)."""
        return np.stack([mahalanobis_distance(f, m, p) for f, m, p in
                         zip(features, self.means, self.precisions)], 1)

    def knn(self, penultimate: np.ndarray) -> np.ndarray:
        """float64 [N]: the k-th nearest-neighbour distance to the bank (:func:`knn_distance`,
        the index built once)."""
        if self._nn is None:
            from sklearn.neighbors import NearestNeighbors
            self._nn = NearestNeighbors(n_neighbors=self.k, algorithm="brute").fit(
                self.bank.astype(np.float32))
        return _kth(self._nn, penultimate, self.k)

    def parts(self, features: list[np.ndarray]) -> dict[str, np.ndarray]:
        """The two standardised familiarity parts, float64 [N] each: {"mahalanobis",
        "knn"} (higher = more like the training data)."""
        d = (self.layer_distances(features) - self.layer_center) / self.layer_scale
        return {"mahalanobis": -(d.sum(1) - self.maha_center) / self.maha_scale,
                "knn": -(self.knn(features[-1]) - self.knn_center) / self.knn_scale}

    def score(self, features: list[np.ndarray]) -> np.ndarray:
        """float64 [N]: the familiarity of inputs from their features (one float [N, D_l]
        array per entry of ``layers``); higher = more like the training data."""
        p = self.parts(features)
        if self.kind == "mahalanobis+knn":
            return p["mahalanobis"] + p["knn"]
        return p[self.kind]

    def save(self, path) -> None:
        """Write an ``.npz`` (no pickles): float32 means / precisions, float16 bank."""
        arrays = {"kind": np.array(self.kind), "layers": np.array(self.layers),
                  "layer_center": self.layer_center, "layer_scale": self.layer_scale,
                  "maha": np.array([self.maha_center, self.maha_scale]),
                  "knn": np.array([self.knn_center, self.knn_scale]),
                  "k": np.array(self.k), "bank": self.bank.astype(np.float16)}
        for i, (m, p) in enumerate(zip(self.means, self.precisions)):
            arrays[f"means_{i}"], arrays[f"precision_{i}"] = m, p
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path) -> "FeatureStats":
        """Read what :meth:`save` wrote (``allow_pickle=False``).

        Raises:
            OSError: the file cannot be read. ValueError / KeyError: it is not such a file.
        """
        with np.load(Path(path), allow_pickle=False) as z:
            layers = [str(n) for n in z["layers"]]
            return cls(str(z["kind"]), layers,
                       [z[f"means_{i}"] for i in range(len(layers))],
                       [z[f"precision_{i}"] for i in range(len(layers))],
                       z["layer_center"], z["layer_scale"], float(z["maha"][0]),
                       float(z["maha"][1]), z["bank"], int(z["k"]), float(z["knn"][0]),
                       float(z["knn"][1]))
