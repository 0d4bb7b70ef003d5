"""Video page benchmarks (issue 13), one JSON line per figure; each against a baseline
measured in the same process.

    decode_fps          cvlib.videoio.decode_video on the real traffic clip (768x432, 377
                        frames) vs a bare PyAV loop (container.decode + to_ndarray)
    mnist_analysis_fps  cvlib.video.analyze(28x28 MNIST frames, "mnist_cnn") vs a bare
                        compiled model call on the same, already preprocessed batch
    cifar_analysis_fps  analyze(the traffic clip, "cifar_cnn") (decode excluded) vs decode
    mobilenet_fps       analyze(traffic frames, MobileNetV3Small with random weights, 224x224
                        batched) vs the bare batched model call
    sequence_per_clip   predict_sequence(one 20-frame clip, "digit_motion") latency, and
                        predict_batch clips/s vs keras Model.predict on the same clips
    arch_compare        (--compare-archs) CNN+GRU vs ConvLSTM trained the same short way
                        (2 epochs x 4,000 clips, same seed): params, training clips/s,
                        held-out accuracy on 500 test clips

Each figure: best of ``--repeats`` after one warm-up run (fps vary +-20 % on these shared
cores; DESIGN.md).

Run: CVLIB_DATA_DIR=../shared/data python bench/video_bench.py [--repeats 3] [--compare-archs]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from cvlib import video, zoo  # noqa: E402
from cvlib.videoio import decode_video  # noqa: E402

CAR = Path(os.environ.get("CVLIB_DATA_DIR") or Path(__file__).resolve().parents[2] /
           "shared" / "data") / "video" / "car-detection.mp4"


def emit(**kw):
    print(json.dumps(kw), flush=True)


def best(fn, repeats: int) -> float:
    fn()                                   # warm-up (tracing, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_decode(data: bytes, repeats: int):
    import io

    import av

    def bare():
        with av.open(io.BytesIO(data)) as c:
            return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]

    n = len(bare())
    t_ours = best(lambda: decode_video(data), repeats)
    t_bare = best(bare, repeats)
    emit(figure="decode_fps", frames=n, fps=round(n / t_ours, 1),
         baseline_bare_pyav_fps=round(n / t_bare, 1), ratio=round(t_bare / t_ours, 3))


def bench_mnist(repeats: int, n: int = 2000):
    from cvlib.data import load_dataset
    from cvlib.recognize import get_classifier
    x, _, _ = load_dataset("mnist", "test")
    frames = np.asarray(x[:n])
    clf = get_classifier("mnist_cnn")
    prepared = np.stack([clf.preprocess(f).x for f in frames])
    t_ours = best(lambda: video.analyze(frames, clf, batch_size=256), repeats)
    t_bare = best(lambda: [clf.probs(prepared[i:i + 256]) for i in range(0, n, 256)], repeats)
    emit(figure="mnist_analysis_fps", frames=n, fps=round(n / t_ours, 1),
         baseline_bare_model_fps=round(n / t_bare, 1), ratio=round(t_bare / t_ours, 3),
         goal=">= 1000")


def bench_cifar(data: bytes, repeats: int):
    from cvlib.recognize import get_classifier
    clip = decode_video(data)
    clf = get_classifier("cifar_cnn")
    t_ours = best(lambda: video.analyze(clip, clf, batch_size=64), repeats)
    t_dec = best(lambda: decode_video(data), 1)
    n = len(clip)
    emit(figure="cifar_analysis_fps", frames=n, fps=round(n / t_ours, 1),
         decode_only_fps=round(n / t_dec, 1),
         decode_plus_analysis_fps=round(n / (t_ours + t_dec), 1))


def bench_mobilenet(data: bytes, repeats: int, n: int = 64):
    from cvlib.recognize import build_classifier
    clip = decode_video(data, max_frames=n)
    clf = build_classifier("mobilenet_v3_small")       # random weights, same cost
    prepared = np.stack([clf.preprocess(f).x for f in clip.frames])
    t_ours = best(lambda: video.analyze(clip, clf, batch_size=32), repeats)
    t_bare = best(lambda: [clf.probs(prepared[i:i + 32]) for i in range(0, n, 32)], repeats)
    emit(figure="mobilenet_fps", frames=n, size=224, fps=round(n / t_ours, 1),
         baseline_bare_model_fps=round(n / t_bare, 1), ratio=round(t_bare / t_ours, 3),
         goal=">= 20")


def bench_sequence(repeats: int, n: int = 256):
    from cvlib.data import moving_digits
    if zoo.status("digit_motion") != "shipped":
        emit(figure="sequence_per_clip", skipped="digit_motion not shipped")
        return
    md = moving_digits(n, seed=5, split="test")
    model = video.SequenceModel.from_name("digit_motion")
    keras_model = zoo.load("digit_motion")
    one = best(lambda: video.predict_sequence(md.clips[0], model=model), max(repeats, 5))
    t_ours = best(lambda: model.predict_batch(md.clips, batch_size=64), repeats)
    x = md.clips[..., None].astype(np.float32)
    t_bare = best(lambda: keras_model.predict(x, batch_size=64, verbose=0), repeats)
    emit(figure="sequence_per_clip", one_clip_ms=round(one * 1000, 1),
         batch_clips_per_s=round(n / t_ours, 1), baseline_keras_predict_clips_per_s=round(
             n / t_bare, 1), ratio=round(t_bare / t_ours, 3))


def bench_arch_compare(epochs: int = 2, clips: int = 4000):
    from cvlib.sequence_train import SequenceConfig, fit_sequence
    for arch in ("cnn_gru", "convlstm"):
        r = fit_sequence(SequenceConfig(arch=arch, epochs=epochs, clips_per_epoch=clips,
                                        eval_clips=500))
        emit(figure="arch_compare", arch=arch, params=int(r.model.count_params()),
             train_clips_per_s=round(r.clips_per_second, 1), seconds=round(r.seconds, 1),
             direction_accuracy=r.metrics["direction_accuracy"],
             digit_accuracy=r.metrics["digit_accuracy"], epochs=epochs, clips_per_epoch=clips)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--compare-archs", action="store_true")
    args = ap.parse_args()
    if args.compare_archs:
        bench_arch_compare()
        return
    emit(figure="load_average_at_start", value=os.getloadavg()[0])
    data = CAR.read_bytes() if CAR.exists() else None
    if data is None:
        emit(figure="decode_fps", skipped=f"{CAR} missing")
    else:
        bench_decode(data, args.repeats)
    bench_mnist(args.repeats)
    if data is not None:
        bench_cifar(data, args.repeats)
        bench_mobilenet(data, args.repeats)
    bench_sequence(args.repeats)


if __name__ == "__main__":
    main()
