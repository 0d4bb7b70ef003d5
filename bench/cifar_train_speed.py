"""CIFAR-10 training throughput: the shipped recipe's net in bfloat16 vs float32, and the
earlier compact ResNet, in one process on the same images.

Each variant trains the full Keras pipeline (augmentation layers, SGD with Nesterov
momentum, 8 steps per execution) on the same random uint8 batch of 32x32x3 images: one
warm-up pass, then the variants alternate ``--repeats`` times. Prints JSON lines with the
median images/s, the implied seconds per 49,000-image epoch, and the ratio to the float32
ResNet-9 (the baseline of the same run). No data set is needed: speed does not depend on
pixel values.

Run: python bench/cifar_train_speed.py [--images 8192] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VARIANTS = {
    "resnet9_float32": dict(arch="resnet9", filters=(64, 128, 256)),
    "resnet9_mixed_bfloat16": dict(arch="resnet9", filters=(64, 128, 256),
                                   precision="mixed_bfloat16"),
    "old_resnet_float32": dict(arch="resnet", filters=(32, 64, 128)),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=8192)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=512)
    args = ap.parse_args()

    import keras
    import numpy as np

    from cvlib.train import TrainConfig, augmentation_layers, build_model

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (args.images, 32, 32, 3)).astype("uint8")
    y = rng.integers(0, 10, args.images)
    models = {}
    for name, kw in VARIANTS.items():
        config = TrainConfig(dataset="cifar10", **kw)
        net = build_model(config, for_training=True)
        m = keras.Sequential([keras.Input((32, 32, 3)), *augmentation_layers("cifar10"), net])
        m.compile(keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  "sparse_categorical_crossentropy", steps_per_execution=8)
        m.fit(x[:2048], y[:2048], batch_size=args.batch_size, epochs=1, verbose=0)  # warm-up
        models[name] = m
    times = {name: [] for name in models}
    for _ in range(args.repeats):
        for name, m in models.items():
            t0 = time.perf_counter()
            m.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["resnet9_float32"])
    for name, ts in times.items():
        med = statistics.median(ts)
        print(json.dumps({"variant": name, "images_per_second": round(args.images / med),
                          "seconds_per_49k_epoch": round(49_000 / (args.images / med), 1),
                          "speed_vs_resnet9_float32": round(base / med, 2),
                          "cpus": os.cpu_count()}), flush=True)


if __name__ == "__main__":
    main()
