"""Real-photo costs of the Segment page: MTCNN, the classical methods, the VOC architecture,
and the weak localisation's quality on single-digit scenes.

Figures (JSON lines):
  mtcnn             p50/p95 ms of MTCNN on a 640x480 photo (scikit-image's astronaut,
                    resized), warm, and the faces found
  classical/<m>     p50 ms of each classical method on the same 640x480 photo, and the
                    number of regions it returned (GrabCut: box = the central 80%)
  voc_deeplabv3p    p50 ms of keras-cv DeepLabV3+ (ResNet50-V2, random weights: the same
                    cost as the VOC weights, which are not on this machine) on one
                    512x512 photo through VocSegmenter (compiled call + resizing back),
                    against model.predict on the same input in the same run
  weak_digits       weak localisation (mnist_cnn Grad-CAM -> threshold -> largest region ->
                    GrabCut) on N single-digit test scenes: mean IoU with the true digit
                    pixels, for the thresholded CAM alone and after GrabCut, box IoU, and
                    the supervised digit_segmenter's IoU of "digit vs background" on the
                    same scenes when it is shipped

Run: CVLIB_DATA_DIR=../shared/data python bench/segment_page_bench.py [--repeats 10]
     [--scenes 20] [--weak-only]
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
from PIL import Image  # noqa: E402


def timed(fn, repeats: int) -> tuple[list[float], object]:
    out = fn()                                     # warm-up (loading, tracing)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times, out


def p(times, q):
    return round(float(np.percentile(times, q)), 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--scenes", type=int, default=20)
    ap.add_argument("--weak-only", action="store_true", help="only the weak_digits figure")
    args = ap.parse_args()
    if args.weak_only:
        weak_digits(args)
        return
    from cvlib import classical
    photo = np.asarray(Image.fromarray(classical.sample_photo("astronaut")).resize((640, 480)))

    from cvlib.faces import FaceDetector
    det = FaceDetector.from_name("faces_mtcnn")
    times, faces = timed(lambda: det(photo), args.repeats)
    print(json.dumps({"figure": "mtcnn", "size": "640x480", "p50_ms": p(times, 50),
                      "p95_ms": p(times, 95), "faces": len(faces),
                      "score": round(faces[0].score, 4) if faces else None}))

    for m in classical.METHODS:
        params = {"box": (64, 48, 576, 432)} if m == "grabcut" else {}
        times, labels = timed(lambda: classical.segment(m, photo, **params),
                              max(3, args.repeats // 2))
        print(json.dumps({"figure": f"classical/{m}", "size": "640x480",
                          "p50_ms": p(times, 50), "regions": int(labels.max()) + 1}))

    from cvlib.voc import VocSegmenter, build_voc
    model = build_voc()
    seg = VocSegmenter("voc-random-weights", model)
    x512 = np.asarray(Image.fromarray(classical.sample_photo("astronaut")))   # 512x512
    seg(x512)                                                                 # trace
    batch = x512[None].astype(np.float32)
    model.predict(batch, verbose=0)
    ours, predict = [], []
    for _ in range(max(3, args.repeats // 2)):         # alternate the two
        t0 = time.perf_counter()
        seg(x512)
        ours.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        model.predict(batch, verbose=0)
        predict.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"figure": "voc_deeplabv3p", "size": "512x512",
                      "params": model.count_params(), "p50_ms": p(ours, 50),
                      "predict_p50_ms": p(predict, 50),
                      "ratio": round(p(predict, 50) / p(ours, 50), 2)}))

    weak_digits(args)


def weak_digits(args) -> None:
    """The weak_digits figure (see the module docstring)."""
    from cvlib import zoo
    from cvlib.weak import evaluate_digit_scenes, mask_iou
    r = evaluate_digit_scenes(args.scenes, seed=0)
    out = {"figure": "weak_digits", "model": "mnist_cnn", "scenes": r["n"],
           "iou_cam_region": round(r["iou_region"], 3), "iou_grabcut": round(r["iou_mask"], 3),
           "iou_box": round(r["iou_box"], 3), "class_accuracy": round(r["class_accuracy"], 3)}
    if zoo.status("digit_segmenter") == "shipped":
        from cvlib.data import digit_scenes
        from cvlib.segment import segment
        scenes = digit_scenes(max(6 * args.scenes, 30), seed=0, split="test")
        ious = [mask_iou(segment(scenes.images[i]).mask > 0, scenes.masks[i] > 0)
                for i in r["indices"]]
        out["iou_supervised_segmenter"] = round(float(np.mean(ious)), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
