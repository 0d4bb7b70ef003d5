"""10,000+ hostile inputs through every upload path and every cvlib function that takes user
data, in one process: counts per path, outcomes, worst time per input, peak memory.

Inputs: the crafted corpus of tests/hostile_corpus.py (decompression bombs, a 1x100,000
PNG, a GIF of 10,000 frames on a 4K canvas, a TIFF of 10,000 pages, a video whose header
claims a million frames, truncated / zero-byte / random files behind valid magic numbers,
huge EXIF, odd CSVs, odd arrays) plus seeded random ones: corruptions of valid files of
every format, random bytes behind each magic number, random CSVs, random arrays of every
dtype and shape, random sampler arguments.

Outcomes (tests/hostile_corpus.outcome): "decoded" (a result), "refused" (a
cvlib.CVLibError), "argument" (a ValueError/TypeError raised by cvlib's own checks, the
project's convention for bad arguments), "uncaught" (anything else: the number that must
be 0). Time: wall clock per input (the first call of each model path, which builds the
model and traces its graph, is reported apart as "warm-up"). Memory: the process's peak
RSS (``resource.getrusage``) after each path, and the input that raised it most.

    nice -n 10 python bench/hostile_inputs.py            # ~10,500 inputs, a few minutes
    python bench/hostile_inputs.py --scale 0.1           # a quick look

Prints a Markdown table, then one JSON line per path.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tests import hostile_corpus as hc  # noqa: E402

CLASSES = [str(i) for i in range(10)]
DTYPES = [np.uint8, np.int8, np.uint16, np.int32, np.int64, np.float16, np.float32,
          np.float64, np.bool_, np.complex64, object, "U3"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


# --- seeded random inputs --------------------------------------------------------------------

def mutations(seeds, n: int, rng) -> list[tuple[str, bytes]]:
    return [(f"{seeds[i % len(seeds)][0]}~{i}", hc.mutate(seeds[i % len(seeds)][1], rng))
            for i in range(n)]


def magic_bodies(n: int, rng) -> list[tuple[str, bytes]]:
    names = sorted(hc.MAGICS)
    return [(f"magic_{names[i % len(names)]}~{i}", hc.MAGICS[names[i % len(names)]]
             + rng.integers(0, 256, int(rng.integers(0, 3000)), np.uint8).tobytes())
            for i in range(n)]


def random_csvs(n: int, rng) -> list[tuple[str, bytes]]:
    pool = ["1", "5", "20", "127", "128", "0", "-1", "1e400", "nan", "inf", "-inf", "3.5",
            "", " ", "x", "=1+1", "<b>", "9" * 40, "1e-300", "\x00", "7", "2", "seven"]
    headers = ["x0,y0,x1,y1,label", "x0,y0,x1,y1,class", "x0,y0,x1,y1,label,class,score",
               "x0,y0,x1", "label,x0,y0,x1,y1", "", "X0,Y0,X1,Y1,LABEL"]
    out = []
    for i in range(n):
        rows = [",".join(pool[j] for j in rng.integers(0, len(pool), int(rng.integers(0, 8))))
                for _ in range(int(rng.integers(0, 6)))]
        text = headers[i % len(headers)] + "\n" + "\n".join(rows)
        out.append((f"csv~{i}", text.encode("utf-8")))
    return out


def random_arrays(n: int, rng) -> list[tuple[str, object]]:
    out = []
    for i in range(n):
        dtype = DTYPES[int(rng.integers(0, len(DTYPES)))]
        ndim = int(rng.integers(0, 5))
        shape = tuple(int(rng.choice([0, 1, 2, 3, 4, 5, 17, 64])) for _ in range(ndim))
        if i % 50 == 0:
            shape = (1, 5000) if i % 100 == 0 else (5000, 1, 3)
        raw = rng.normal(100, 200, shape)
        if ndim and raw.size:
            raw.flat[int(rng.integers(0, raw.size))] = rng.choice([np.nan, np.inf, -np.inf,
                                                                   1e30])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = raw.astype(dtype)
        except (TypeError, ValueError, OverflowError):
            a = raw
        out.append((f"{np.dtype(dtype).name}{list(shape)}~{i}", a))
    return out


def model_inputs(n: int, rng) -> list[tuple[str, np.ndarray]]:
    """Arrays shaped like mnist_cnn's input (28x28(x1)), of every numeric dtype, some with
    NaN/inf or values far outside 0-255: what explain's functions take."""
    out = []
    for i in range(n):
        dtype = DTYPES[int(rng.integers(0, 9))]               # the numeric ones
        a = rng.normal(100, 300, (28, 28, 1) if i % 2 else (28, 28))
        if i % 5 == 0:
            a.flat[int(rng.integers(0, a.size))] = rng.choice([np.nan, np.inf, -1e30])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append((f"input_{np.dtype(dtype).name}~{i}", a.astype(dtype)))
    return out


