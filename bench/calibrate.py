"""Calibration and out-of-distribution figures of the shipped classifiers; with
``--write``, store each model's temperature, OOD score and threshold in
models/manifest.json and the statistics of a feature-space score in models/<name>.ood.npz.

Per classifier (mnist_cnn, fashion_cnn, cifar_cnn):

- held-out data: the validation split of its own training run (the same seed and
  fraction as the manifest's config: images it was never trained on); the temperature
  (Guo et al. 2017) and every OOD threshold (99% of the held-out images pass) are fitted
  there;
- feature statistics (class means and tied covariance per layer, Lee et al. 2018; a bank
  of L2-normalised penultimate features, Sun et al. 2022): fitted on ``FIT_IMAGES``
  training images of that run (the rest of the split), standardised on the held-out split;
- test set: expected calibration error (15 bins) before and after temperature scaling,
  and the reliability diagram (10 bins) stored for the Recognize page;
- five familiarity scores in the same run: energy (Liu et al. 2020), maximum softmax
  (Hendrycks & Gimpel 2017), Mahalanobis over several layers, k-th nearest neighbour, and
  the two summed. For each, the AUROC (scikit-learn) of telling the model's test set from:
  each other data set (as the model's input: the other 28x28 set as is, CIFAR-10 grey and
  shrunk for the 28x28 models, MNIST / Fashion-MNIST as RGB 32x32 for cifar_cnn), 200
  faces (scikit-image's LFW subset), and photos (the shared photos + scikit-image's
  sample photos, through the Recognize page's own views and its surest-view answer; for
  cifar_cnn only those whose subject is not a CIFAR-10 class); and the share of those
  inputs its threshold flags. For cifar_cnn also the share flagged of the photos of
  CIFAR-10 subjects and of 2,000 CIFAR-10 test images enlarged 4x (bicubic) and put
  through the same views: a score that flags those tells "photo from 32x32 image", not
  "unfamiliar subject".
- the score shipped: a feature-space score when it beats energy on photos (higher AUROC
  and more of them flagged), is no worse on every other data set (MNIST, Fashion-MNIST,
  CIFAR-10; the faces are reported, not judged), and (cifar_cnn) flags at most 25% of the
  photos of CIFAR-10 subjects; of those passing, the one with the highest mean AUROC over
  all the other sets; otherwise energy.

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
                  "gravel", "moon", "page", "text", "rocket", "hubble_deep_field", "retina",
                  "immunohistochemistry", "microaneurysms", "clock", "cell",
                  "stereo_motorcycle")
SKIMAGE_CIFAR = {"chelsea"}   # a cat
# the layers whose (spatially averaged) outputs the feature scores use; last = penultimate
FEATURE_LAYERS = {"mnist_cnn": ["pool1", "pool2", "conv3", "dense"],
                  "fashion_cnn": ["pool1", "pool2", "relu3", "dense"],
                  "cifar_cnn": ["res1_add", "layer2_relu", "res3_add", "head_scale"]}
FIT_IMAGES = 10000    # training images for the class Gaussians and the k-NN bank
BANK, K = 5000, 5     # k-NN bank rows (float16) and neighbour (Sun et al.: k=50 for 50,000)
MAX_CIFAR_PHOTOS_FLAGGED = 0.25
DATASETS = ("mnist", "fashion_mnist", "cifar10")   # "no worse" is judged on these
COMMAND = "CVLIB_DATA_DIR=../shared/data python bench/calibrate.py --write"


def split_rows(config: dict) -> tuple[np.ndarray, np.ndarray]:
    """Row indices into the training set of the model's own run: (validation split,
    the training rows)."""
    from cvlib.data import load_dataset
    n = len(load_dataset(config["dataset"], "train")[1])
    order = np.random.default_rng(config.get("seed", 0)).permutation(n)
    if config.get("train_size"):
        order = order[:config["train_size"]]
    n_val = int(round(len(order) * config.get("validation_split", 0.1)))
    return order[:n_val], order[n_val:]


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


def photos(cifar: bool | None) -> list[tuple[str, Image.Image]]:
    """The shared photos and scikit-image's sample photos (each picture once), as
    (name, RGB image). ``cifar``: None = all, False = subjects that are not a CIFAR-10
    class, True = only those that are."""
    out = []
    folder = Path(os.environ.get("CVLIB_DATA_DIR", "") or "/nonexistent") / "photos"
    labels = {}
    if (folder / "labels.json").exists():
        labels = json.loads((folder / "labels.json").read_text())
    shared = " ".join(meta.get("source", "") for meta in labels.values())
    for name, meta in sorted(labels.items()):
        if cifar is not None and (meta["label"] in CIFAR_CLASSES) != cifar:
            continue
        out.append((name, Image.open(folder / name).convert("RGB")))
    import skimage.data
    for name in SKIMAGE_PHOTOS:
        if cifar is not None and (name in SKIMAGE_CIFAR) != cifar:
            continue
        a = getattr(skimage.data, name)()
        a = a[0] if isinstance(a, tuple) else a          # stereo pairs: the left view
        if f"skimage/data/{name}." not in shared:       # not already among the shared photos
            out.append((f"skimage:{name}", Image.fromarray(a).convert("RGB")))
    return out


def faces() -> list[Image.Image]:
    """200 small photos of faces (scikit-image's LFW subset, 25x25 grey), as RGB."""
    import skimage.data
    return [Image.fromarray((f * 255).round().astype(np.uint8)).convert("RGB")
            for f in skimage.data.lfw_subset()]


def outputs(clf, x: np.ndarray, layers: list[str], batch: int = 1000):
    """(logits [N, K], per layer features [N, D]) of model inputs, batched."""
    z, f = [], []
    for i in range(0, len(x), batch):
        z.append(clf.predict_logits(x[i:i + batch]))
        f.append(clf.features(x[i:i + batch], layers))
    return np.concatenate(z), [np.concatenate(c) for c in zip(*f)]


def answered(clf, images: list[Image.Image], layers: list[str]):
    """Each picture as the Recognize page classifies it: (logits, features) of the view
    that gave the answer (the surest view, at the model's temperature)."""
    x = []
    for im in images:
        views = clf.views(im)
        z = clf.predict_logits(np.stack([v.x for v in views]))
        x.append(views[clf.postprocess(z, views)[1]].x)
    return outputs(clf, np.stack(x), layers)


def scores(z: np.ndarray, f: list[np.ndarray], stats, temperature: float) -> dict:
    """Every familiarity score of inputs with logits z and features f."""
    from cvlib import calibration as cal
    parts = stats.parts(f)
    return {"energy": cal.ood_score(z, "energy"), "msp": cal.ood_score(z, "msp", temperature),
            "mahalanobis": parts["mahalanobis"], "knn": parts["knn"],
            "mahalanobis+knn": parts["mahalanobis"] + parts["knn"]}


def choose(auc: dict, flagged: dict, photo_set: str, extra_flagged: dict) -> str:
    """The score to ship (see the module docstring)."""
    from cvlib.calibration import FEATURE_SCORES
    passing = []
    for kind in FEATURE_SCORES:
        better = (auc[photo_set][kind] > auc[photo_set]["energy"]
                  and flagged[photo_set][kind] > flagged[photo_set]["energy"])
        no_worse = all(a[kind] >= a["energy"] for o, a in auc.items() if o in DATASETS)
        subjects_ok = extra_flagged.get("cifar_subject_photos", {}).get(kind, 0.0) \
            <= MAX_CIFAR_PHOTOS_FLAGGED
        if better and no_worse and subjects_ok:
            passing.append((np.mean([a[kind] for a in auc.values()]), kind))
    return max(passing)[1] if passing else "energy"


def measure(name: str) -> tuple[dict, object]:
    from cvlib import calibration as cal
    from cvlib import zoo
    from cvlib.data import load_dataset
    from cvlib.recognize import get_classifier
    clf = get_classifier(name)
    clf.temperature, clf.ood_threshold, clf.ood_stats = 1.0, None, None  # the raw model
    entry = zoo.manifest_entry(name)
    config = entry["config"]
    dataset = config["dataset"]
    shape = clf.input_shape
    layers = FEATURE_LAYERS[name]

    def channels(x):
        return x if x.ndim == 4 else x[..., None]
    xtr, ytr, _ = load_dataset(dataset, "train")
    va, tr = split_rows(config)
    fit_rows = np.sort(np.random.default_rng(1).choice(tr, min(FIT_IMAGES, len(tr)),
                                                       replace=False))
    zv, fv = outputs(clf, channels(xtr[va]), layers)
    yv = ytr[va]
    _, ff = outputs(clf, channels(xtr[fit_rows]), layers)
    stats = cal.FeatureStats.fit("mahalanobis+knn", layers, ff, ytr[fit_rows], fv,
                                 bank_size=BANK, k=K)
    t = cal.fit_temperature(zv, yv)
    clf.temperature = t               # the page picks the surest view at T
    xt, yt, _ = load_dataset(dataset, "test")
    zt, ft = outputs(clf, channels(xt), layers)
    before, after = cal.softmax(zt), cal.softmax(zt, t)
    s_val, s_in = scores(zv, fv, stats, t), scores(zt, ft, stats, t)
    thresholds = {k: cal.ood_threshold(v) for k, v in s_val.items()}
    others = {}
    for other in DATASETS:
        if other == dataset:
            continue
        xo, _, _ = load_dataset(other, "test")
        others[other] = outputs(clf, as_input(xo[:2000], shape), layers)
    others["faces"] = answered(clf, faces(), layers)
    photo_set = "photos" if dataset != "cifar10" else "photos_not_cifar"
    photo_list = photos(cifar=None if dataset != "cifar10" else False)
    others[photo_set] = answered(clf, [im for _, im in photo_list], layers)
    extra = {}
    if dataset == "cifar10":
        extra["cifar_subject_photos"] = answered(clf, [im for _, im in photos(cifar=True)],
                                                 layers)
        enlarged = [Image.fromarray(a).resize((128, 128), Image.BICUBIC) for a in xt[:2000]]
        extra["cifar_test_enlarged_4x"] = answered(clf, enlarged, layers)
    auc, flagged, extra_flagged = {}, {}, {}
    for other, (zo, fo) in others.items():
        so = scores(zo, fo, stats, t)
        auc[other] = {k: round(cal.auroc(s_in[k], so[k]), 4) for k in so}
        flagged[other] = {k: round(float(np.mean(so[k] < thresholds[k])), 4) for k in so}
    for other, (zo, fo) in extra.items():
        so = scores(zo, fo, stats, t)
        extra_flagged[other] = {k: round(float(np.mean(so[k] < thresholds[k])), 4)
                                for k in so}
    kind = choose(auc, flagged, photo_set, extra_flagged)
    stats.kind = kind
    return {
        "model": name, "temperature": round(t, 4), "ood_score": kind,
        "ood_threshold": round(thresholds[kind], 4),
        "energy_threshold": round(thresholds["energy"], 4),
        "msp_threshold": round(thresholds["msp"], 4),
        "held_out": f"validation split of its training run ({len(yv):,} images, seed "
                    f"{config.get('seed', 0)}, never trained on)",
        "test_accuracy": round(float((zt.argmax(1) == yt).mean()), 4),
        "ece_before": round(cal.expected_calibration_error(before, yt), 4),
        "ece_after": round(cal.expected_calibration_error(after, yt), 4),
        "test_flagged": round(float(np.mean(s_in[kind] < thresholds[kind])), 4),
        "test_flagged_by_score": {k: round(float(np.mean(v < thresholds[k])), 4)
                                  for k, v in s_in.items()},
        "auroc": {o: {k: v[k] for k in ("energy", "msp", kind)} for o, v in auc.items()},
        "flagged_unfamiliar": {o: v[kind] for o, v in flagged.items()},
        "auroc_by_score": auc, "flagged_by_score": {**flagged, **extra_flagged},
        "photos": len(photo_list), "photo_names": [n for n, _ in photo_list],
        "feature_fit": f"class means, tied Ledoit-Wolf covariances and a {BANK:,}-row k-NN "
                       f"bank (k={K}) from {len(fit_rows):,} of its training images; "
                       f"layers {', '.join(layers)}",
        "reliability_before": cal.reliability(before, yt, 10),
        "reliability_after": cal.reliability(after, yt, 10),
        "command": COMMAND,
    }, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=list(MODELS))
    ap.add_argument("--write", action="store_true",
                    help="store in models/manifest.json (and models/<name>.ood.npz)")
    args = ap.parse_args()
    from cvlib import zoo
    from cvlib.calibration import FEATURE_SCORES
    results = {}
    for name in args.models:
        r, stats = measure(name)
        results[name] = (r, stats)
        short = {k: v for k, v in r.items() if not k.startswith("reliability")}
        print(json.dumps(short), flush=True)
    if args.write:
        manifest = zoo.read_manifest()
        for name, (r, stats) in results.items():
            cal = {k: v for k, v in r.items() if k not in ("model", "test_accuracy")}
            path = zoo.models_dir() / f"{name}.ood.npz"
            if r["ood_score"] in FEATURE_SCORES:
                stats.save(path)
                cal["ood_stats"] = {"file": path.name, "sha256": zoo.sha256_file(path),
                                    "size_bytes": path.stat().st_size,
                                    "layers": stats.layers, "k": stats.k}
            elif path.exists():
                path.unlink()              # energy again: no stale statistics beside it
            manifest["models"][name]["calibration"] = cal
        zoo.write_manifest(manifest)


if __name__ == "__main__":
    main()
