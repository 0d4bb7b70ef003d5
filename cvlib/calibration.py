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

All functions take plain numpy arrays. ``bench/calibrate.py`` fits T and the threshold
for every shipped classifier and writes them into ``models/manifest.json``
(``"calibration"``); :class:`cvlib.recognize.Classifier` applies them.

Example:
    >>> import numpy as np
    >>> from cvlib.calibration import softmax, expected_calibration_error
    >>> p = softmax(np.array([[2.0, 0.0], [0.0, 2.0]]))
    >>> round(expected_calibration_error(p, np.array([0, 1])), 3)
    0.119
"""

from __future__ import annotations

import numpy as np

OOD_TPR = 0.99        # the threshold lets this fraction of held-out in-distribution data pass
SCORES = ("energy", "msp")


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