def classical_args(n: int, rng) -> list[tuple[str, tuple]]:
    """(method, parameters) with odd values: what the Segment page's classical view sends."""
    pool = [0, -1, 1, 3, 50, 10**9, 2.5, 1e-9, np.nan, np.inf, -np.inf, None, True, "3"]
    names = {"watershed": ("markers", "compactness"), "slic": ("n_segments", "compactness"),
             "felzenszwalb": ("scale", "sigma", "min_size"),
             "grabcut": ("iterations", "box")}
    out = []
    for i in range(n):
        method = sorted(names)[i % len(names)]
        kw = {k: pool[int(rng.integers(0, len(pool)))] for k in names[method]
              if rng.random() < 0.8}
        if method == "grabcut" and ("box" not in kw or rng.random() < 0.7):
            kw["box"] = tuple(float(v) for v in rng.integers(-5, 40, 4))   # always a box
        out.append((f"{method}~{i}", (method, kw)))
    return out


def random_sampler_args(n: int, rng) -> list[tuple[str, tuple]]:
    """(sampler, arguments): sample (2 in 3), interpolate, class_morph with odd values."""
    odd = [0, 1, 9, 10, -1, 2.5, "3", None, np.nan, np.inf, True, 2**40]
    pools = {"sample": {"n": [0, 1, 4, 16, 1024, 1025, -3, 2.5, "3", None, np.nan, 10**12],
                        "labels": [None, 0, 9, 10, -1, [1, 2], [3] * 4, "7", np.nan, True,
                                   [[1]], []],
                        "seed": [0, 1, -1, 2**31 - 1, 2**31, 1.5, np.nan, "0"],
                        "temperature": [0.0, 0.7, 2.0, 2.1, -1.0, np.inf, np.nan, "hot"]},
             "interpolate": {"seed_a": odd, "seed_b": odd, "steps": [2, 8, 64, 65, 1, 3.5],
                             "label": odd},
             "class_morph": {"class_a": odd, "class_b": odd, "steps": [2, 8, 65, 0, None],
                             "seed": odd}}
    out = []
    for i in range(n):
        fn = ("sample", "sample", "interpolate", "class_morph")[i % 4]
        kw = {k: v[int(rng.integers(0, len(v)))] for k, v in pools[fn].items()
              if rng.random() < 0.6}
        out.append((f"{fn}~{i}", (fn, kw)))
    return out


# --- the paths -------------------------------------------------------------------------------

def paths(scale: float, rng):
    """[(path name, function, [(label, input)], needs a model)]."""
    from cvlib import classical, detect, explain, generate, recognize, segment, zoo
    from cvlib.imageio import decode_image
    from cvlib.masks import decode_mask, parse_boxes_csv
    from cvlib.videoio import decode_video, probe_video

    k = lambda n: max(1, int(n * scale))   # noqa: E731
    images = hc.image_files()
    seeds = hc.valid_images()
    videos = hc.video_files()
    vseeds = [(name, data) for name, data in videos
              if name in ("mp4", "gif_cut", "mp4_claims_a_million_frames")]
    vseeds.append(("gif_50", hc.gif_frames(50)))
    odd = hc.odd_arrays()
    out = [("image: decode_image", decode_image,
            images + mutations(seeds, k(3500), rng) + magic_bodies(k(600), rng), False),
           ("mask: decode_mask", lambda d: decode_mask(d, (40, 30), 11),
            images + mutations(seeds, k(1200), rng), False),
           ("boxes CSV: parse_boxes_csv", lambda d: parse_boxes_csv(d, CLASSES, (128, 128)),
            hc.csv_files() + random_csvs(k(1500), rng), False),
           ("video: probe_video", probe_video, videos + mutations(vseeds, k(300), rng), False),
           ("video: decode_video", lambda d: decode_video(d, max_frames=400),
            videos + mutations(vseeds, k(300), rng), False),
           ("segment: check_mask", lambda a: segment.check_mask(a, num_classes=11),
            odd + random_arrays(k(300), rng), False),
           ("detect: check_boxes", lambda a: detect.check_boxes(a, 100, 100),
            odd + random_arrays(k(300), rng), False)]
    for method, kw in (("otsu", {}), ("slic", {"n_segments": 30}), ("felzenszwalb", {}),
                       ("watershed", {"markers": 20}),
                       ("grabcut", {"box": (1, 1, 12, 12), "iterations": 1})):
        out.append((f"classical: {method}",
                    lambda a, m=method, kw=kw: classical.segment(m, a, **kw),
                    odd + random_arrays(k(150), rng), False))
    img = np.asarray(hc.gradient(32, 24))
    out.append(("classical: parameters", lambda mk: classical.segment(mk[0], img, **mk[1]),
                classical_args(k(400), rng), False))
    shipped = {m: zoo.status(m) == "shipped" for m in
               ("mnist_cnn", "digit_segmenter", "digit_detector", "cgan_mnist")}
    if shipped["mnist_cnn"]:
        clf = recognize.get_classifier("mnist_cnn")
        out += [("recognize: classify", lambda a: recognize.classify(a, clf),
                 odd + random_arrays(k(300), rng) + images[:40], True),
                ("explain: grad_cam", lambda a: explain.grad_cam(clf, a),
                 odd + random_arrays(k(100), rng) + model_inputs(k(200), rng), True),
                ("explain: saliency", lambda a: explain.saliency(clf, a),
                 odd + random_arrays(k(50), rng) + model_inputs(k(100), rng), True)]
    if shipped["digit_segmenter"]:
        out.append(("segment: segment", segment.segment,
                    odd + random_arrays(k(150), rng) + images[:40], True))
    if shipped["digit_detector"]:
        out.append(("detect: detect", detect.detect,
                    odd + random_arrays(k(150), rng) + images[:40], True))
    if shipped["cgan_mnist"]:
        out.append(("generate: sample / interpolate / class_morph",
                    lambda fk: getattr(generate, fk[0])("cgan_mnist", **fk[1]),
                    random_sampler_args(k(400), rng), True))
    missing = [m for m, ok in shipped.items() if not ok]
    return out, missing


