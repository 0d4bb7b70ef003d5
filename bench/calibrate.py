"""Calibration and out-of-distribution figures of the shipped classifiers; with
``--write``, store each model's temperature and OOD threshold in models/manifest.json.

Per classifier (mnist_cnn, fashion_cnn, cifar_cnn):

- held-out data: the validation split of its own training run (the same seed and
  fraction as the manifest's config: images it was never trained on); the temperature
  (Guo et al. 2017) and the OOD threshold (energy score, Liu et al. 2020; 99% of the
  held-out images pass) are fitted there;
- test set: expected calibration error (15 bins) before and after temperature scaling,
  and the reliability diagram (10 bins) stored for the Recognize page;
- AUROC (scikit-learn) of telling the model's test set from: each other data set (as the
  model's input: the other 28x28 set as is, CIFAR-10 grey and shrunk for the 28x28
  models, MNIST / Fashion-MNIST as RGB 32x32 for cifar_cnn), and from photos (the
  shared photos + scikit-image's sample photos, through the Recognize page's own
  preprocessing; for cifar_cnn only those whose subject is not a CIFAR-10 class), with
  the energy score and with the maximum softmax probability (Hendrycks & Gimpel 2017);
  and the share of those inputs the threshold flags as unfamiliar.

Figures: one JSON line per model. Run:
    CVLIB_DATA_DIR=../shared/data python bench/calibrate.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

MODELS = ("mnist_cnn", "fashion_cnn", "cifar_cnn")
CIFAR_CLASSES = {"cat", "dog", "horse", "eagle", "bird"}
SKIMAGE_PHOTOS = ("astronaut", "brick", "camera", "chelsea", "coffee", "coins", "grass",
                  "gravel", "moon", "page", "text", "rocket")
SKIMAGE_CIFAR = {"chelsea"}   # a cat
COMMAND = "CVLIB_DATA_DIR=../shared/data python bench/calibrate.py --write"


def held_out(name: str, config: dict):
    """The validation split of the model's own training run: (x, y)."""
    from cvlib.data import load_dataset
    x, y, _ = load_dataset(config["dataset"], "train")
    order = np.random.default_rng(config.get("seed", 0)).permutation(len(x))
    if config.get("train_size"):
        order = order[:config["train_size"]]
    n_val = int(round(len(order) * config.get("validation_split", 0.1)))
    va = order[:n_val]
    return x[va], y[va]


def as_input(x: np.ndarray, shape) -> np.ndarray:
    """Images of another data set -> this model's input shape (uint8)."""
    h, w, c = shape
    out = []
    for im in x:
        pil = Image.fromarray(im)
        pil = pil.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
        a = np.asarray(pil)
        out.append(a[..., None] if c == 1 else a)
    return np.stack(out)


def photos(cifar: bool) -> list[tuple[str, Image.Image]]:
    out = []
    folder = Path(os.environ.get("CVLIB_DATA_DIR", "") or "/nonexistent") / "photos"
    labels = {}
    if (folder / "labels.json").exists():
        labels = json.loads((folder / "labels.json").read_text())
    for name, meta in sorted(labels.items()):
        if cifar and meta["label"] in CIFAR_CLASSES:
            continue
        out.append((name, Image.open(folder / name).convert("RGB")))
    import skimage.data
    for name in SKIMAGE_PHOTOS:
        if cifar and name in SKIMAGE_CIFAR:
            continue
        a = getattr(skimage.data, name)()
        out.append((f"skimage:{name}", Image.fromarray(a).convert("RGB")))
    return out


def logits_batched(clf, x: np.ndarray, batch: int = 1000) -> np.ndarray:
    return np.concatenate([clf.predict_logits(x[i:i + batch]) for i in range(0, len(x), batch)])


def photo_logits(clf, images) -> np.ndarray:
    """Each photo as the Recognize page classifies it: its surest view."""
    from cvlib.calibration import softmax
    rows = []
    for _, im in images:
        z = clf.predict_logits(np.stack([v.x for v in clf.views(im)]))
        rows.append(z[int(softmax(z).max(1).argmax())])
    return np.stack(rows)


def measure(name: str) -> dict:
    from cvlib import calibration as cal
    from cvlib import zoo
    from cvlib.data import load_dataset
    from cvlib.recognize import get_classifier
    clf = get_classifier(name)
    clf.temperature, clf.ood_threshold = 1.0, None          # measure the raw model
    entry = zoo.manifest_entry(name)
    config = entry["config"]
    dataset = config["dataset"]
    shape = clf.input_shape
    xv, yv = held_out(name, config)
    zv = logits_batched(clf, xv if xv.ndim == 4 else xv[..., None])
    t = cal.fit_temperature(zv, yv)
    xt, yt, _ = load_dataset(dataset, "test")
    zt = logits_batched(clf, xt if xt.ndim == 4 else xt[..., None])
    before, after = cal.softmax(zt), cal.softmax(zt, t)
    threshold = cal.ood_threshold(cal.ood_score(zv, "energy"))
    msp_threshold = cal.ood_threshold(cal.ood_score(zv, "msp", t))
    s_in = {"energy": cal.ood_score(zt, "energy"), "msp": cal.ood_score(zt, "msp", t)}
    others = {}
    for other in ("mnist", "fashion_mnist", "cifar10"):
        if other == dataset:
            continue
        xo, _, _ = load_dataset(other, "test")
        xo = as_input(xo[:2000], shape)
        others[other] = logits_batched(clf, xo)
    others["photos"] = photo_logits(clf, photos(cifar=dataset == "cifar10"))
    auc, flagged = {}, {}
    for other, zo in others.items():
        e, m = cal.ood_score(zo, "energy"), cal.ood_score(zo, "msp", t)
        auc[other] = {"energy": round(cal.auroc(s_in["energy"], e), 4),
                      "msp": round(cal.auroc(s_in["msp"], m), 4)}
        flagged[other] = round(float(np.mean(e < threshold)), 4)
    return {
        "model": name, "temperature": round(t, 4), "ood_score": "energy",
        "ood_threshold": round(threshold, 4), "msp_threshold": round(msp_threshold, 4),
        "held_out": f"validation split of its training run ({len(yv):,} images, seed "
                    f"{config.get('seed', 0)}, never trained on)",
        "test_accuracy": round(float((zt.argmax(1) == yt).mean()), 4),
        "ece_before": round(cal.expected_calibration_error(before, yt), 4),
        "ece_after": round(cal.expected_calibration_error(after, yt), 4),
        "test_flagged": round(float(np.mean(s_in["energy"] < threshold)), 4),
        "auroc": auc, "flagged_unfamiliar": flagged, "photos": len(others["photos"]),
        "reliability_before": cal.reliability(before, yt, 10),
        "reliability_after": cal.reliability(after, yt, 10),
        "command": COMMAND,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--write", action="store_true", help="store in models/manifest.json")
    args = ap.parse_args()
    from cvlib import zoo
    results = {}
    for name in args.models:
        r = measure(name)
        results[name] = r
        short = {k: v for k, v in r.items() if not k.startswith("reliability")}
        print(json.dumps(short), flush=True)
    if args.write:
        manifest = zoo.read_manifest()
        for name, r in results.items():
            manifest["models"][name]["calibration"] = {
                k: v for k, v in r.items() if k not in ("model", "test_accuracy")}
        zoo.write_manifest(manifest)


if __name__ == "__main__":
    main()
