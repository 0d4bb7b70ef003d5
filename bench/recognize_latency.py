"""Single-image latency of the Recognize page's classifiers, against ``model.predict``.

Per model: the compiled call (``Classifier.probs``, a ``tf.function`` of the model) and
``model.predict`` on the same preprocessed image, alternated, warm; and Grad-CAM (compiled,
one forward + one backward pass) against one classification.

Figures (JSON lines, one per model):
  p50_ms, p95_ms            compiled call, one image
  predict_p50_ms            model.predict on the same image, same run
  speedup                   predict_p50_ms / p50_ms
  gradcam_p50_ms, gradcam_ratio   Grad-CAM p50 / classification p50
  views_p50_ms, views_p95_ms      photo models only: a whole classification of a 640x480
                            photo (10 views + their mirror images, 20 inputs in one call)

Models: mnist_cnn, fashion_cnn (shipped weights), cifar_cnn (shipped weights when present,
else the same architecture with random weights: same cost), mobilenet_v3_small
(random weights: the same cost as ImageNet weights, none of which exist offline).

Run: CVLIB_DATA_DIR=../shared/data python bench/recognize_latency.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def classifier(name: str):
    from cvlib import zoo
    from cvlib.recognize import build_classifier, classifier_from_model, get_classifier
    if name == "cifar_cnn" and zoo.status(name) != "shipped":
        from cvlib.data import CLASS_NAMES
        from cvlib.train import TrainConfig, build_model
        model = build_model(TrainConfig(dataset="cifar10", arch="resnet9",
                                        filters=(64, 128, 256)))
        return classifier_from_model(model, name, CLASS_NAMES["cifar10"], "cifar10"), "random"
    if zoo.get(name).source == "keras-cache" and zoo.status(name) != "cached":
        return build_classifier(name), "random"
    return get_classifier(name), "trained"


def pct(xs, q):
    return float(np.percentile(np.asarray(xs) * 1000, q))


def measure(name: str, repeats: int) -> dict:
    from cvlib.explain import grad_cam
    clf, weights = classifier(name)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, clf.input_shape, dtype=np.uint8)
    batch = x[None].astype(np.float32)
    for _ in range(20):                                     # warm up all three paths
        clf.probs(x)
        clf.model.predict(batch, verbose=0)
        grad_cam(clf, x)
    fast, slow, cam = [], [], []
    for _ in range(repeats):                                # alternate the variants
        t0 = time.perf_counter()
        clf.probs(x)
        fast.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        clf.model.predict(batch, verbose=0)
        slow.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        grad_cam(clf, x)
        cam.append(time.perf_counter() - t0)
    p50 = pct(fast, 50)
    views = {}
    if clf.kind == "photo":
        from PIL import Image
        photo = Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
        for _ in range(10):
            clf(photo)
        secs = [clf(photo).seconds for _ in range(repeats)]
        views = {"views_p50_ms": round(pct(secs, 50), 3), "views_p95_ms": round(pct(secs, 95), 3)}
    return {**views, "model": name, "weights": weights, "input": list(clf.input_shape),
            "p50_ms": round(p50, 3), "p95_ms": round(pct(fast, 95), 3),
            "predict_p50_ms": round(pct(slow, 50), 3),
            "speedup": round(pct(slow, 50) / p50, 1),
            "gradcam_p50_ms": round(pct(cam, 50), 3),
            "gradcam_ratio": round(pct(cam, 50) / p50, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--models", default="mnist_cnn,fashion_cnn,cifar_cnn,mobilenet_v3_small")
    args = ap.parse_args()
    for name in args.models.split(","):
        print(json.dumps(measure(name, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