def run(scale: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    table, missing = paths(scale, rng)
    build = time.perf_counter() - t0
    rows, uncaught = [], []
    for name, fn, items, model in table:
        counts = {"decoded": 0, "refused": 0, "argument": 0, "uncaught": 0}
        worst, worst_label, warm = 0.0, "", None
        grew, grew_label = 0.0, ""
        for i, (label, arg) in enumerate(items):
            before = peak_mb()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kind, exc, sec = hc.outcome(fn, arg)
            counts[kind] += 1
            if kind == "uncaught" or (exc is not None and not hc.plain(str(exc))):
                uncaught.append((name, label, type(exc).__name__, str(exc)[:200]))
            if model and i == 0:
                warm = sec                      # builds the model, traces the graph
            elif sec > worst:
                worst, worst_label = sec, label
            if peak_mb() - before > grew:
                grew, grew_label = peak_mb() - before, label
        rows.append({"path": name, "inputs": len(items), **counts,
                     "worst_s": round(worst, 3), "worst_input": worst_label,
                     "warmup_s": None if warm is None else round(warm, 2),
                     "peak_rss_mb": round(peak_mb()), "grew_mb": round(grew),
                     "grew_input": grew_label})
        print(f"# {name}: {len(items)} inputs, worst {worst:.2f} s ({worst_label}), "
              f"peak RSS {peak_mb():.0f} MB", file=sys.stderr, flush=True)
    return {"rows": rows, "uncaught": uncaught, "missing_models": missing,
            "build_s": round(build, 1), "total_s": round(time.perf_counter() - t0, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the random inputs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    res = run(args.scale, args.seed)
    rows = res["rows"]
    print("| path | inputs | decoded | refused (CVLibError) | argument (own check) | "
          "uncaught | worst s / input (which) | peak RSS MB | most growth MB (which) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        warm = f"; warm-up {r['warmup_s']} s" if r["warmup_s"] is not None else ""
        print(f"| {r['path']} | {r['inputs']:,} | {r['decoded']:,} | {r['refused']:,} | "
              f"{r['argument']:,} | {r['uncaught']} | {r['worst_s']:.2f} ({r['worst_input']}"
              f"{warm}) | {r['peak_rss_mb']:,} | {r['grew_mb']} ({r['grew_input']}) |")
    total = sum(r["inputs"] for r in rows)
    print(f"| **all** | **{total:,}** | {sum(r['decoded'] for r in rows):,} | "
          f"{sum(r['refused'] for r in rows):,} | {sum(r['argument'] for r in rows):,} | "
          f"**{sum(r['uncaught'] for r in rows)}** | "
          f"{max(r['worst_s'] for r in rows):.2f} | {max(r['peak_rss_mb'] for r in rows):,} | |")
    print(f"\ninputs built in {res['build_s']} s; whole run {res['total_s']} s")
    if res["missing_models"]:
        print(f"not run (model not trained here): {', '.join(res['missing_models'])}")
    for path, label, kind, msg in res["uncaught"]:
        print(f"UNCAUGHT or not plain: {path} / {label}: {kind}: {msg}")
    for r in rows:
        print(json.dumps(r))
    sys.exit(1 if res["uncaught"] else 0)


if __name__ == "__main__":
    main()
