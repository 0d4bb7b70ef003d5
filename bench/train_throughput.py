"""Training throughput: cvlib (TrainingJob + the page's progress callback) vs the seed script.

One process, the same 60,000 MNIST images, one warm-up epoch, then the variants alternate
three times; medians and ratios are printed as JSON lines:

    bare            seed script: model.fit(x/255, y, batch_size=64, epochs=1)
    cvlib_default   TrainingJob, default TrainConfig (uint8 input, 8 steps per execution),
                    progress callback, a thread polling snapshot() at 2 Hz like the page
    cvlib_spe1      the same with steps_per_execution=1: isolates the job/callback overhead

Run: CVLIB_DATA_DIR=../shared/data python bench/train_throughput.py [--images N] [--repeats R]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cvlib.bench import throughput  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=60000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    for line in throughput(images=args.images, repeats=args.repeats):
        print(json.dumps(line), flush=True)
